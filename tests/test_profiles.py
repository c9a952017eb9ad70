"""Where credentials come from (environment, our store, the CLI's ~/.maascli.db) and the
describe cache. conftest.py gives every test its own HOME and XDG dirs and a clean MAAS_* env."""

import hashlib
import json
import os
import sqlite3
import stat

import pytest

from maas_notebook import profiles
from maas_notebook.errors import ConfigurationError
from maas_notebook.profiles import (
    DescribeCache, Profile, cli_profiles, current_name, delete_profile, find_profile,
    from_environment, list_profiles, own_profiles, save_profile, set_current)

SECRET = "TokenSecretNeverShown42"
KEY = f"ck1:tk1:{SECRET}"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
DESCRIPTION = {"doc": "MAAS API", "hash": "abc", "resources": [], "handlers": []}


def write_cli_db(path, entries: dict) -> None:
    """A SQLite file laid out exactly as the maas CLI writes ~/.maascli.db."""
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE IF NOT EXISTS profiles "
                   "(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)")
        for name, data in entries.items():
            db.execute("INSERT OR REPLACE INTO profiles (name, data) VALUES (?, ?)",
                       (name, json.dumps(data)))  # the CLI stores json.dumps() text
    db.close()


def cli_entry(url, credentials=("ck1", "tk1", SECRET), **extra) -> dict:
    return {"credentials": list(credentials) if credentials else None, "description": DESCRIPTION,
            "name": "x", "url": url, **extra}


@pytest.fixture
def cli_db(_isolated_home):
    """The CLI's store where the CLI puts it, with two profiles."""
    path = _isolated_home / ".maascli.db"
    write_cli_db(path, {"admin": cli_entry("http://10.0.0.2:5240/MAAS/api/2.0/", cacerts=PEM),
                        "viewer": cli_entry("http://10.0.0.3:5240/MAAS/api/2.0/",
                                            credentials=None)})
    return path


# -- environment -----------------------------------------------------------------------------

def test_environment_url_and_key():
    found = from_environment({"MAAS_URL": "http://h:5240/MAAS", "MAAS_API_KEY": KEY,
                              "MAAS_CACERT": "/etc/maas/ca.pem"})
    assert (found.url, found.api_key, found.cacerts, found.source, found.name) == (
        "http://h:5240/MAAS", KEY, "/etc/maas/ca.pem", "environment", None)


def test_terraform_variable_and_maas_url_winning():
    terraform = {"MAAS_API_URL": "http://tf/MAAS", "MAAS_API_KEY": KEY}
    assert from_environment(terraform).url == "http://tf/MAAS"
    both = {"MAAS_URL": "http://mine/MAAS", "MAAS_API_URL": "http://tf/MAAS"}
    assert from_environment(both).url == "http://mine/MAAS"


def test_url_without_key_is_anonymous_and_nothing_is_none():
    assert from_environment({"MAAS_URL": "http://h/MAAS"}).api_key is None
    assert from_environment({"MAAS_URL": "http://h/MAAS", "MAAS_API_KEY": ""}).api_key is None
    assert from_environment({}) is None


def test_key_without_url_names_the_missing_variable():
    with pytest.raises(ConfigurationError, match="MAAS_URL") as caught:
        from_environment({"MAAS_API_KEY": KEY})
    assert SECRET not in str(caught.value)


def test_environment_comes_first_and_reads_os_environ(cli_db, monkeypatch):
    save_profile("lab", "http://lab/MAAS", KEY)
    set_current("lab")
    monkeypatch.setenv("MAAS_URL", "http://env/MAAS")
    monkeypatch.setenv("MAAS_API_KEY", KEY)
    assert find_profile().source == "environment"


# -- the maas CLI's profile store ------------------------------------------------------------

def test_cli_profiles_are_read_with_credentials_cacerts_and_description(cli_db):
    found = cli_profiles()
    assert sorted(found) == ["admin", "viewer"]
    admin, viewer = found["admin"], found["viewer"]
    assert (admin.url, admin.api_key, admin.cacerts) == (
        "http://10.0.0.2:5240/MAAS/api/2.0/", KEY, PEM)
    assert admin.description == DESCRIPTION and admin.source == f"maascli:{cli_db}"
    assert viewer.api_key is None and viewer.cacerts is None


def test_cli_store_given_as_a_path_with_odd_characters(tmp_path):
    path = tmp_path / "my profiles #1?.db"
    write_cli_db(path, {"only": cli_entry("http://h/MAAS/api/2.0/")})
    assert list(cli_profiles(path)) == ["only"]


def test_cli_data_stored_as_a_blob_is_read_too(tmp_path):
    path = tmp_path / "blob.db"
    write_cli_db(path, {})
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO profiles (name, data) VALUES (?, ?)",
                   ("b", json.dumps(cli_entry("http://b/MAAS/api/2.0/")).encode()))
    db.close()
    assert cli_profiles(path)["b"].api_key == KEY


def test_cli_store_is_never_modified(cli_db):
    before = (cli_db.read_bytes(), cli_db.stat().st_mtime_ns, sorted(os.listdir(cli_db.parent)))
    cli_profiles()
    find_profile("admin")
    find_profile(env={"MAAS_PROFILE": "viewer"})
    list_profiles()
    with pytest.raises(ConfigurationError):
        find_profile("nobody")
    after = (cli_db.read_bytes(), cli_db.stat().st_mtime_ns, sorted(os.listdir(cli_db.parent)))
    assert after == before


def test_missing_cli_store_is_empty(tmp_path):
    assert cli_profiles(tmp_path / "absent.db") == {}
    assert cli_profiles() == {}


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b"SQLite format 3\x00junk"])
def test_corrupt_cli_store_is_one_line_configuration_error(tmp_path, content):
    path = tmp_path / "broken.db"
    path.write_bytes(content)
    with pytest.raises(ConfigurationError, match="broken.db") as caught:
        cli_profiles(path)
    assert "\n" not in str(caught.value)


def test_cli_store_without_the_table_or_with_a_damaged_row(tmp_path):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(ConfigurationError):
        cli_profiles(empty)
    damaged = tmp_path / "damaged.db"
    write_cli_db(damaged, {"good": cli_entry("http://h/MAAS/api/2.0/")})
    with sqlite3.connect(damaged) as db:
        db.execute("INSERT INTO profiles (name, data) VALUES ('bad', ?)", (f"{{{SECRET}",))
    db.close()
    with pytest.raises(ConfigurationError, match="'bad'") as caught:
        cli_profiles(damaged)
    assert SECRET not in str(caught.value)


# -- choosing a profile ----------------------------------------------------------------------

def test_maas_profile_names_the_cli_profile(cli_db):
    found = find_profile(env={"MAAS_PROFILE": "viewer"})
    assert found.name == "viewer" and found.api_key is None


def test_the_only_cli_profile_is_used(tmp_path):
    path = tmp_path / "one.db"
    write_cli_db(path, {"solo": cli_entry("http://h/MAAS/api/2.0/")})
    assert find_profile(env={}, cli_db=path).name == "solo"


def test_several_and_none_named_lists_them(cli_db):
    with pytest.raises(ConfigurationError) as caught:
        find_profile(env={})
    message = str(caught.value)
    assert "admin, viewer" in message and "profile=" in message and "MAAS_PROFILE" in message


def test_nothing_configured_says_how_to_configure():
    with pytest.raises(ConfigurationError) as caught:
        find_profile(env={})
    message = str(caught.value)
    assert "MAAS_URL" in message and "maas login" in message and "%maas login" in message


def test_unknown_profile_lists_names_and_suggests(cli_db):
    with pytest.raises(ConfigurationError) as caught:
        find_profile("admn")
    message = str(caught.value)
    assert "did you mean admin" in message and "known: admin, viewer" in message
    assert "\n" not in message


def test_a_stale_choice_says_where_it_came_from(cli_db):
    with pytest.raises(ConfigurationError, match=r"'gone' \(named by MAAS_PROFILE\)"):
        find_profile(env={"MAAS_PROFILE": "gone"})
    set_current("admin")
    cli_db.unlink()  # `maas logout` of the CLI's last profiles
    with pytest.raises(ConfigurationError, match="your current profile"):
        find_profile(env={})


def test_named_profile_prefers_ours_over_the_cli(cli_db):
    save_profile("admin", "http://ours/MAAS", KEY)
    assert find_profile("admin").url == "http://ours/MAAS"
    assert find_profile("viewer").source.startswith("maascli:")


def test_our_current_profile_beats_maas_profile_and_the_cli(cli_db):
    save_profile("lab", "http://lab/MAAS", None)
    set_current("lab")
    assert find_profile(env={"MAAS_PROFILE": "admin"}).name == "lab"
    set_current("admin")  # the current profile may be one of the CLI's
    assert find_profile(env={}).url == "http://10.0.0.2:5240/MAAS/api/2.0/"


# -- our own store ---------------------------------------------------------------------------

def test_save_creates_a_private_file_even_with_a_permissive_umask(_isolated_home):
    old = os.umask(0)
    try:
        path = save_profile("lab", "http://lab/MAAS", KEY, cacerts=PEM)
    finally:
        os.umask(old)
    assert path == _isolated_home / ".config" / "maas-notebook" / "profiles.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    [lab] = own_profiles().values()
    assert (lab.name, lab.url, lab.api_key, lab.cacerts, lab.source) == (
        "lab", "http://lab/MAAS", KEY, PEM, f"maas-notebook:{path}")


def test_save_replaces_a_world_readable_file_and_leaves_no_temp_files(_isolated_home):
    path = save_profile("a", "http://a/MAAS", KEY)
    path.chmod(0o644)
    save_profile("b", "http://b/MAAS", None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["profiles.json"]
    assert sorted(own_profiles()) == ["a", "b"]


def test_a_failed_save_keeps_the_old_file(_isolated_home, monkeypatch):
    path = save_profile("a", "http://a/MAAS", KEY)
    before = path.read_bytes()

    def refuse(source, target):
        raise OSError("disk full")
    monkeypatch.setattr(profiles.os, "replace", refuse)
    with pytest.raises(OSError):
        save_profile("b", "http://b/MAAS", KEY)
    assert path.read_bytes() == before and os.listdir(path.parent) == ["profiles.json"]


def test_delete_and_current(_isolated_home):
    save_profile("a", "http://a/MAAS", KEY)
    save_profile("b", "http://b/MAAS", KEY)
    assert current_name() is None
    set_current("a")
    assert current_name() == "a" and find_profile(env={}).name == "a"
    assert delete_profile("a") is True and current_name() is None
    assert delete_profile("a") is False
    set_current("b")
    set_current(None)
    assert current_name() is None


def test_current_must_name_a_known_profile(_isolated_home):
    save_profile("lab", "http://lab/MAAS", KEY)
    with pytest.raises(ConfigurationError, match="did you mean lab"):
        set_current("lb")


def test_profile_needs_a_name():
    with pytest.raises(ConfigurationError):
        save_profile("  ", "http://a/MAAS", KEY)


@pytest.mark.parametrize("content", [f'{{"profiles": {{"a": "{SECRET}"', '["not", "a", "store"]',
                                     f'{{"profiles": {{"a": {{"api_key": "{SECRET}"}}}}}}'])
def test_a_damaged_store_is_an_error_that_never_quotes_it(_isolated_home, content):
    path = _isolated_home / ".config" / "maas-notebook" / "profiles.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(ConfigurationError, match="profiles.json") as caught:
        own_profiles()
    assert SECRET not in str(caught.value) and "\n" not in str(caught.value)


def test_list_profiles_redacts_keys_and_marks_the_current_one(cli_db):
    save_profile("admin", "http://ours/MAAS", KEY)
    set_current("admin")
    rows = list_profiles()
    assert [(r["name"], r["source"].split(":")[0], r["current"]) for r in rows] == [
        ("admin", "maas-notebook", True), ("admin", "maascli", False), ("viewer", "maascli", False)]
    assert rows[0]["key"] == "ck1:tk1:…" and rows[2]["key"] is None
    assert SECRET not in repr(rows)


def test_profile_repr_never_shows_the_secret():
    profile = Profile("lab", "http://lab/MAAS", KEY, PEM, "explicit", DESCRIPTION)
    assert SECRET not in repr(profile) and SECRET not in str(profile)
    assert profile.redacted_key == "ck1:tk1:…"
    assert Profile("x", "u", "garbled").redacted_key == "<redacted>"
    assert Profile("x", "u", None).redacted_key is None
    assert hash(profile) == hash(Profile("lab", "http://lab/MAAS", KEY, PEM, "explicit"))


# -- describe cache --------------------------------------------------------------------------

ROOT = "http://10.0.0.2:5240/MAAS/api/2.0/"


def test_cache_round_trip_in_the_user_cache_dir(_isolated_home):
    cache = DescribeCache()
    assert cache.load(ROOT) is None
    cache.save(ROOT, DESCRIPTION)
    path = cache.path_for(ROOT)
    assert path == (_isolated_home / ".cache" / "maas-notebook" / "describe"
                    / (hashlib.sha256(ROOT.encode()).hexdigest() + ".json"))
    assert cache.load(ROOT) == DESCRIPTION
    assert cache.load("http://other/MAAS/api/2.0/") is None
    assert os.listdir(path.parent) == [path.name]


@pytest.mark.parametrize("content", [b"", b'{"truncated": ', b"\xff\xfe\x00", b"[1, 2]", b"null"])
def test_a_corrupt_cache_is_a_miss(tmp_path, content):
    cache = DescribeCache(tmp_path)
    cache.path_for(ROOT).write_bytes(content)
    assert cache.load(ROOT) is None
    cache.save(ROOT, DESCRIPTION)
    assert cache.load(ROOT) == DESCRIPTION


def test_an_unreadable_cache_is_a_miss_and_an_unwritable_one_warns(tmp_path):
    cache = DescribeCache(tmp_path)
    cache.path_for(ROOT).mkdir()  # a directory where the file should be
    assert cache.load(ROOT) is None
    blocked = DescribeCache(tmp_path / "file" / "describe")
    (tmp_path / "file").write_text("not a directory")
    with pytest.warns(UserWarning, match="cannot cache"):
        blocked.save(ROOT, DESCRIPTION)
    assert blocked.load(ROOT) is None


def test_profile_names_come_from_both_stores_without_parsing_cli_profiles(tmp_path):
    db = tmp_path / "cli.db"
    write_cli_db(db, {"prod": cli_entry("http://10.0.0.9:5240/MAAS/")})
    with sqlite3.connect(db) as conn:  # a row whose data no JSON parser would accept
        conn.execute("INSERT INTO profiles (name, data) VALUES ('broken', 'not json')")
    profiles.save_profile("lab", "http://10.0.0.2:5240/MAAS", None)
    assert profiles.profile_names(db) == {"prod", "broken", "lab"}
