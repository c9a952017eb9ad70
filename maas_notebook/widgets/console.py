"""The deploy console: pick machines, pick an OS, deploy, watch them come up.

The machine list comes from :func:`~maas_notebook.frames.machines_frame` with filters;
deploying and releasing run :mod:`~maas_notebook.waiters` on a background thread, so the
kernel stays free (other cells run meanwhile) and scripts drive it the same way through
``select()``, ``deploy()``, ``release()``, ``status`` and ``join()``.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import Any, Iterable

import ipywidgets as w

from .. import waiters
from ..errors import DeployFailed, MAASError
from ..frames import machines_frame
from .choices import Choices
from .show import error_html

_ANY = "(any)"
_STYLE = {"description_width": "110px"}


class MachineRow(w.HBox):
    """One machine's live line: name, status, elapsed time, progress bar, message."""

    def __init__(self, system_id: str, hostname: str):
        self.system_id, self.started = system_id, time.monotonic()
        self.name = w.Label(f"{hostname} ({system_id})", layout=w.Layout(width="220px"))
        self.state = w.Label("submitting", layout=w.Layout(width="140px"))
        self.elapsed = w.Label("0 s", layout=w.Layout(width="60px"))
        self.bar = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="200px"))
        self.message = w.HTML("")
        super().__init__([self.name, self.state, self.elapsed, self.bar, self.message])

    def show(self, status: str, target: str) -> None:
        self.state.value = status
        self.elapsed.value = f"{time.monotonic() - self.started:.0f} s"
        if status == target:
            self.bar.value, self.bar.bar_style = 1.0, "success"
        elif waiters.is_failure(status) or status.startswith("refused"):
            self.bar.value, self.bar.bar_style = 1.0, "danger"
        else:  # in progress: creep towards the end without claiming it
            self.bar.value = min(0.9, max(self.bar.value, 0.1) + 0.05)

    def explain(self, failure: dict) -> None:
        # Whatever its status name says ("refused (409)", "not started ..."), it failed.
        self.bar.value, self.bar.bar_style = 1.0, "danger"
        events = "; ".join(failure.get("events") or [])
        why = failure.get("status_message") or failure.get("error_description") or ""
        self.message.value = (f"<span style='color:#c7162b'>{escape(why)}</span>"
                              + (f" <small>events: {escape(events)}</small>" if events else ""))


class DeployConsole(w.VBox):
    """Deploy and release machines with live progress. See :func:`deploy`."""

    def __init__(self, client, interval: float = 2.0, timeout: float = waiters.DEFAULT_TIMEOUT):
        self.client, self.interval, self.timeout = client, interval, timeout
        self.choices = Choices(client)
        self.status: dict[str, str] = {}
        self.failures: dict[str, dict] = {}
        self.error: MAASError | None = None
        self._thread: threading.Thread | None = None
        self._rows: dict[str, MachineRow] = {}
        self.frame = machines_frame(client.machines.read())
        self.fields = self._build_fields()
        self.preview = w.HTML()
        self.deploy_button = w.Button(description="Deploy", button_style="primary", icon="rocket")
        self.release_button = w.Button(description="Release", button_style="warning")
        self.deploy_button.on_click(lambda _b: self.deploy())
        self.release_button.on_click(lambda _b: self._release_clicked())
        self._release_armed = False
        self.rows = w.VBox()
        self.message = w.HTML()
        for name in ("status", "zone", "pool", "tags", "min_cores", "min_ram_gib"):
            self.fields[name].observe(lambda _change: self._filter(), names="value")
        for name in ("machines", "osystem", "distro_series", "hwe_kernel"):
            self.fields[name].observe(lambda _change: self._preview(), names="value")
        self.fields["osystem"].observe(lambda _change: self._series_for_os(), names="value")
        self._filter()
        super().__init__([
            w.HTML("<h4>MAAS deploy console</h4>"),
            w.HBox([self.fields[n] for n in ("status", "zone", "pool")]),
            w.HBox([self.fields[n] for n in ("tags", "min_cores", "min_ram_gib")]),
            self.fields["machines"],
            w.HBox([self.fields[n] for n in ("osystem", "distro_series", "hwe_kernel")]),
            self.fields["user_data"], self.preview,
            w.HBox([self.deploy_button, self.release_button, self.fields["erase"],
                    self.fields["secure_erase"], self.fields["quick_erase"]]),
            self.message, self.rows])

    # -- building -----------------------------------------------------------------------

    def _filter_options(self, column: str) -> list[str]:
        values = sorted({str(v) for v in self.frame[column].dropna()}) if len(self.frame) else []
        return [_ANY, *values]

    def _build_fields(self) -> dict[str, w.Widget]:
        def pick(name: str) -> w.Dropdown:
            return w.Dropdown(options=self._filter_options(name), value=_ANY, description=name,
                              style=_STYLE)

        osystems = [v for _, v in self.choices.osystems]
        return {
            "status": pick("status"), "zone": pick("zone"), "pool": pick("pool"),
            "tags": w.Text(description="tags", placeholder="all of, comma separated", style=_STYLE),
            "min_cores": w.IntText(value=0, description="min cores", style=_STYLE),
            "min_ram_gib": w.FloatText(value=0.0, description="min RAM GiB", style=_STYLE),
            "machines": w.SelectMultiple(options=[], rows=10, description="machines", style=_STYLE,
                                         layout=w.Layout(width="80%")),
            "osystem": w.Dropdown(options=osystems, value="ubuntu" if "ubuntu" in osystems else
                                  (osystems[0] if osystems else None), description="OS", style=_STYLE),
            "distro_series": w.Dropdown(options=[], description="series", style=_STYLE),
            # "" rather than None: ipywidgets 8 shows a None value as no selection at all.
            "hwe_kernel": w.Dropdown(options=[("(default)", "")] + self.choices.kernels,
                                     value="", description="kernel", style=_STYLE),
            "user_data": w.Textarea(placeholder="#cloud-config (plain text)", description="user data",
                                    style=_STYLE, layout=w.Layout(width="80%", height="80px")),
            "erase": w.Checkbox(description="erase", indent=False),
            "secure_erase": w.Checkbox(description="secure erase", indent=False),
            "quick_erase": w.Checkbox(description="quick erase", indent=False),
        }

    def _series_for_os(self) -> None:
        series = [v for _, v in self.choices.series_of(self.fields["osystem"].value or "")]
        field = self.fields["distro_series"]
        field.options = series
        field.value = series[-1] if series else None  # newest last in sorted codenames? keep a value
        self._preview()

    def _filter(self) -> None:
        frame, f = self.frame, self.fields
        if len(frame):
            keep = frame["cores"].fillna(0) >= f["min_cores"].value
            keep &= frame["ram_gib"].fillna(0) >= f["min_ram_gib"].value
            for name in ("status", "zone", "pool"):
                if f[name].value != _ANY:
                    keep &= frame[name].astype(str) == f[name].value
            wanted = {t.strip() for t in f["tags"].value.split(",") if t.strip()}
            if wanted:
                keep &= frame["tags"].map(lambda tags: wanted <= set(tags or ()))
            frame = frame[keep]
        selected = set(f["machines"].value)
        f["machines"].options = [(_row_label(sid, row), sid) for sid, row in frame.iterrows()]
        f["machines"].value = tuple(sid for sid in frame.index if sid in selected)
        if not f["distro_series"].options:
            self._series_for_os()
        self._preview()

    def _preview(self) -> None:
        chosen = self.fields["machines"].value
        os_name = f"{self.fields['osystem'].value}/{self.fields['distro_series'].value}"
        kernel = self.fields["hwe_kernel"].value or "the default kernel"
        names = ", ".join(self._hostname(sid) for sid in chosen[:8]) + (" ..." if len(chosen) > 8 else "")
        self.preview.value = (f"Deploy will install <b>{escape(os_name)}</b> with {escape(kernel)} on "
                              f"<b>{len(chosen)}</b> machine(s): {escape(names)}" if chosen
                              else "<i>select machines to deploy or release</i>")

    def _hostname(self, system_id: str) -> str:
        return str(self.frame["hostname"].get(system_id, system_id)) if len(self.frame) else system_id

    # -- actions ------------------------------------------------------------------------

    def select(self, system_ids: Iterable[str]) -> "DeployConsole":
        """Select these machines (filters are cleared so that every one of them is listed)."""
        for name in ("status", "zone", "pool"):
            self.fields[name].value = _ANY
        self.fields["tags"].value, self.fields["min_cores"].value, self.fields["min_ram_gib"].value = "", 0, 0.0
        known = {sid for _, sid in self.fields["machines"].options}
        self.fields["machines"].value = tuple(sid for sid in system_ids if sid in known)
        return self

    def deploy(self) -> None:
        """Deploy the selected machines with the chosen OS; progress updates live."""
        user_data = self.fields["user_data"].value
        params = {"osystem": self.fields["osystem"].value,
                  "distro_series": self.fields["distro_series"].value,
                  "hwe_kernel": self.fields["hwe_kernel"].value or None,
                  "user_data": user_data.encode() if user_data else None}
        self._start(waiters.deploy_many, "Deployed", params)

    def release(self) -> None:
        """Release the selected machines (with the chosen erase options) back to Ready."""
        params = {name: True for name in ("erase", "secure_erase", "quick_erase") if self.fields[name].value}
        self._start(waiters.release_many, "Ready", params)

    def _release_clicked(self) -> None:
        if not self._release_armed:  # the first click only arms: releasing can erase disks
            self._release_armed = True
            self.release_button.description, self.release_button.button_style = "Confirm release", "danger"
            return
        self._release_armed = False
        self.release_button.description, self.release_button.button_style = "Release", "warning"
        self.release()

    def _start(self, bulk, target: str, params: dict) -> None:
        chosen = list(self.fields["machines"].value)
        if not chosen or (self._thread and self._thread.is_alive()):
            self.message.value = "<i>select machines first</i>" if not chosen else "<i>still busy</i>"
            return
        self._rows = {sid: MachineRow(sid, self._hostname(sid)) for sid in chosen}
        self.rows.children = list(self._rows.values())
        self.status, self.failures, self.error = {sid: "submitting" for sid in chosen}, {}, None
        self.deploy_button.disabled = self.release_button.disabled = True
        self.message.value = ""
        self._thread = threading.Thread(target=self._run, args=(bulk, target, chosen, params),
                                        name="maas-deploy-console", daemon=True)
        self._thread.start()

    def _run(self, bulk, target: str, chosen: list[str], params: dict) -> None:
        def update(statuses: dict[str, str]) -> None:
            self.status.update(statuses)
            for sid, status in statuses.items():
                if sid in self._rows:
                    self._rows[sid].show(status, target)
        try:
            bulk(self.client, chosen, wait=True, progress=False, on_update=update,
                 interval=self.interval, timeout=self.timeout,
                 **{k: v for k, v in params.items() if v is not None})
            self.message.value = f"<b>all {len(chosen)} machine(s) {escape(target)}</b>"
        except DeployFailed as failed:
            self.failures = failed.failures
            for sid, failure in failed.failures.items():
                self.status[sid] = failure.get("status_name", "failed")
                if sid in self._rows:
                    self._rows[sid].show(self.status[sid], target)
                    self._rows[sid].explain(failure)
            self.message.value = error_html(failed)
        except MAASError as exc:
            self.error = exc
            self.message.value = error_html(exc)
        finally:
            self.deploy_button.disabled = self.release_button.disabled = False
            self.refresh()

    def refresh(self) -> None:
        """Re-read the machines, so the list and its filters show their statuses now."""
        try:
            self.frame = machines_frame(self.client.machines.read())
        except MAASError as exc:  # keep the old list; say why it is stale
            self.message.value += "<br>" + error_html(exc)
            return
        for name in ("status", "zone", "pool"):
            field, options = self.fields[name], self._filter_options(name)
            kept = field.value if field.value in options else _ANY
            with field.hold_trait_notifications():
                field.options, field.value = options, kept
        self._filter()

    def join(self, timeout: float | None = None) -> dict[str, str]:
        """Wait for the running deploy or release to finish; returns ``status``."""
        if self._thread:
            self._thread.join(timeout)
        return self.status


def _row_label(system_id: str, row: Any) -> str:
    ram = "" if row["ram_gib"] != row["ram_gib"] or row["ram_gib"] is None else f"{row['ram_gib']:.0f} GiB"
    return (f"{row['hostname']} ({system_id}) - {row['status']} - {row['zone']}/{row['pool']} - "
            f"{row['cores']} cores {ram}")


def deploy(client, interval: float = 2.0, timeout: float = waiters.DEFAULT_TIMEOUT) -> DeployConsole:
    """The deploy console for ``client``: filters, machines, OS choices, Deploy and Release."""
    return DeployConsole(client, interval=interval, timeout=timeout)
