"""The building blocks of the sandbox's handler table: handlers, actions, their parameters,
the call an action receives and the answers it gives.

An action is declared next to the function that simulates it::

    MACHINE = Handler("MachineHandler", "/MAAS/api/2.0/machines/{system_id}/",
                      "Manage an individual machine.")

    @MACHINE.action("POST", "deploy", "Deploy a machine", "Deploys an OS ...",
                    Param("osystem", "String", "The OS to deploy."))
    def deploy(call): ...

From these declarations :mod:`.describe` writes the describe document, with each action's
``doc`` in the annotated format of MAAS 3.x (``:param name: Required.|Optional. text`` and
``:type name: String|Int|Boolean|Float``), and :mod:`.server` routes requests to the functions.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

#: The restful action names and the HTTP method each one answers.
RESTFUL = {"read": "GET", "create": "POST", "update": "PUT", "delete": "DELETE"}


class ApiError(Exception):
    """An answer with an error status. ``body`` is plain text, or a dict of field errors that
    goes out as JSON the way MAAS reports form validation errors."""

    def __init__(self, status: int, body: str | dict[str, list[str]]):
        super().__init__(body)
        self.status, self.body = status, body


def bad_request(field_name: str, message: str) -> ApiError:
    """A 400 naming the form field at fault, as MAAS's form validation does."""
    return ApiError(400, {field_name: [message]})


def not_found(model: str) -> ApiError:
    """Django's 404 for an object lookup, as MAAS returns it."""
    return ApiError(404, f"No {model} matches the given query.")


@dataclass
class Response:
    """A finished answer: status, body bytes, content type and extra headers. ``drop`` asks
    the server to close the connection instead of answering (fault injection)."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, value: Any, status: int = 200) -> "Response":
        return cls(status, json.dumps(value).encode(), "application/json")

    @classmethod
    def text(cls, text: str, status: int = 200) -> "Response":
        return cls(status, text.encode())


class RawJSON(str):
    """JSON text already encoded (the machine list is joined from per-machine caches)."""


@dataclass(frozen=True)
class Param:
    """One parameter of an action, as its doc declares it."""

    name: str
    type: str
    text: str
    required: bool = False

    def doc(self) -> str:
        need = "Required." if self.required else "Optional."
        # The same shape MAAS's annotation renderer produces, leading space included.
        return f":param {self.name}: {need}  {self.text}\n:type {self.name}: {self.type}\n\n "


@dataclass
class Action:
    """One action of a handler, and the function that simulates it (``None``: 501)."""

    name: str
    method: str
    op: str | None
    title: str
    body: str
    params: tuple[Param, ...]
    func: Callable[["Call"], Any] | None

    @property
    def restful(self) -> bool:
        return self.op is None

    @property
    def doc(self) -> str:
        text = f"{self.title}\n\n{inspect.cleandoc(self.body)}\n\n"
        return text + "".join(param.doc() for param in self.params)

    def describe(self) -> dict:
        return {"method": self.method, "name": self.name, "doc": self.doc, "op": self.op,
                "restful": self.restful}


@dataclass
class Handler:
    """One handler class of the MAAS API: its name, path, doc and actions."""

    name: str
    path: str
    doc: str
    actions: list[Action] = field(default_factory=list)

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def action(self, method: str, op: str | None, title: str, body: str = "",
               *params: Param, name: str | None = None):
        """Declare an action; decorates the function simulating it. ``op=None`` makes it
        restful (its name comes from the method: read, create, update or delete)."""
        action_name = name or op or {v: k for k, v in RESTFUL.items()}[method]

        def register(func):
            self.actions.append(Action(action_name, method, op, title, body or title + ".",
                                       params, func))
            return func
        return register

    def declare(self, method: str, op: str, title: str, body: str = "", *params: Param):
        """Declare an action the sandbox does not simulate: it answers 501."""
        self.actions.append(Action(op, method, op, title, body or title + ".", params, None))

    def describe(self, base_url: str) -> dict:
        return {"actions": [action.describe() for action in self.actions],
                "doc": self.doc, "name": self.name, "params": self.params,
                "path": self.path, "uri": base_url + self.path}


@dataclass
class Call:
    """What an action function receives: who asks, with which parameters, about what."""

    state: Any              # state.State: machines, users, lifecycle ...
    user: Any               # the authenticated state.User, or None on anonymous handlers
    params: Any             # forms.Params: the query string (GET, DELETE) or the form (POST, PUT)
    uri: dict[str, str]     # the path's parameters, e.g. {"system_id": "abc123"}

    def require_admin(self) -> None:
        """403 unless the caller is an administrator."""
        if not (self.user and self.user.is_superuser):
            raise ApiError(403, "You do not have permission to perform this action "
                           "(administrators only).")
