"""Users, configuration, version, and the inventory handlers: zones, pools, tags, boot
resources, subnets, fabrics and VLANs."""

from sandbox_helpers import admin, anonymous, first, ops, sandbox  # noqa: F401


def test_version_answers_like_maas_3(anonymous):
    version = anonymous.ok("GET", "version/")
    assert set(version) == {"capabilities", "version", "subversion"}
    assert "authenticate-api" in version["capabilities"]


# -- users ----------------------------------------------------------------------------------

def test_users_read_and_whoami(admin):
    users = admin.ok("GET", "users/")
    assert {u["username"] for u in users} == {"admin", "ops"}
    assert set(users[0]) == {"is_superuser", "username", "email", "is_local", "resource_uri"}
    assert admin.ok("GET", "users/admin/")["is_superuser"] is True
    missing = admin.get("users/nobody/")
    assert (missing.status_code, missing.text) == (404, "No User matches the given query.")


def test_admins_create_users_who_can_then_be_read(admin):
    created = admin.ok("POST", "users/", username="dana", email="dana@example.com",
                       password="s3cret", is_superuser="0")
    assert (created["username"], created["is_superuser"]) == ("dana", False)
    assert admin.ok("GET", "users/dana/")["email"] == "dana@example.com"


def test_user_creation_is_validated_like_a_maas_form(admin, ops):
    missing = admin.post("users/", username="eve")
    assert missing.status_code == 400 and missing.json() == {"email": ["This field is required."]}
    duplicate = admin.post("users/", username="ops", email="x@example.com", password="p",
                           is_superuser="0")
    assert duplicate.json() == {"username": ["A user with that username already exists."]}
    assert ops.post("users/", username="mallory", email="m@example.com", password="p",
                    is_superuser="1").status_code == 403


def test_deleting_users(admin, sandbox):
    sandbox.add_user("frank")
    assert admin.delete("users/frank/").status_code == 204
    assert admin.get("users/frank/").status_code == 404
    owner_of_machines = admin.delete("users/ops/")
    assert owner_of_machines.status_code == 400 and "still allocated" in owner_of_machines.text
    assert admin.delete("users/ops/", transfer_resources_to="admin").status_code == 204
    assert not admin.ok("GET", "machines/", owner="ops")
    assert admin.delete("users/admin/").status_code == 400  # not yourself


# -- configuration ----------------------------------------------------------------------------

def test_get_and_set_config(admin, ops):
    assert admin.ok("GET", "maas/", "get_config", name="default_distro_series") == "jammy"
    response = admin.post("maas/", "set_config", name="default_distro_series", value="noble")
    assert (response.status_code, response.text) == (200, "OK")
    assert admin.ok("GET", "maas/", "get_config", name="default_distro_series") == "noble"
    assert admin.post("maas/", "set_config", name="maas_name", value="lab").status_code == 200
    assert ops.ok("GET", "maas/", "get_config", name="maas_name") == "lab"
    assert ops.post("maas/", "set_config", name="maas_name", value="x").status_code == 403


def test_config_names_and_values_are_checked(admin):
    assert "name" in admin.get("maas/", "get_config", name="no_such_item").json()
    assert "name" in admin.get("maas/", "get_config").json()
    assert "value" in admin.post("maas/", "set_config", name="default_distro_series",
                                 value="warty").json()
    admin.post("maas/", "set_config", name="enable_disk_erasing_on_release", value="1")
    assert admin.ok("GET", "maas/", "get_config", name="enable_disk_erasing_on_release") is True


# -- zones, pools, network, images -----------------------------------------------------------

def test_zones_and_pools(admin):
    zones = admin.ok("GET", "zones/")
    assert "default" in {z["name"] for z in zones}
    assert admin.ok("GET", "zones/az1/") == first(zones, name="az1")
    assert admin.get("zones/atlantis/").text == "No Zone matches the given query."
    pools = admin.ok("GET", "resourcepools/")
    assert first(pools, name="default")["id"] == 0
    gpu = first(pools, name="gpu")
    assert gpu["resource_uri"] == f"/MAAS/api/2.0/resourcepool/{gpu['id']}/"
    assert admin.ok("GET", f"resourcepool/{gpu['id']}/") == gpu
    assert admin.ok("GET", "resourcepool/gpu/") == gpu
    assert admin.get("resourcepool/99/").status_code == 404


def test_subnets_fabrics_and_vlans(admin):
    subnets = admin.ok("GET", "subnets/")
    assert {"cidr", "vlan", "gateway_ip", "space"} <= set(subnets[0])
    fabrics = admin.ok("GET", "fabrics/")
    assert {f["name"] for f in fabrics} == {"fabric-0", "fabric-1"}
    vlans = admin.ok("GET", "fabrics/0/vlans/")
    assert vlans == fabrics[0]["vlans"] and {v["vid"] for v in vlans} == {0, 100}
    assert admin.get("fabrics/7/vlans/").text == "No Fabric matches the given query."


def test_boot_resources_offer_ubuntu_and_centos(admin):
    resources = admin.ok("GET", "boot-resources/")
    names = {r["name"] for r in resources}
    assert {"ubuntu/focal", "ubuntu/jammy", "ubuntu/noble", "centos/centos70"} <= names
    jammy = {r["architecture"] for r in resources if r["name"] == "ubuntu/jammy"}
    assert {"amd64/ga-22.04", "amd64/hwe-22.04", "arm64/ga-22.04"} <= jammy
    assert all(set(r) >= {"id", "type", "name", "architecture", "resource_uri"}
               for r in resources)


# -- tags ------------------------------------------------------------------------------------

def test_tags_are_created_read_and_deleted(admin, ops):
    created = admin.ok("POST", "tags/", name="rack-4", comment="row D", kernel_opts="quiet")
    assert created == {"name": "rack-4", "definition": "", "comment": "row D",
                       "kernel_opts": "quiet", "resource_uri": "/MAAS/api/2.0/tags/rack-4/"}
    assert admin.ok("GET", "tags/rack-4/") == created
    assert "rack-4" in {t["name"] for t in admin.ok("GET", "tags/")}
    assert admin.post("tags/", name="rack-4").json() == {
        "name": ["Tag with this Name already exists."]}
    assert "name" in admin.post("tags/", name="bad name!").json()
    assert ops.post("tags/", name="mine").status_code == 403
    assert admin.delete("tags/rack-4/").status_code == 204
    assert admin.get("tags/rack-4/").text == "No Tag matches the given query."


def test_update_nodes_tags_machines_and_machines_lists_them(admin):
    admin.ok("POST", "tags/", name="canary")
    ids = [m["system_id"] for m in admin.ok("GET", "machines/")[:3]]
    assert admin.ok("POST", "tags/canary/", "update_nodes", add=ids + ["nosuch"]) == {
        "added": 3, "removed": 0}
    assert {m["system_id"] for m in admin.ok("GET", "tags/canary/", "machines")} == set(ids)
    assert "canary" in admin.ok("GET", f"machines/{ids[0]}/")["tag_names"]
    assert admin.ok("POST", "tags/canary/", "update_nodes", remove=ids[0]) == {
        "added": 0, "removed": 1}
    assert len(admin.ok("GET", "machines/", tags="canary")) == 2
    admin.delete("tags/canary/")
    assert "canary" not in admin.ok("GET", f"machines/{ids[1]}/")["tag_names"]


def test_uri_parameters_arrive_percent_decoded(admin):
    admin.ok("POST", "users/", username="jane.doe@corp", email="jane@example.com",
             password="p", is_superuser="false")
    assert admin.ok("GET", "users/jane.doe%40corp/")["username"] == "jane.doe@corp"
