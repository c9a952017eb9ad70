"""How magic results look in a notebook: collapsible JSON, confirmations, help bundles,
and listings with a row limit. Imports pandas and IPython's display only when used."""

from __future__ import annotations

import pprint
from typing import Any


class JSONView(dict):
    """A dict that Jupyter shows as collapsible JSON; everywhere else it is a plain dict."""

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"application/json": dict(self), "text/plain": pprint.pformat(dict(self), sort_dicts=False)}

    def __repr__(self) -> str:
        return pprint.pformat(dict(self), sort_dicts=False)


def show(text: str, html: str) -> None:
    """Display help: HTML in a notebook, plain text in a terminal. Returns None."""
    from IPython.display import display
    display({"text/plain": text, "text/html": html}, raw=True)


def confirm(message: str) -> None:
    """A short confirmation for actions that return nothing. Returns None."""
    print(message)


_limited_class = None


def row_limited(frame, max_rows: int):
    """``frame`` as a DataFrame that displays at most ``max_rows`` rows (all else unchanged;
    frames derived from it are plain DataFrames)."""
    global _limited_class
    if _limited_class is None:
        import pandas as pd

        class RowLimitedFrame(pd.DataFrame):
            _metadata = ["_max_rows"]

            @property
            def _constructor(self):
                return pd.DataFrame

            def _limits(self):
                return pd.option_context("display.max_rows", self._max_rows,
                                         "display.min_rows", min(self._max_rows, 10))

            def __repr__(self) -> str:
                with self._limits():
                    return super().__repr__()

            def _repr_html_(self) -> Any:
                with self._limits():
                    return super()._repr_html_()

        _limited_class = RowLimitedFrame
    limited = _limited_class(frame)
    limited._max_rows = max_rows
    return limited
