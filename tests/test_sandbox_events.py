"""``events query``: newest first, filters, levels and MAAS's before/after paging."""

from urllib.parse import parse_qs, urlsplit

from sandbox_helpers import admin, sandbox  # noqa: F401 - fixtures


def follow(api, uri):
    """Call a ``prev_uri``/``next_uri`` as a client would."""
    parts = urlsplit(uri)
    params = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(parts.query).items()}
    op = params.pop("op")
    return api.ok("GET", parts.path.split("/api/2.0/", 1)[1], op, **params)


def test_events_come_newest_first_with_maas_fields(admin):
    page = admin.ok("GET", "events/", "query")
    assert set(page) == {"count", "events", "next_uri", "prev_uri"}
    assert page["count"] == len(page["events"]) == 40  # one event per machine at the start
    ids = [event["id"] for event in page["events"]]
    assert ids == sorted(ids, reverse=True)
    assert set(page["events"][0]) == {"username", "node", "hostname", "id", "level", "created",
                                      "type", "description"}


def test_paging_back_with_prev_uri_visits_every_event_once(admin):
    page = admin.ok("GET", "events/", "query", limit=7, level="DEBUG")
    assert page["prev_uri"].startswith("/MAAS/api/2.0/events/?op=query&")
    seen = []
    while page["events"]:
        assert page["count"] <= 7
        seen += [event["id"] for event in page["events"]]
        page = follow(admin, page["prev_uri"])
    assert seen == sorted(set(seen), reverse=True)
    assert seen[-1] == 1 and len(seen) == seen[0]  # no AUDIT events yet: DEBUG shows all


def test_next_uri_brings_only_newer_events(admin):
    page = admin.ok("GET", "events/", "query", limit=5)
    assert parse_qs(urlsplit(page["next_uri"]).query)["after"] == [str(page["events"][0]["id"])]
    assert follow(admin, page["next_uri"])["events"] == []
    machine = admin.ok("POST", "machines/", "allocate")
    admin.ok("POST", f"machines/{machine['system_id']}/", "power_on")
    newer = follow(admin, page["next_uri"])
    assert newer["events"] and all(e["id"] > page["events"][0]["id"] for e in newer["events"])
    assert [e["type"] for e in newer["events"]] == ["Powering on"]
    # An empty page keeps its place, so polling next_uri never loses events.
    empty = follow(admin, newer["next_uri"])
    assert empty["events"] == [] and empty["next_uri"] == newer["next_uri"]


def test_after_returns_the_oldest_events_after_the_id_newest_first(admin):
    events = admin.ok("GET", "events/", "query", after=10, limit=3)["events"]
    assert [event["id"] for event in events] == [13, 12, 11]


def test_levels_are_minimums_and_info_is_the_default(admin):
    machine = admin.ok("POST", "machines/", "allocate")
    system_id = machine["system_id"]
    levels = {level: {e["level"] for e in admin.ok("GET", "events/", "query", id=system_id,
                                                      level=level)["events"]}
              for level in ("AUDIT", "DEBUG", "INFO")}
    assert levels["AUDIT"] == {"AUDIT", "DEBUG", "INFO"}
    assert levels["DEBUG"] == {"DEBUG", "INFO"}
    default = admin.ok("GET", "events/", "query", id=system_id)["events"]
    assert {e["level"] for e in default} == levels["INFO"] == {"INFO"}


def test_events_filter_by_machine_zone_and_owner(admin):
    machines = admin.ok("GET", "machines/")
    one, two = machines[0], machines[1]
    by_host = admin.ok("GET", "events/", "query", hostname=[one["hostname"], two["hostname"]])
    assert {e["node"] for e in by_host["events"]} == {one["system_id"], two["system_id"]}
    by_zone = admin.ok("GET", "events/", "query", zone="az1")["events"]
    in_az1 = {m["system_id"] for m in machines if m["zone"]["name"] == "az1"}
    assert by_zone and {e["node"] for e in by_zone} == in_az1
    admin.ok("POST", "machines/", "allocate")
    mine = admin.ok("GET", "events/", "query", owner="admin", level="AUDIT")["events"]
    assert mine and all(e["username"] == "admin" for e in mine)


def test_bad_paging_parameters_are_refused(admin):
    assert admin.get("events/", "query", before=5, after=2).status_code == 400
    assert admin.get("events/", "query", limit=1001).status_code == 400
    assert "level" in admin.get("events/", "query", level="LOUD").json()
