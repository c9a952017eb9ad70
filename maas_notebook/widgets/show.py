"""Putting a call's result, or its error, into a widget's output area."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as w
from IPython.display import HTML

from ..errors import MAASError
from ..render import JSONView


def error_html(error: MAASError) -> str:
    """One red line: the error's class and message."""
    return (f"<span style='color:#c7162b'>{escape(type(error).__name__)}: "
            f"{escape(str(error))}</span>")


def show_result(output: w.Output, result: Any, error: MAASError | None) -> None:
    """Replace ``output``'s content with ``result`` (a DataFrame for lists of objects,
    collapsible JSON for dicts) or with ``error`` as one line."""
    # Setting outputs directly works in a kernel and outside one (scripts, tests) alike.
    output.outputs = ()
    if error is not None:
        shown = HTML(error_html(error))
    elif isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        from ..frames import frame_for
        shown = frame_for(result)
    elif isinstance(result, dict):
        shown = JSONView(result)
    elif result is None:
        shown = HTML("<i>done (no content)</i>")
    else:
        shown = result
    output.append_display_data(shown)
