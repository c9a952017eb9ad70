"""From a parsed HTTP request to a response: faults, routing, authentication, the action.

The order follows a MAAS region: find the resource by path, pick its authenticated side when
the request carries credentials (or the resource has no anonymous side) and check them, find
the action by method and ``op``, then run its simulation with the state locked. Every response
carries ``X-MAAS-API-Hash``.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass
from urllib.parse import unquote

from .api import ApiError, Call, RawJSON, Response
from .describe import DESCRIBE_PATH
from .forms import parse_body, parse_query
from .handlers import simulation

#: How many requests :attr:`Dispatcher.log` remembers.
LOG_LENGTH = 10_000


@dataclass(frozen=True)
class Request:
    method: str
    target: str             # path and query, as on the request line
    path: str
    query: str
    headers: dict           # lower-cased names
    body: bytes
    base_url: str           # "http://host:port", as the client reached us


@dataclass(frozen=True)
class Logged:
    """One request as the sandbox saw it (for tests: what did the client send?)."""

    method: str
    path: str
    op: str | None
    status: int | str       # "dropped" when the connection was closed without an answer
    user: str | None


class Dispatcher:
    """Answers requests against one state, description, authenticator and set of faults."""

    def __init__(self, state, description, authenticator, faults):
        self.state, self.description = state, description
        self.authenticator, self.faults = authenticator, faults
        #: (system_id, action name) -> how many requests reached that machine action.
        self.machine_requests: Counter = Counter()
        #: The latest requests, oldest first.
        self.log: deque[Logged] = deque(maxlen=LOG_LENGTH)

    def handle(self, request: Request) -> Response:
        """The response to ``request`` (possibly a fault), logged."""
        struck = {rule.kind: rule for rule in self.faults.pick(request.method, request.target)}
        if "slow" in struck:
            time.sleep(struck["slow"].seconds)
        drop = struck.get("drop")
        user = None
        if drop and not drop.after:
            response = Response(0, drop=True)
        elif "unavailable" in struck:
            response = Response.text("Service Unavailable: the sandbox simulates a busy region "
                                     "(fault injection).", 503)
            response.headers["Retry-After"] = str(struck["unavailable"].retry_after)
        elif "error" in struck:
            response = Response.text("Internal Server Error: the sandbox simulates a failure "
                                     "(fault injection).", 500)
        else:
            response, user = self._answer(request)
            response.drop = bool(drop)
        response.headers["X-MAAS-API-Hash"] = self.description.hash
        op = parse_query(request.query).get("op")
        self.log.append(Logged(request.method, request.path, op,
                               "dropped" if response.drop else response.status,
                               user.username if user else None))
        return response

    def _answer(self, request: Request):
        user = None
        try:
            if request.path.rstrip("/") == DESCRIBE_PATH.rstrip("/"):
                return self._describe(request), None
            found = self.description.route(request.path)
            if found is None:
                raise ApiError(404, f"Unknown API path: {request.path}")
            route, uri = found
            params = parse_query(request.query)
            op = params.get("op")
            if request.method in ("POST", "PUT"):
                params = parse_body(request.headers.get("content-type", ""), request.body)
                op = op or params.get("op")
            authorization = request.headers.get("authorization")
            side, user = self._side(route, authorization)
            action = _find_action((side, route.anon), request.method, op)
            if action is None and user is None and _find_action((route.auth,), request.method, op):
                self.authenticator.authenticate(authorization)  # 401: this action needs a key
            if action is None:
                raise _unrecognised(request.method, op)
            return self._run(route, action, op, uri, params.without("op"), user), user
        except ApiError as error:
            return _error_response(error), user
        except Exception:  # a sandbox bug: answer like a server would, and say so loudly
            traceback.print_exc(file=sys.stderr)
            failure = Response.text("Internal Server Error: the sandbox failed; see its log.", 500)
            return failure, user

    def _describe(self, request: Request) -> Response:
        if request.method != "GET":
            raise ApiError(405, "Method Not Allowed")
        return Response(200, self.description.render(request.base_url), "application/json")

    def _side(self, route, authorization: str | None):
        """The handler description to use, and the authenticated user (or None)."""
        if route.auth is not None and (authorization or route.anon is None):
            return route.auth, self.authenticator.authenticate(authorization)
        return route.anon, None

    def _run(self, route, action: dict, op, uri: dict, params, user) -> Response:
        found = simulation(route.path, action["method"], op)
        if found is None or found[1].func is None:
            owner = route.auth or route.anon
            raise ApiError(501, f"The sandbox does not simulate {action['name']} on "
                                f"{owner['name']}.")
        handler, simulated = found
        # Our functions know the parameters by our names; older documents may name them
        # differently, so map them by position.
        values = dict(zip(handler.params, (unquote(value) for value in uri.values())))
        call = Call(self.state, user, params, values)
        with self.state.lock:
            self.state.advance()
            if "system_id" in values:
                self.machine_requests[(values["system_id"], simulated.name)] += 1
            return _encode(simulated.func(call))


def _find_action(sides, method: str, op: str | None) -> dict | None:
    """The first action of the handler descriptions ``sides`` answering ``method``/``op``."""
    for handler in sides:
        for action in (handler or {}).get("actions", []):
            if action["method"] == method and action["op"] == op:
                return action
    return None


def _unrecognised(method: str, op: str | None) -> ApiError:
    if op is not None:
        return ApiError(400, f"Unrecognised signature: method={method} op={op}")
    return ApiError(405, f"Method Not Allowed: {method} needs an op on this resource.")


def _encode(result) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, RawJSON):
        return Response(200, result.encode(), "application/json")
    return Response.json(result)


def _error_response(error: ApiError) -> Response:
    if isinstance(error.body, dict):
        response = Response(error.status, json.dumps(error.body).encode(), "application/json")
    else:
        response = Response.text(error.body, error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'OAuth realm="MAAS API"'
    return response
