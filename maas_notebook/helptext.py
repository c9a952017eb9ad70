"""Help for handlers and actions, as plain text (terminals) and HTML (notebooks).

Pure string work over the description model, shared by ``Action._repr_html_``, the
``%maas ... --help`` magic and the widgets' help view.
"""

from __future__ import annotations

from html import escape

from .description import ActionSpec, Description, HandlerSpec

_TABLE_STYLE = "border-collapse:collapse;text-align:left"


def required_label(required: bool | None) -> str:
    """'yes', 'no' or '' (the doc does not say, as in MAAS 2.x docs)."""
    return {True: "yes", False: "no"}.get(required, "")


def usage(spec: ActionSpec) -> str:
    """The CLI-style usage line: ``machine deploy SYSTEM_ID [key=value ...]``."""
    uri = " ".join(name.upper() for name in spec.handler.uri_params)
    return " ".join(filter(None, (spec.handler.cli_name, spec.cli_name, uri, "[key=value ...]")))


def action_text(spec: ActionSpec) -> str:
    """An action's help as plain text: title, usage, parameter table, the rest of the doc."""
    lines = [spec.title or f"{spec.handler.cli_name} {spec.cli_name}", "",
             f"usage: %maas {usage(spec)}", f"HTTP: {spec.method} {spec.handler.path}"
             + (f"?op={spec.op}" if spec.op else "")]
    if spec.params:
        width = max(len(p.name) for p in spec.params)
        lines += ["", "parameters:"]
        for p in spec.params:
            flag = {True: "required", False: "optional"}.get(p.required, "")
            kind = ", ".join(filter(None, (p.type, flag)))
            lines.append(f"  {p.name:<{width}}  ({kind}) {p.description}".rstrip())
    if spec.parsed.body:
        lines += ["", spec.parsed.body]
    return "\n".join(lines)


def action_html(spec: ActionSpec) -> str:
    """An action's help as HTML: title, usage, parameter table, the rest of the doc."""
    title = escape(spec.title or f"{spec.handler.cli_name} {spec.cli_name}")
    parts = [f"<div class='maas-help'><h4>{title}</h4>",
             f"<p><code>%maas {escape(usage(spec))}</code> &middot; "
             f"<code>{escape(spec.method)} {escape(spec.handler.path)}"
             f"{'?op=' + escape(spec.op) if spec.op else ''}</code></p>"]
    if spec.params:
        rows = "".join(
            f"<tr><td><code>{escape(p.name)}</code></td><td>{escape(p.type)}</td>"
            f"<td>{required_label(p.required)}</td><td>{escape(p.description)}</td></tr>"
            for p in spec.params)
        parts.append(f"<table style='{_TABLE_STYLE}'><thead><tr><th>name</th><th>type</th>"
                     f"<th>required</th><th>description</th></tr></thead><tbody>{rows}</tbody></table>")
    if spec.parsed.body:
        parts.append(f"<pre style='white-space:pre-wrap'>{escape(spec.parsed.body)}</pre>")
    return "".join(parts) + "</div>"


def handler_text(spec: HandlerSpec) -> str:
    """A handler's help as plain text: its title and one line per action."""
    lines = [f"{spec.cli_name}: {spec.title}".rstrip(": "), ""]
    width = max((len(a.cli_name) for a in spec.actions.values()), default=0)
    lines += [f"  {a.cli_name:<{width}}  {a.title}".rstrip() for a in spec.actions.values()]
    return "\n".join(lines)


def handler_html(spec: HandlerSpec) -> str:
    """A handler's help as HTML: its title and a table of its actions."""
    rows = "".join(f"<tr><td><code>{escape(a.cli_name)}</code></td><td>{escape(a.method)}</td>"
                   f"<td>{escape(a.title)}</td></tr>" for a in spec.actions.values())
    return (f"<div class='maas-help'><h4>{escape(spec.cli_name)}</h4><p>{escape(spec.title)}</p>"
            f"<table style='{_TABLE_STYLE}'><thead><tr><th>action</th><th>method</th>"
            f"<th>summary</th></tr></thead><tbody>{rows}</tbody></table></div>")


def description_text(description: Description) -> str:
    """Every handler with its one-line summary, as plain text."""
    width = max((len(h.cli_name) for h in description), default=0)
    return "\n".join(f"  {h.cli_name:<{width}}  {h.title}".rstrip() for h in description)


def description_html(description: Description) -> str:
    """Every handler with its one-line summary, as an HTML table."""
    rows = "".join(f"<tr><td><code>{escape(h.cli_name)}</code></td><td>{escape(h.title)}</td></tr>"
                   for h in description)
    return (f"<table style='{_TABLE_STYLE}'><thead><tr><th>handler</th><th>summary</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")
