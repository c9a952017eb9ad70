"""One widget per parameter, chosen by a small dispatch on the parameter's kind and on
what the server can offer as choices; and the reverse: a widget's value as call data."""

from __future__ import annotations

from typing import Any, Callable

import ipywidgets as w

from ..description import Param

_WIDE = w.Layout(width="60%")
_STYLE = {"description_width": "160px"}


def _label(param: Param) -> str:
    return param.name + (" *" if param.required else "")


def _checkbox(param: Param, value: Any) -> w.Widget:
    return w.Checkbox(value=_truthy(value), description=_label(param), style=_STYLE, indent=True)


def _int(param: Param, value: Any) -> w.Widget:
    return w.IntText(value=int(value or 0), description=_label(param), style=_STYLE)


def _float(param: Param, value: Any) -> w.Widget:
    return w.FloatText(value=float(value or 0), description=_label(param), style=_STYLE)


def _text(param: Param, value: Any) -> w.Widget:
    return w.Text(value="" if value is None else _as_text(value), description=_label(param),
                  placeholder=param.type or "", style=_STYLE, layout=_WIDE)


def _user_data(param: Param, value: Any) -> w.Widget:
    # Plain text here; it is sent as bytes, which the client base64-encodes for MAAS.
    return w.Textarea(value=_as_text(value) if value is not None else "", description=_label(param),
                      placeholder="#cloud-config (plain text; encoded for MAAS)", style=_STYLE,
                      layout=w.Layout(width="60%", height="120px"))


def _upload(param: Param, value: Any) -> w.Widget:
    return w.FileUpload(description=_label(param), multiple=False)


_BY_KIND: dict[str, Callable[[Param, Any], w.Widget]] = {
    "boolean": _checkbox, "int": _int, "float": _float, "string": _text, "list": _text,
    "base64": _user_data, "file": _upload,
}


def field_for(param: Param, value: Any = None, choices: list[tuple[str, str]] | None = None) -> w.Widget:
    """The widget for one parameter: a dropdown when the server offers choices, else by kind
    (Boolean -> Checkbox, Int -> IntText, Float -> FloatText, user_data -> Textarea,
    files -> FileUpload, anything else -> Text)."""
    if choices and param.name in ("tags", "not_tags"):
        picked = tuple(v for v in _as_list(value) if v in {c[1] for c in choices})
        return w.SelectMultiple(options=choices, value=picked, description=_label(param),
                                style=_STYLE, rows=min(6, len(choices)))
    if choices:
        options = [("", None)] + list(choices)
        if value is not None and value not in {c[1] for c in choices}:
            options.append((str(value), str(value)))  # keep a prefilled value the server did not list
        return w.Dropdown(options=options, value=None if value is None else str(value),
                          description=_label(param), style=_STYLE, layout=_WIDE)
    return _BY_KIND.get(param.kind, _text)(param, value)


def value_of(widget: w.Widget) -> Any:
    """The call value a field holds, or None when it holds nothing to send."""
    value = widget.value
    if isinstance(widget, w.FileUpload):
        return bytes(value[0]["content"]) if value else None
    if isinstance(widget, w.Textarea):
        return value.encode() if value else None
    if isinstance(widget, w.SelectMultiple):
        return list(value) or None
    if isinstance(value, str):
        return value.strip() or None
    return value


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on") if value is not None else False


def _as_text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, (bytes, bytearray)) else str(value)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else str(value).split(",")
