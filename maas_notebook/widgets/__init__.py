"""Widgets for MAAS in Jupyter: action help, parameter forms and the deploy console.

The only package that imports ipywidgets::

    from maas_notebook import widgets
    widgets.help(client.machine.deploy)        # the action's doc as a widget
    widgets.form(client.machine.deploy, system_id="abc123")
    console = widgets.deploy(client)           # pick machines and an OS, deploy, watch
"""

from __future__ import annotations

import ipywidgets as _w

from ..helptext import action_html
from .console import DeployConsole, deploy
from .form import ActionForm, form


def help(action) -> _w.HTML:  # noqa: A001 - the natural name in a notebook
    """The action's help (title, parameter table, the rest of its doc) as a widget."""
    return _w.HTML(action_html(action.spec))


__all__ = ["help", "form", "deploy", "ActionForm", "DeployConsole"]
