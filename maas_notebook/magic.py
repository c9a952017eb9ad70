"""``%maas`` and ``%%maas``: the MAAS CLI's grammar inside IPython and Jupyter.

The only module that imports the IPython shell API. Parsing is the pure
:func:`maas_notebook.magicparse.parse`; this class only resolves words against the live
connection, calls the bound action and shapes the result for a notebook.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.utils.text import DollarFormatter
from traitlets import Bool, Float, Int, Unicode

from . import helptext, profiles
from .client import Client, connect
from .description import python_name
from .errors import MAASError, close_names
from .magicparse import VERBS, Command, UsageError, parse
from .render import JSONView, confirm, row_limited, show

GRAMMAR = """\
%maas [PROFILE] HANDLER ACTION [URI_PARAMS ...] [key=value ...] [key@=path ...]
      [--raw] [--form] [--output FILE] [--help]
%%maas ...                 each line a command; or key@=- takes the cell body as that value
%maas login NAME URL [KEY|-]   save a profile (- or no key: asked for, never echoed)
%maas profiles | use NAME | logout NAME | refresh | help"""


@magics_class
class MaasMagic(Magics):
    """The ``%maas`` magics. Configure with ``%config MaasMagic.<name> = value``."""

    profile = Unicode(None, allow_none=True,
                      help="Profile to use when a line names none (default: connect()'s rules).").tag(config=True)
    timeout = Float(120.0, help="Read timeout of each request, in seconds.").tag(config=True)
    max_rows = Int(None, allow_none=True,
                   help="Rows a listing shows (default: pandas' display.max_rows).").tag(config=True)
    traceback = Bool(False, help="Show full tracebacks for MAAS errors.").tag(config=True)

    def __init__(self, shell=None, **kwargs: Any):
        super().__init__(shell=shell, **kwargs)
        self._clients: dict[str | None, Client] = {}
        self.last_listing: list = []  # feeds tab completion of system_ids and hostnames

    @line_cell_magic
    def maas(self, line: str, cell: str | None = None) -> Any:
        """Call the MAAS API with the CLI's grammar.

        %maas [PROFILE] HANDLER ACTION [URI_PARAMS ...] [key=value ...] [key@=path ...]
        %maas users whoami
        %maas machines read status=ready zone=dc1
        %maas machine deploy $system_id distro_series=jammy
        x = %maas machines read          (a DataFrame; --raw for the list)
        %maas machine deploy abc123 --form    (a form, prefilled)
        %maas HANDLER [ACTION] --help    (help from the server's own docs)
        """
        try:
            if cell is None:
                return self._run(parse(line))
            return self._run_cell(line, cell)
        except MAASError as exc:
            if self.traceback:  # a plain exception, so IPython prints the whole chain
                raise RuntimeError(f"{type(exc).__name__}: {exc}") from exc
            raise exc.with_traceback(None) from None

    # -- dispatch ---------------------------------------------------------------------

    def _run_cell(self, line: str, cell: str) -> Any:
        first = parse(line)
        if "-" in first.files.values():
            return self._run(first, body=cell.encode())
        if first.words or first.data or first.files:
            raise UsageError("%%maas takes either commands in the cell body, or one command "
                             "on its first line with a key@=- argument for the body")
        result = None
        for body_line in filter(str.strip, cell.splitlines()):
            result = self._run(parse(self._expand(body_line)))
        return result

    def _expand(self, text: str) -> str:
        # IPython expands the magic's own line, not the cell body: expand each body line
        # against the user's namespace only (shell.var_expand would also see our locals).
        if self.shell is None:
            return text
        try:
            return DollarFormatter().vformat(text, args=[], kwargs=self.shell.user_ns)
        except Exception:  # noqa: BLE001 - as IPython does: leave what cannot be expanded
            return text

    def _run(self, command: Command, body: bytes | None = None) -> Any:
        if command.verb or not command.words:
            return self._verb(command)
        client, words = self._split_profile(command.words)
        handler = client.handler(_known(words[0], client.description.handlers, "handler"))
        if len(words) == 1:
            return show(helptext.handler_text(handler.spec), helptext.handler_html(handler.spec))
        action = handler.action(_known(words[1], handler.spec.actions, "action", handler.name))
        if command.help:
            return show(helptext.action_text(action.spec), helptext.action_html(action.spec))
        args = words[2:]
        kwargs = _keywords(command, body, action.spec.params_by_name)
        if command.output:
            _check_writable(command.output)
        if command.form:
            from .widgets import form
            prefill = dict(zip(action.uri_params, args), **kwargs)
            return form(action, **prefill)
        result = action(*args, **kwargs)
        return self._shape(result, command, handler.name, action.cli_name)

    def _verb(self, command: Command) -> Any:
        verb, args = command.verb or "help", command.words[1:]
        if verb == "help" or command.help:
            client = self._client_or_none()
            text = GRAMMAR + ("\n\nhandlers:\n" + helptext.description_text(client.description) if client else "")
            html = f"<pre>{GRAMMAR}</pre>" + (helptext.description_html(client.description) if client else "")
            return show(text, html)
        if verb == "login":
            return self._login(*_arity(args, 2, 3, "login NAME URL [KEY|-]"))
        if verb == "profiles":
            import pandas as pd
            return pd.DataFrame(profiles.list_profiles(), columns=["name", "url", "source", "key", "current"])
        name, = _arity(args, 1, 1, f"{verb} NAME") if verb in ("use", "logout") else (None,)
        if verb == "use":
            profiles.find_profile(name)  # fails with the list of known names when unknown
            self.profile = name
            return confirm(f"now using profile {name!r}")
        if verb == "logout":
            self._clients.pop(name, None)
            if not profiles.delete_profile(name):
                raise UsageError(f"no saved profile {name!r}; %maas profiles lists them")
            return confirm(f"logged out of {name!r}")
        self._client(self.profile).refresh()
        return confirm("re-read the server's API description")

    def _login(self, name: str, url: str, key: str | None = None) -> Any:
        if key in (None, "-"):
            key = getpass.getpass(f"API key for {name} (maas apikey --username USER): ").strip()
        client = Client(url, key or None, timeout=self.timeout, name=name)  # proves the URL and key work
        if key:
            client.users.whoami()
        profiles.save_profile(name, url, key or None)
        self._clients[name] = client
        self.profile = name
        return confirm(f"logged in to {client.url} as profile {name!r}")

    # -- connections ------------------------------------------------------------------

    def _client(self, name: str | None) -> Client:
        if name not in self._clients:
            self._clients[name] = connect(name, timeout=self.timeout)
        return self._clients[name]

    def _client_or_none(self) -> Client | None:
        try:
            return self._client(self.profile)
        except MAASError:
            return None

    def _split_profile(self, words: list[str]) -> tuple[Client, list[str]]:
        if len(words) >= 2 and words[0] in self._profile_names():
            return self._client(words[0]), words[1:]
        return self._client(self.profile), words

    def _profile_names(self) -> set[str]:
        return profiles.profile_names() | {n for n in self._clients if n}

    # -- results ----------------------------------------------------------------------

    def _shape(self, result: Any, command: Command, handler: str, action: str) -> Any:
        if command.output:
            _write(command.output, result)
            return confirm(f"wrote {command.output}")
        if result is None:
            return confirm(f"{handler} {action}: done (no content)")
        if isinstance(result, list):
            self.last_listing = result
            if command.raw or not all(isinstance(item, dict) for item in result):
                return result
            # Shaped by what came back, not by the handler: `tag machines` lists machines.
            from .frames import frame_for
            return _limited(frame_for(result), self.max_rows)
        if isinstance(result, dict) and not command.raw:
            if isinstance(result.get("events"), list):  # an events page: a table of events
                from .frames import events_frame
                return _limited(events_frame(result), self.max_rows)
            return JSONView(result)
        return result


def _known(word: str, names, kind: str, where: str = "") -> str:
    if python_name(word) in names:
        return word
    close = [n.replace("_", "-") for n in close_names(python_name(word), names)]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    place = f" in {where}" if where else ""
    raise UsageError(f"no {kind} {word!r}{place}{hint} (%maas {where + ' ' if where else ''}--help lists them)")


def _arity(args: list[str], low: int, high: int, usage: str) -> list:
    if not low <= len(args) <= high:
        raise UsageError(f"usage: %maas {usage}")
    return args + [None] * (high - len(args))


def _keywords(command: Command, body: bytes | None, declared: dict) -> dict[str, Any]:
    """The call's keywords: repeated keys as lists, ``key@=path`` as the file's bytes, and
    ``key@=-`` as the cell body (text, unless the parameter takes a file or base64 data)."""
    kwargs: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in command.data.items()}
    for key, path in command.files.items():
        if path == "-":
            if body is None:
                raise UsageError(f"{key}@=- takes the cell body: use it on the first line of %%maas")
            binary = key in declared and declared[key].kind in ("base64", "file")
            kwargs[key] = body if binary else body.decode()
            continue
        try:
            kwargs[key] = Path(path).expanduser().read_bytes()
        except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte; ~nosuchuser
            raise UsageError(f"cannot read {key}@={path!r}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
    return kwargs


def _check_writable(path: str) -> None:
    # Checked before the call: the action (a deploy, say) must not run only for its answer
    # to be lost to a mistyped --output.
    try:
        target = Path(path).expanduser()
    except RuntimeError as exc:  # ~nosuchuser/...
        raise UsageError(f"cannot write {path!r}: {exc}; nothing was sent") from None
    if "\0" in path:
        problem = "a file name cannot hold a NUL character"
    elif target.is_dir():
        problem = "it is a folder"
    elif not target.parent.is_dir():
        problem = f"there is no folder {target.parent}"
    elif not os.access(target if target.exists() else target.parent, os.W_OK):
        problem = "permission denied"
    else:
        return
    raise UsageError(f"cannot write {path!r}: {problem}; nothing was sent")


def _write(path: str, result: Any) -> None:
    import json
    data = result if isinstance(result, bytes) else (
        result.encode() if isinstance(result, str) else json.dumps(result, indent=2).encode())
    try:
        Path(path).expanduser().write_bytes(data)
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte; ~nosuchuser
        raise UsageError(f"cannot write {path!r}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None


def _limited(frame, max_rows: int | None):
    return frame if max_rows is None else row_limited(frame, max_rows)


def load_ipython_extension(ipython) -> None:
    """Register ``%maas`` / ``%%maas`` and their tab completion."""
    magic = MaasMagic(shell=ipython)
    ipython.register_magics(magic)
    from .completion import install
    install(ipython, magic)


def unload_ipython_extension(ipython) -> None:
    """Remove ``%maas`` / ``%%maas`` again."""
    for kind in ("line", "cell"):
        ipython.magics_manager.magics[kind].pop("maas", None)
    from .completion import uninstall
    uninstall(ipython)


__all__ = ["MaasMagic", "parse", "UsageError", "VERBS", "load_ipython_extension",
           "unload_ipython_extension"]
