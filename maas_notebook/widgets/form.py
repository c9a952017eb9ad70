"""A form for any action, generated from its description.

URI parameters come first, then the documented parameters, each as the widget
:func:`~maas_notebook.widgets.fields.field_for` picks. Submit calls the very same bound
action the client and the magic use; the result (a DataFrame or JSON) or a one-line error
shows in the form's output. Destructive actions ask for a second, confirming click.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..description import Param
from ..errors import MAASError, ParameterError
from .choices import Choices
from .fields import field_for, value_of
from .show import show_result

#: Actions whose effect is hard to undo: the first click only arms the button.
DESTRUCTIVE = ("delete", "release", "abort", "power_off", "erase", "secure_erase")


def is_destructive(action_name: str) -> bool:
    return action_name in DESTRUCTIVE or action_name.startswith(("delete", "erase"))


class ActionForm(w.VBox):
    """A form for one action. ``fields`` maps parameter names to their widgets;
    ``submit()`` does what a click on the button does; ``result`` / ``error`` hold the
    outcome of the last call."""

    def __init__(self, action, choices: Choices | None = None, **prefill: Any):
        self.action = action
        self.result: Any = None
        self.error: MAASError | None = None
        self._armed = False
        choices = choices or Choices(action.client)
        self.fields: dict[str, w.Widget] = {}
        params = [Param(name, "String", True, "URI parameter") for name in action.uri_params]
        params += list(action.params)
        for param in params:
            self.fields[param.name] = field_for(param, prefill.pop(param.name, None),
                                                choices.for_param(param.name))
        for name, value in prefill.items():  # undeclared but given: keep it, as text
            self.fields[name] = field_for(Param(name), value)
        self._initial = {name: widget.value for name, widget in self.fields.items()}
        self._given = {name for name, widget in self.fields.items() if value_of(widget) is not None}
        self.button = w.Button(description=self._label(), button_style="primary",
                               tooltip=action.spec.title)
        self.button.on_click(lambda _button: self.submit())
        self.output = w.Output()
        title = w.HTML(f"<b>{action.spec.handler.cli_name} {action.cli_name}</b>: "
                       f"{action.spec.title} <i>(* required)</i>")
        super().__init__([title, *self.fields.values(), self.button, self.output])

    def _label(self) -> str:
        return f"{'Confirm ' if self._armed else ''}{self.action.cli_name}"

    def values(self) -> tuple[list, dict]:
        """The positional URI values and keyword data the form would send now: only fields
        the user changed or that were prefilled, so MAAS defaults stay MAAS's."""
        uri = [value_of(self.fields[name]) for name in self.action.uri_params]
        data = {}
        for name, widget in self.fields.items():
            if name in self.action.uri_params:
                continue
            changed = widget.value != self._initial[name] or name in self._given
            value = value_of(widget)
            if changed and value is not None:
                data[name] = value
        return uri, data

    def submit(self) -> Any:
        """Call the action with the form's values (same as clicking the button). A
        destructive action needs two calls: the first only arms the button."""
        if is_destructive(self.action.name) and not self._armed:
            self._armed = True
            self.button.description, self.button.button_style = self._label(), "danger"
            return None
        self._armed = False
        self.button.disabled = True
        try:
            uri, data = self.values()
            missing = [name for name, value in zip(self.action.uri_params, uri) if value is None]
            if missing:
                raise ParameterError(f"fill in {', '.join(missing)} first")
            self.result, self.error = self.action(*uri, **data), None
        except MAASError as exc:
            self.result, self.error = None, exc
        finally:
            self.button.description, self.button.button_style = self._label(), "primary"
            self.button.disabled = False
        show_result(self.output, self.result, self.error)
        return self.result


def form(action, **prefill: Any) -> ActionForm:
    """A form for ``action`` (e.g. ``client.machine.deploy``), prefilled with ``prefill``."""
    return ActionForm(action, **prefill)
