"""OAuth 1.0a PLAINTEXT, checked the way a MAAS region checks it.

An API key is ``consumer_key:token_key:token_secret``; the consumer secret is empty, so a
correct signature is ``&<token_secret>``. Like MAAS (piston's OAuth server), the check refuses
a timestamp more than 300 s away from the server's clock and a nonce already used, and answers
401 with a plain-text ``Authorization Error: ...`` body.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from urllib.parse import unquote

from .api import ApiError

#: How far (seconds) a request's oauth_timestamp may be from the server's clock.
TIMESTAMP_THRESHOLD = 300

_REQUIRED = ("oauth_consumer_key", "oauth_token", "oauth_signature", "oauth_signature_method",
             "oauth_timestamp", "oauth_nonce")
_KEY_ALPHABET = string.ascii_letters + string.digits


def new_api_key() -> str:
    """A fresh random API key in MAAS's shape (18, 18 and 32 characters)."""
    def part(length):
        return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(length))
    return f"{part(18)}:{part(18)}:{part(32)}"


def split_api_key(api_key: str) -> tuple[str, str, str]:
    """``(consumer_key, token_key, token_secret)``; ValueError if the key has another shape."""
    parts = api_key.split(":")
    if len(parts) != 3 or not all(parts):
        raise ValueError("an API key is three non-empty parts: "
                         "CONSUMER_KEY:TOKEN_KEY:TOKEN_SECRET")
    return parts[0], parts[1], parts[2]


def parse_authorization(header: str) -> dict[str, str] | None:
    """The OAuth parameters of an ``Authorization: OAuth ...`` header; ``None`` if not OAuth."""
    header = header.strip()
    if not header.startswith("OAuth"):
        return None
    found = {}
    for item in header[len("OAuth"):].split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            found[key.strip()] = unquote(value.strip().strip('"'))
    return found


def unauthorized(message: str) -> ApiError:
    return ApiError(401, f"Authorization Error: {message!r}")


class Authenticator:
    """Checks ``Authorization`` headers against the users' API keys and remembers nonces."""

    def __init__(self, credentials, clock=time.time):
        # credentials() -> {token_key: (consumer_key, token_secret, user)}; read on every
        # request so the keys of users created at run time work at once.
        self._credentials = credentials
        self._clock = clock
        self._seen_nonces: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def authenticate(self, header: str | None):
        """The user the header authenticates; raises ApiError(401) otherwise."""
        oauth = parse_authorization(header or "")
        if oauth is None:
            raise ApiError(401, "Authorization Required: this resource needs an API key, sent "
                                "as an OAuth 1.0a PLAINTEXT Authorization header.")
        missing = [name for name in _REQUIRED if name not in oauth]
        if missing:
            raise ApiError(400, "Bad Request: missing OAuth parameters: " + ", ".join(missing))
        if oauth["oauth_signature_method"] != "PLAINTEXT":
            raise unauthorized(f"Signature method {oauth['oauth_signature_method']} not "
                               "supported try one of the following: PLAINTEXT")
        credentials = self._credentials()
        if oauth["oauth_consumer_key"] not in {known[0] for known in credentials.values()}:
            raise ApiError(401, "Authorization Error: Invalid API key.")
        known = credentials.get(oauth["oauth_token"])
        if known is None or known[0] != oauth["oauth_consumer_key"]:
            raise unauthorized(f"Invalid access token: {oauth['oauth_token']}")
        _, token_secret, user = known
        self._check_timestamp(oauth["oauth_timestamp"])
        self._check_nonce(oauth["oauth_token"], oauth["oauth_nonce"])
        if oauth["oauth_signature"] != "&" + token_secret:
            raise unauthorized("Invalid signature.")
        return user

    def _check_timestamp(self, given: str) -> None:
        try:
            timestamp = int(given)
        except ValueError:
            raise ApiError(400, f"Bad Request: oauth_timestamp {given!r} is not a "
                                "whole number.") from None
        now = int(self._clock())
        if abs(now - timestamp) > TIMESTAMP_THRESHOLD:
            raise unauthorized(f"Expired timestamp: given {timestamp} and now {now} has a "
                               f"greater difference than threshold {TIMESTAMP_THRESHOLD}")

    def _check_nonce(self, token_key: str, nonce: str) -> None:
        now = self._clock()
        with self._lock:
            # Nonces older than the timestamp window can never be replayed: forget them.
            if len(self._seen_nonces) > 10_000:
                horizon = now - 2 * TIMESTAMP_THRESHOLD
                self._seen_nonces = {k: t for k, t in self._seen_nonces.items() if t > horizon}
            if (token_key, nonce) in self._seen_nonces:
                raise unauthorized(f"Nonce already used: {nonce}")
            self._seen_nonces[(token_key, nonce)] = now
