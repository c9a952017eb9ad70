"""The ``%maas`` grammar as a pure function: a line in, a :class:`Command` out.

::

    %maas [PROFILE] HANDLER ACTION [URI_PARAMS ...] [key=value ...] [key@=path ...] [--raw] [--form]
          [--output FILE] [--help]

This module only splits and classifies words; which word is a profile, a handler or an
action is decided against the live connection by the magic. Every mistake raises
:class:`UsageError`, which IPython shows as one line.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from IPython.core.error import UsageError  # IPython shows it as one line

# The words that manage connections instead of calling the API.
VERBS = ("help", "login", "logout", "profiles", "refresh", "use")
FLAGS = ("--help", "--raw", "--form", "--output")
_PAIR = re.compile(r"^([A-Za-z_][\w.-]*)(@?=)(.*)$", re.DOTALL)


@dataclass
class Command:
    """A parsed ``%maas`` line.

    ``words`` are the positional words (profile, handler, action, URI parameters, or a verb
    and its arguments); ``data`` maps each key to its values in order (a repeated key gives
    several); ``files`` maps keys given as ``key@=path`` to their paths (``-`` = the cell body).
    """

    words: list[str] = field(default_factory=list)
    data: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    help: bool = False
    raw: bool = False
    form: bool = False
    output: str | None = None

    @property
    def verb(self) -> str | None:
        """The connection verb (login, use ...) when the line starts with one."""
        return self.words[0] if self.words and self.words[0] in VERBS else None


def parse(line: str) -> Command:
    """Split a ``%maas`` line into a :class:`Command`; raise :class:`UsageError` on mistakes."""
    try:
        tokens = shlex.split(line, posix=True)
    except ValueError as exc:
        raise UsageError(f"cannot split the line: {exc} (check your quotes)") from None
    command = Command()
    tokens_iter = iter(tokens)
    for token in tokens_iter:
        if token.startswith("--"):
            _flag(command, token, tokens_iter)
            continue
        pair = _PAIR.match(token)
        if pair:
            key, sign, value = pair.groups()
            if sign == "@=":
                if not value:
                    raise UsageError(f"{key}@= needs a file path (or - for the cell body)")
                if key in command.data:
                    raise UsageError(f"{key} is given both as {key}= and {key}@=")
                if key in command.files:
                    raise UsageError(f"{key} is given more than once with @=")
                command.files[key] = value
            else:
                if key in command.files:
                    raise UsageError(f"{key} is given both as {key}= and {key}@=")
                command.data.setdefault(key, []).append(value)
        elif "=" in token:
            raise UsageError(f"malformed pair {token!r}: write key=value with a name "
                             "made of letters, digits, _ and -")
        elif command.data or command.files:
            raise UsageError(f"{token!r} comes after key=value pairs; "
                             "put URI parameters before them, or write key=value")
        else:
            command.words.append(token)
    return command


def _flag(command: Command, token: str, rest) -> None:
    name, _, value = token.partition("=")
    if name == "--output":
        value = value or next(rest, "")
        if not value:
            raise UsageError("--output needs a file name: --output FILE")
        command.output = value
    elif name in ("--help", "--raw", "--form") and not value:
        setattr(command, name[2:], True)
    else:
        raise UsageError(f"unknown option {token!r}; options are {', '.join(FLAGS)}")
