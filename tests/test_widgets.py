"""Help, forms and the deploy console, driven headless against the sandbox."""

import json

import ipywidgets as w
import pytest

from maas_notebook import Client, widgets
from maas_notebook.errors import Conflict
from maas_notebook.sandbox import Sandbox
from maas_notebook.widgets.choices import Choices

DOCS = ["maas-2.0-pre.json", "maas-2.1.json", "maas-3.0.json"]


@pytest.fixture(scope="module")
def maas():
    with Sandbox(machines=10, deploy_seconds=0.3, seed=3) as sandbox:
        yield sandbox


@pytest.fixture
def client(maas):
    return Client(maas.url, maas.api_key, cache=False)


def ready(client, count):
    return [m["system_id"] for m in client.machines.read(status="ready")][:count]


@pytest.mark.filterwarnings("ignore::maas_notebook.APIChangedWarning")  # the sandbox's own hash differs
@pytest.mark.parametrize("doc_name", DOCS)
def test_a_form_builds_for_every_action_of_every_real_document(doc_name, shared_fixtures, maas):
    doc = json.loads((shared_fixtures / "describe" / doc_name).read_text())
    client = Client(maas.url, maas.api_key, description=doc, cache=False)
    choices = Choices(client)  # one set of server lookups for the whole sweep
    built = 0
    for handler in client.handlers.values():
        for action in handler.actions.values():
            form = widgets.ActionForm(action, choices=choices)
            assert list(form.fields)[:len(action.uri_params)] == list(action.uri_params)
            assert {p.name for p in action.params} <= set(form.fields)
            built += 1
    assert built > 200


def test_fields_follow_the_parameter_kinds_and_server_choices(client):
    deploy = widgets.form(client.machine.deploy)
    assert isinstance(deploy.fields["system_id"], w.Dropdown)
    labels = [label for label, value in deploy.fields["system_id"].options if value]
    assert labels and all(label.endswith(")") and " (" in label for label in labels)
    assert isinstance(deploy.fields["user_data"], w.Textarea)
    assert isinstance(widgets.form(client.machine.release).fields["erase"], w.Checkbox)
    series = {value for _, value in deploy.fields["distro_series"].options if value}
    assert {"focal", "jammy", "noble"} <= series
    allocate = widgets.form(client.machines.allocate)
    assert isinstance(allocate.fields["cpu_count"], w.IntText)
    assert isinstance(allocate.fields["tags"], w.SelectMultiple)
    assert {v for _, v in allocate.fields["zone"].options if v} == {z["name"] for z in client.zones.read()}
    assert "*" in widgets.form(client.users.create).fields["username"].description  # required


def test_submit_calls_the_action_and_shows_the_result(client, maas):
    sid = ready(client, 1)[0]
    form = widgets.form(client.machine.deploy, system_id=sid)
    form.fields["distro_series"].value = "jammy"
    form.fields["user_data"].value = "#cloud-config\n"
    result = form.submit()
    assert result["status_name"] == "Deploying" and result["distro_series"] == "jammy"
    assert form.result is result and form.error is None and not form.button.disabled
    assert maas.machine_requests[(sid, "deploy")] == 1
    assert form.output.outputs  # something was shown


def test_errors_show_as_one_line_and_destructive_actions_need_two_clicks(client, maas):
    sid = ready(client, 1)[0]
    client.machine.deploy(sid)
    again = widgets.form(client.machine.deploy, system_id=sid)
    assert again.submit() is None and isinstance(again.error, Conflict)
    shown = again.output.outputs[0]["data"]["text/html"]
    assert "Conflict" in shown and "\n" not in shown
    release = widgets.form(client.machine.release, system_id=sid)
    assert release.submit() is None and release.button.description.startswith("Confirm")
    assert maas.machine_requests[(sid, "release")] == 0
    assert release.submit()["system_id"] == sid
    assert maas.machine_requests[(sid, "release")] == 1


def test_action_help_renders_title_table_and_doc(client):
    html = client.machine.deploy._repr_html_()
    assert "<table" in html and "distro_series" in html and "%maas machine deploy SYSTEM_ID" in html
    assert isinstance(widgets.help(client.machine.deploy), w.HTML)


def test_deploy_console_end_to_end_with_one_failure(client, maas):
    ids = ready(client, 3)
    maas.state.fail_next(ids[2])
    console = widgets.deploy(client, interval=0.1)
    assert len(console.fields["machines"].options) == len(client.machines.read())
    assert "ubuntu" in console.fields["osystem"].options
    console.fields["status"].value = "Ready"
    assert all("Ready" in label for label, _ in console.fields["machines"].options)
    console.select(ids)
    assert "3</b> machine(s)" in console.preview.value
    console.fields["distro_series"].value = "jammy"
    console.deploy()
    status = console.join(timeout=20)
    assert status == {ids[0]: "Deployed", ids[1]: "Deployed", ids[2]: "Failed deployment"}
    failed_row = console._rows[ids[2]]
    assert failed_row.bar.bar_style == "danger" and failed_row.message.value
    assert console._rows[ids[0]].bar.value == 1.0
    assert client.machine.read(ids[0])["distro_series"] == "jammy"
    console.select(ids)  # the list was re-read after the deploy: it shows the new statuses
    shown = {sid: label for label, sid in console.fields["machines"].options if sid in ids}
    assert "Deployed" in shown[ids[0]] and "Failed deployment" in shown[ids[2]]
    assert "Deployed" in console.fields["status"].options
    assert console.fields["hwe_kernel"].label == "(default)"
    console.fields["erase"].value = True
    console.release_button.click()  # the first click only arms
    assert console.release_button.description == "Confirm release"
    console.release_button.click()
    assert set(console.join(timeout=20).values()) == {"Ready"}
