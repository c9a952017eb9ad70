"""Fault injection: make a share of requests, or requests to given paths, go wrong.

Kinds of fault:

``"unavailable"``  503 with ``Retry-After`` (the request is not carried out)
``"error"``        500 with a plain-text body (not carried out)
``"slow"``         the answer comes ``seconds`` late (carried out normally)
``"drop"``         the connection closes without an answer; with ``after=True`` the request is
                   carried out first and only the answer is lost — the case that makes
                   retrying a POST dangerous

Example::

    sb.faults.set("unavailable", share=0.5, retry_after=1)
    sb.faults.set("drop", pattern=r"op=deploy", times=1, after=True)
    sb.faults.injected["drop"]      # how many times it happened
    sb.faults.clear()
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from dataclasses import dataclass

KINDS = ("unavailable", "error", "slow", "drop")


@dataclass
class Rule:
    """One kind of fault and when it strikes."""

    kind: str
    share: float = 1.0            # the probability that a matching request is hit
    pattern: str | None = None    # a regex searched in "METHOD /path?query"; None: every request
    times: int | None = None      # strike at most this many times (None: no limit)
    retry_after: int = 1          # "unavailable": the Retry-After header, in seconds
    seconds: float = 1.0          # "slow": the delay
    after: bool = False           # "drop": carry the request out before dropping the answer

    def matches(self, request_line: str) -> bool:
        return self.pattern is None or re.search(self.pattern, request_line) is not None


class Faults:
    """The active fault rules (at most one per kind) and how often each struck."""

    def __init__(self, seed: int = 0):
        self._rules: dict[str, Rule] = {}
        self._rng = random.Random(f"{seed}:faults")
        self._lock = threading.Lock()
        #: kind -> how many requests that fault hit so far.
        self.injected: Counter = Counter()

    def set(self, kind: str, *, share: float = 1.0, pattern: str | None = None,
            times: int | None = None, retry_after: int = 1, seconds: float = 1.0,
            after: bool = False) -> None:
        """Start injecting ``kind`` (replacing an earlier rule of that kind)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(KINDS)}")
        if not 0.0 <= share <= 1.0:
            raise ValueError("share is a probability between 0 and 1")
        if pattern is not None:
            re.compile(pattern)
        with self._lock:
            self._rules[kind] = Rule(kind, share, pattern, times, retry_after, seconds, after)

    def clear(self, kind: str | None = None) -> None:
        """Stop injecting ``kind``, or every fault."""
        with self._lock:
            if kind is None:
                self._rules.clear()
            else:
                self._rules.pop(kind, None)

    def configure(self, faults: dict) -> None:
        """Set several rules at once: ``{"unavailable": {"share": 0.2}, "slow": {}}``."""
        for kind, options in faults.items():
            self.set(kind, **(options or {}))

    def pick(self, method: str, target: str) -> list[Rule]:
        """The rules striking this request (``target`` is the path with its query), counted."""
        request_line = f"{method} {target}"
        struck = []
        with self._lock:
            for rule in list(self._rules.values()):
                if rule.matches(request_line) and self._rng.random() < rule.share:
                    struck.append(rule)
                    self.injected[rule.kind] += 1
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            del self._rules[rule.kind]
        return struck
