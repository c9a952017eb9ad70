"""Where the MAAS URL and API key come from, and the on-disk cache of describe documents.

:func:`find_profile` (what ``connect()`` uses) looks, in order, at:

* the environment: ``MAAS_URL`` (or Terraform's ``MAAS_API_URL``), ``MAAS_API_KEY`` and
  ``MAAS_CACERT`` (a PEM file);
* your own profiles, saved by ``%maas login`` in ``~/.config/maas-notebook/profiles.json``,
  and the one you made current;
* the official CLI's ``~/.maascli.db`` (what ``maas login`` wrote), read-only: the profile
  named by ``MAAS_PROFILE``, or the only one there is.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .errors import ConfigurationError, close_names

HOW_TO_CONFIGURE = ("set MAAS_URL and MAAS_API_KEY, run `maas login NAME URL KEY`, "
                    "or use %maas login")
FIX_STORE = "fix or delete it, then %maas login again"


@dataclass(frozen=True)
class Profile:
    """A MAAS to connect to: its URL, API key (None: anonymous) and CA certificates.

    ``source`` says where it came from ("explicit", "environment", "maascli:PATH",
    "maas-notebook:PATH"); ``description`` is the describe document the CLI stored with it.
    """

    name: str | None
    url: str
    api_key: str | None
    cacerts: str | None = None
    source: str = ""
    description: dict | None = field(default=None, compare=False)

    @property
    def redacted_key(self) -> str | None:
        """The API key with its secret hidden (``ck:tk:…``); None when anonymous."""
        if self.api_key is None:
            return None
        parts = self.api_key.split(":")
        return f"{parts[0]}:{parts[1]}:…" if len(parts) == 3 else "<redacted>"

    def __repr__(self) -> str:
        return (f"Profile(name={self.name!r}, url={self.url!r}, api_key={self.redacted_key!r}, "
                f"source={self.source!r})")


def from_environment(env: Mapping[str, str] = os.environ) -> Profile | None:
    """The profile the environment describes, or None when ``MAAS_URL`` is not set."""
    url = env.get("MAAS_URL") or env.get("MAAS_API_URL")
    key = env.get("MAAS_API_KEY") or None
    if not url:
        if key:
            raise ConfigurationError("MAAS_API_KEY is set but MAAS_URL is not; set MAAS_URL "
                                     "(or MAAS_API_URL) too, e.g. http://10.0.0.2:5240/MAAS")
        return None
    return Profile(None, url, key, env.get("MAAS_CACERT") or None, "environment")


def cli_profiles(path: Path | None = None) -> dict[str, Profile]:
    """The official CLI's profiles (``~/.maascli.db``), opened read-only; {} when absent."""
    path = _cli_db(path)
    rows = _cli_rows(path, "SELECT name, data FROM profiles ORDER BY name")
    return {name: _cli_profile(name, data, path) for name, data in rows}


def profile_names(cli_db: Path | None = None) -> set[str]:
    """The names of your profiles and the CLI's, without reading their contents (each CLI
    profile holds a whole describe document: too much to parse for a name). The magic asks
    on every line, so the answer is kept until either store changes."""
    store, cli = _store_path(), _cli_db(cli_db)
    key = (store, _mtime(store), cli, _mtime(cli))
    if _names_seen.get("key") != key:
        names = set(_read_store()["profiles"])
        names |= {name for name, in _cli_rows(cli, "SELECT name FROM profiles")}
        _names_seen.update(key=key, names=frozenset(names))
    return set(_names_seen["names"])


_names_seen: dict = {}


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _cli_db(path: Path | None) -> Path:
    return Path(path) if path else Path.home() / ".maascli.db"


def _cli_rows(path: Path, query: str) -> list[tuple]:
    if not path.is_file():
        return []
    try:
        # mode=ro: SQLite itself refuses to write, so this can never alter the CLI's file.
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return db.execute(query).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise ConfigurationError(f"cannot read the maas CLI's profiles in {path} ({exc}); "
                                 "repair it with `maas login` or move it away") from exc


def _cli_profile(name: str, data: str | bytes, path: Path) -> Profile:
    # data is the JSON the CLI wrote: {credentials: [ck, tk, ts] | null, url, description, cacerts}
    try:
        config = json.loads(data)
        credentials = config.get("credentials")
        key = ":".join(credentials) if credentials else None
        return Profile(name, config["url"], key, config.get("cacerts") or None,
                       f"maascli:{path}", config.get("description"))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigurationError(f"profile {name!r} in {path} is damaged; log in again with "
                                 f"`maas login {name} URL KEY`") from exc


def own_profiles() -> dict[str, Profile]:
    """Your own saved profiles (``save_profile`` / ``%maas login``)."""
    path = _store_path()
    source = f"maas-notebook:{path}"
    try:
        return {name: Profile(name, entry["url"], entry.get("api_key"), entry.get("cacerts"),
                              source)
                for name, entry in _read_store()["profiles"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(f"{path} is damaged; {FIX_STORE}") from exc


def save_profile(name: str, url: str, api_key: str | None, cacerts: str | None = None) -> Path:
    """Save (or replace) your profile ``name``; returns the file it is kept in (mode 0600)."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(
            "a profile needs a non-empty name, e.g. save_profile('lab', url, key)")
    store = _read_store()
    store["profiles"][name] = {"url": url, "api_key": api_key, "cacerts": cacerts}
    return _write_store(store)


def delete_profile(name: str) -> bool:
    """Forget your profile ``name`` (and stop it being current); False if there was none."""
    store = _read_store()
    if store["profiles"].pop(name, None) is None:
        return False
    if store["current"] == name:
        store["current"] = None
    _write_store(store)
    return True


def set_current(name: str | None, cli_db: Path | None = None) -> None:
    """Make ``name`` (yours or the CLI's) the profile ``connect()`` uses; None to unset."""
    store = _read_store()
    if name is not None and name not in store["profiles"]:
        _named(name, cli_db)  # raises, listing the names there are, when it is unknown
    store["current"] = name
    _write_store(store)


def current_name() -> str | None:
    """The name of your current profile, if you set one."""
    return _read_store()["current"]


def find_profile(profile: str | None = None, env: Mapping[str, str] = os.environ,
                 cli_db: Path | None = None) -> Profile:
    """The profile ``connect(profile)`` uses; a ConfigurationError says how to fix a miss."""
    if profile is not None:
        return _named(profile, cli_db)
    found = from_environment(env)
    if found is not None:
        return found
    current = current_name()
    if current:
        return _named(current, cli_db, " (your current profile: set_current() changes it)")
    if env.get("MAAS_PROFILE"):
        return _named(env["MAAS_PROFILE"], cli_db, " (named by MAAS_PROFILE)")
    every = {**cli_profiles(cli_db), **own_profiles()}  # yours win a name clash
    if len(every) == 1:
        return next(iter(every.values()))
    if every:
        raise ConfigurationError(f"several MAAS profiles ({', '.join(sorted(every))}) and none "
                                 "chosen; pass profile=NAME or set MAAS_PROFILE")
    raise ConfigurationError(f"no MAAS configured: {HOW_TO_CONFIGURE}")


def list_profiles(cli_db: Path | None = None) -> list[dict]:
    """One row per profile, yours then the CLI's: name, url, source, key (redacted), current."""
    current, ours = current_name(), own_profiles()
    rows = [_row(p, p.name == current) for p in ours.values()]
    # Yours win a name clash, so a CLI profile of the same name is never the current one.
    rows += [_row(p, p.name == current and p.name not in ours)
             for p in cli_profiles(cli_db).values()]
    return rows


def _row(profile: Profile, current: bool) -> dict:
    return {"name": profile.name, "url": profile.url, "source": profile.source,
            "key": profile.redacted_key, "current": current}


def _named(name: str, cli_db: Path | None, why: str = "") -> Profile:
    ours = own_profiles()
    if name in ours:
        return ours[name]
    theirs = cli_profiles(cli_db)
    if name in theirs:
        return theirs[name]
    known = sorted(set(ours) | set(theirs))
    close = close_names(name, known)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    have = f"known: {', '.join(known)}" if known else f"none is configured: {HOW_TO_CONFIGURE}"
    raise ConfigurationError(f"no MAAS profile {name!r}{why}; {hint}{have}")


def _store_path() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "profiles.json"


def _read_store() -> dict:
    path = _store_path()
    try:
        store = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {"current": None, "profiles": {}}
    except (OSError, ValueError) as exc:  # never quote the content: it holds API keys
        raise ConfigurationError(f"cannot read {path} ({type(exc).__name__}); {FIX_STORE}") from exc
    if not isinstance(store, dict) or not isinstance(store.get("profiles", {}), dict):
        raise ConfigurationError(f"{path} is damaged; {FIX_STORE}")
    return {"current": store.get("current"), "profiles": store.get("profiles", {})}


def _write_store(store: dict) -> Path:
    path = _store_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _atomic_write(path, json.dumps(store, indent=2, sort_keys=True).encode())
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; the file is 0600 from its first byte."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _xdg(variable: str, default: str) -> Path:
    base = os.environ.get(variable, "")
    # The XDG spec says to ignore a relative path.
    return (Path(base) if os.path.isabs(base) else Path.home() / default) / "maas-notebook"


class DescribeCache:
    """Describe documents on disk, one file per API root, so a warm start sends no request.

    A missing, unreadable or corrupt file is a miss, never an error.
    """

    def __init__(self, directory: Path | None = None):
        default = _xdg("XDG_CACHE_HOME", ".cache") / "describe"
        self.directory = Path(directory) if directory else default

    def path_for(self, root: str) -> Path:
        """The file that holds the description of ``root``."""
        return self.directory / (hashlib.sha256(root.encode()).hexdigest() + ".json")

    def load(self, root: str) -> dict | None:
        """The cached description of ``root``, or None."""
        try:
            doc = json.loads(self.path_for(root).read_bytes())
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def save(self, root: str, doc: dict) -> None:
        """Keep ``doc`` as the description of ``root``; warns (once) if the disk refuses."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.path_for(root), json.dumps(doc, separators=(",", ":")).encode())
        except OSError as exc:
            warnings.warn(f"cannot cache the MAAS description in {self.directory} "
                          f"({exc.strerror}); every start will fetch it again", stacklevel=2)

    def __repr__(self) -> str:
        return f"DescribeCache({str(self.directory)!r})"
