"""%maas and %%maas in a real InteractiveShell, against the sandbox over HTTP."""

import os
import stat

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from maas_notebook.errors import NotFound
from maas_notebook.render import JSONView


@pytest.fixture
def shell(maas_env):
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "maas_notebook")
    yield ip
    ip.run_line_magic("unload_ext", "maas_notebook")
    ip.user_ns.pop("x", None)


def run(ip, cell):
    """Run a cell; return (result, error) as a notebook user would meet them."""
    outcome = ip.run_cell(cell, store_history=False)
    return outcome.result, outcome.error_in_exec


def ready_ids(sandbox):
    from maas_notebook import Client
    return [m["system_id"] for m in Client(sandbox.url, sandbox.api_key).machines.read(status="ready")]


def test_load_and_unload_register_the_magics(shell):
    assert "maas" in shell.magics_manager.magics["line"]
    assert "maas" in shell.magics_manager.magics["cell"]
    shell.run_line_magic("unload_ext", "maas_notebook")
    assert "maas" not in shell.magics_manager.magics["line"]
    shell.run_line_magic("load_ext", "maas_notebook")


def test_whoami_returns_a_dict_shown_as_collapsible_json(shell):
    result = shell.run_line_magic("maas", "users whoami")
    assert isinstance(result, dict) and result["username"] == "admin"
    assert isinstance(result, JSONView)
    assert result._repr_mimebundle_()["application/json"]["username"] == "admin"


def test_listing_comes_back_as_the_inventory_frame_and_raw_as_a_list(shell, maas_env):
    _, error = run(shell, "x = %maas machines read status=ready")
    assert error is None
    frame = shell.user_ns["x"]
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(ready_ids(maas_env))
    assert {"hostname", "status", "ram_gib", "cores"} <= set(frame.columns)
    assert set(frame["status"].astype(str)) == {"Ready"}
    raw = shell.run_line_magic("maas", "machines read status=ready --raw")
    assert isinstance(raw, list) and len(raw) == len(frame)


def test_variables_and_expressions_expand_and_repeated_keys_become_lists(shell, maas_env):
    frame = shell.run_line_magic("maas", "machines read")
    a, b = frame["hostname"].iloc[0], frame["hostname"].iloc[1]
    shell.user_ns.update(first=a, names=[a, b])
    _, error = run(shell, "x = %maas machines read hostname=$first hostname={names[1]}")
    assert error is None and sorted(shell.user_ns["x"]["hostname"]) == sorted([a, b])


def test_quoted_values_keep_spaces(shell, maas_env):
    sid = ready_ids(maas_env)[0]
    shell.run_line_magic("maas", f"machine update {sid} description='rack 4, slot 2'")
    assert shell.run_line_magic("maas", f"machine read {sid}")["description"] == "rack 4, slot 2"


def test_file_argument_and_cell_body_feed_user_data(shell, maas_env, tmp_path):
    first, second = ready_ids(maas_env)[:2]
    cloud = tmp_path / "cloud.yaml"
    cloud.write_text("#cloud-config\npackages: [htop]\n")
    deployed = shell.run_line_magic("maas", f"machine deploy {first} user_data@={cloud}")
    assert deployed["status_name"] == "Deploying"
    shell.user_ns["sid"] = second
    result, error = run(shell, "%%maas machine deploy $sid user_data@=-\n#cloud-config\nruncmd: [ls]\n")
    assert error is None and result["system_id"] == second
    for sid in (first, second):
        shell.run_line_magic("maas", f"machine release {sid}")


def test_cell_of_commands_returns_the_last_result(shell):
    result, error = run(shell, "%%maas\nusers whoami\n\nzones read --raw\n")
    assert error is None and isinstance(result, list) and "name" in result[0]


def test_help_at_every_level(shell, capsys):
    shell.run_line_magic("maas", "--help")
    top = capsys.readouterr().out
    assert "%maas [PROFILE] HANDLER ACTION" in top and "machines" in top and "login NAME URL" in top
    shell.run_line_magic("maas", "machine --help")
    assert "deploy" in capsys.readouterr().out
    shell.run_line_magic("maas", "machine deploy --help")
    action = capsys.readouterr().out
    assert "usage: %maas machine deploy SYSTEM_ID" in action and "distro_series" in action


def test_user_mistakes_fail_the_cell_with_one_line(shell, capsys):
    for line, message in [("machin read", "did you mean machine"),
                          ("machine deplyo x", "did you mean deploy"),
                          ("machines read comment='open", "quotes"),
                          ("machine deploy x user_data@=/no/such/file", "cannot read")]:
        _, error = run(shell, f"%maas {line}")
        assert isinstance(error, UsageError) and message in str(error), line
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err


def test_missing_uri_parameter_and_server_errors_are_one_line(shell, capsys):
    _, error = run(shell, "%maas machine deploy")
    assert "missing the URI parameter 'system_id'" in str(error)
    _, error = run(shell, "%maas machine read nosuch")
    assert isinstance(error, NotFound) and "404" in str(error)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "NotFound: 404" in out.out + out.err


def test_traceback_option_shows_the_chain(shell, capsys):
    shell.run_line_magic("config", "MaasMagic.traceback = True")
    try:
        run(shell, "%maas machine read nosuch")
        out = capsys.readouterr()
        assert "Traceback" in out.out + out.err
    finally:
        shell.run_line_magic("config", "MaasMagic.traceback = False")


def test_output_file_and_empty_answers(shell, maas_env, tmp_path, capsys):
    target = tmp_path / "whoami.json"
    shell.run_line_magic("maas", f"users whoami --output {target}")
    assert '"username": "admin"' in target.read_text()
    sid = ready_ids(maas_env)[0]
    shell.run_line_magic("maas", f"machine set_owner_data {sid} team=infra")
    assert shell.run_line_magic("maas", f"machine read {sid}")["owner_data"]["team"] == "infra"


def test_login_profiles_use_logout(shell, maas_env, monkeypatch):
    secret = maas_env.api_key.split(":")[2]
    monkeypatch.delenv("MAAS_URL")
    monkeypatch.delenv("MAAS_API_KEY")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": maas_env.api_key)
    shell.run_line_magic("maas", f"login sandbox {maas_env.url} -")
    store = os.path.expanduser("~/.config/maas-notebook/profiles.json")
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    table = shell.run_line_magic("maas", "profiles")
    assert "sandbox" in set(table["name"]) and secret not in table.to_string()
    assert shell.run_line_magic("maas", "sandbox users whoami")["username"] == "admin"
    shell.run_line_magic("maas", "use sandbox")
    assert shell.run_line_magic("maas", "users whoami")["username"] == "admin"
    shell.run_line_magic("maas", "logout sandbox")
    _, error = run(shell, "%maas use sandbox")
    assert error is not None and "sandbox" in str(error)


def test_login_with_a_wrong_key_saves_nothing(shell, maas_env):
    _, error = run(shell, f"%maas login bad {maas_env.url} ck:tk:wrong")
    assert error is not None and "401" in str(error)
    assert "bad" not in set(shell.run_line_magic("maas", "profiles")["name"])


def test_max_rows_limits_what_a_listing_shows(shell):
    shell.run_line_magic("config", "MaasMagic.max_rows = 4")
    try:
        frame = shell.run_line_magic("maas", "machines read")
        assert len(frame) == 12 and "..." in repr(frame)
        assert len(frame.head(12)) == 12  # derived frames are plain DataFrames
    finally:
        shell.run_line_magic("config", "MaasMagic.max_rows = None")


def test_tab_completion_of_handlers_actions_params_and_values(shell):
    from IPython.core.completer import provisionalcompleter

    def complete(line):
        with provisionalcompleter():
            return [c.text for c in shell.Completer.completions(line, len(line))]
    assert {"machine", "machines"} <= set(complete("%maas mach"))
    assert "deploy" in complete("%maas machine dep")
    assert "distro_series=" in complete("%maas machine deploy abc dist")
    zones = {z["name"] for z in shell.run_line_magic("maas", "zones read --raw")}
    assert zones <= set(complete("%maas machines read zone="))
    assert "ready" in complete("%maas machines read status=re")
    shell.run_line_magic("maas", "machines read")
    assert any(len(c) == 6 for c in complete("%maas machine deploy "))  # system_ids


def test_form_flag_returns_a_prefilled_form(shell, maas_env):
    sid = ready_ids(maas_env)[0]
    form = shell.run_line_magic("maas", f"machine deploy {sid} distro_series=jammy --form")
    assert form.fields["system_id"].value == sid and form.fields["distro_series"].value == "jammy"


def test_no_output_of_the_magic_ever_contains_the_token_secret(shell, maas_env, capsys):
    secret = maas_env.api_key.split(":")[2]
    shown = []
    for line in ["users whoami", "machines read", "profiles", "--help", "machine read nosuch",
                 f"login leak {maas_env.url} {maas_env.api_key}", "profiles", "logout leak"]:
        result, error = run(shell, f"%maas {line}")
        shown += [repr(result), str(error), repr(error)]
    captured = capsys.readouterr()
    shown += [captured.out, captured.err]
    assert not [text for text in shown if secret in text]


def test_cell_body_lines_expand_the_users_variables_not_the_magics(shell):
    frame = shell.run_line_magic("maas", "machines read")
    shell.user_ns.update(first=frame.index[0], line="shadowed?")
    result, error = run(shell, "%%maas\nmachine read $first\n")
    assert error is None and result["system_id"] == frame.index[0]


def test_listings_are_shaped_by_what_came_back(shell):
    shell.run_line_magic("maas", "tags create name=shaped")
    sid = shell.run_line_magic("maas", "machines read").index[0]
    shell.run_line_magic("maas", f"tag update_nodes shaped add={sid}")
    tagged = shell.run_line_magic("maas", "tag machines shaped")
    assert list(tagged.index) == [sid] and "hostname" in tagged.columns  # machines, not tags
    events = shell.run_line_magic("maas", f"events query id={sid} limit=3")
    assert isinstance(events, pd.DataFrame) and len(events) <= 3 and "description" in events.columns


def test_cell_body_for_a_text_parameter_is_sent_as_text(shell):
    result, error = run(shell, "%%maas tags create name=edge comment@=-\nmachines at the edge\n")
    assert error is None
    assert shell.run_line_magic("maas", "tag read edge")["comment"] == "machines at the edge\n"
