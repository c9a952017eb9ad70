"""The widgets in a real JupyterLab, driven by Chromium through Playwright.

The test starts the demo (``python -m maas_notebook demo``: a sandbox MAAS and JupyterLab on
127.0.0.1, a free port each, a token, the notebooks copied to a temporary folder), opens
``03-deploy.ipynb`` in Debian's Chromium, runs it up to the deploy console, checks that the
console rendered (machine list, OS dropdown), selects machines, clicks *Deploy* and waits
until the page shows them Deployed. Then it runs ``02-inventory-analysis.ipynb`` and checks
its capacity plot. Screenshots go to ``$MAAS_NOTEBOOK_SCREENSHOTS`` (default: a temporary
folder, printed); ``docs/screenshots/`` holds the ones the README shows.

No browser is downloaded: Playwright drives ``/usr/bin/chromium`` (``apt-get install
chromium``; ``.ci/run`` installs it). Without it the test fails in CI and skips elsewhere.
Every request the page makes outside 127.0.0.1 is blocked, and the test checks there was none.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from test_notebooks import NOTEBOOKS, Demo, copy_notebooks

from maas_notebook import Client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEPLOY_COUNT = 3
WAIT_MS = 60_000


def require(condition: bool, why: str) -> None:
    """Fail in CI (which must run this test), skip elsewhere."""
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{why}: CI must run the browser test (.ci/run installs chromium with apt-get)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def sync_playwright():
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")  # never fetch a browser
    require(CHROMIUM.is_file(), f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright package is missing (pip install 'maas-notebook[test]')")
    return sync_playwright


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("MAAS_NOTEBOOK_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def demo(sync_playwright, tmp_path_factory):
    """The demo, with a JupyterLab profile that asks no questions (news, update checks)."""
    root = tmp_path_factory.mktemp("lab")
    settings = root / "home" / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    running = Demo(copy_notebooks(root / "notebooks"), root / "home",
                   "--machines", "24", "--deploy-seconds", "3")
    yield running
    status, out, err = running.stop()
    assert status == 0 and "Traceback" not in out + err, (out, err)


@pytest.fixture(scope="module")
def browser(sync_playwright, tmp_path_factory):
    home = tmp_path_factory.mktemp("chromium-home")  # its crash reports and caches go there
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              env={**os.environ, "HOME": str(home)})
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, screenshots, request):
    """A page that may reach 127.0.0.1 only; its last state is kept as ``<test>-page.png``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def loopback_only(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", loopback_only)
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    opened.screenshot(path=str(screenshots / f"{request.node.name}-page.png"))
    context.close()
    assert not outside, f"the page tried to reach beyond 127.0.0.1: {outside}"


def open_notebook(page, demo: Demo, name: str) -> None:
    """Open ``name`` in JupyterLab (a fresh workspace) and wait for an idle kernel."""
    page.goto(f"{demo.lab}/lab/tree/{name}?reset&token={demo.token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    wait_idle(page)


def wait_idle(page) -> None:
    """Until the status bar says the notebook's kernel is idle."""
    page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\(ipykernel\) \| Idle")).wait_for()


def cell_index(name: str, tag: str) -> int:
    cells = nbformat.read(NOTEBOOKS / name, as_version=4).cells
    return next(i for i, cell in enumerate(cells) if tag in cell.metadata.get("tags", []))


def run_cells_through(page, count: int) -> None:
    """Shift+Enter ``count`` times from the first cell, as a person would."""
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")  # command mode: Shift+Enter runs and moves on
    for _ in range(count):
        page.keyboard.press("Shift+Enter")


def snap(page, element, path: Path, margin: int = 12) -> None:
    """A screenshot of ``element`` with a margin of the page around it."""
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    page.screenshot(path=str(path), clip={
        "x": max(box["x"] - margin, 0), "y": max(box["y"] - margin, 0),
        "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin})


def assert_widgets_rendered(page) -> None:
    for broken in ("Loading widget...", "Error displaying widget", "Model not found"):
        assert page.get_by_text(broken).count() == 0, f"a widget shows {broken!r}"


def test_deploy_console_deploys_the_machines_selected_in_the_page(page, demo, screenshots):
    client = Client(demo.maas_url, demo.api_key, cache=False)
    open_notebook(page, demo, "03-deploy.ipynb")
    run_cells_through(page, cell_index("03-deploy.ipynb", "console") + 1)

    console = page.locator(".jp-OutputArea-output").filter(has_text="MAAS deploy console")
    console.wait_for()
    machines = console.locator(".widget-select-multiple select")
    machines.locator("option").first.wait_for(state="attached")
    assert_widgets_rendered(page)
    # one line per Ready machine (the notebook filters on status Ready), and an OS dropdown
    ready = {m["system_id"]: m["hostname"] for m in client.machines.read(status="ready")}
    listed = [line.replace("\xa0", " ") for line in machines.locator("option").all_inner_texts()]
    assert len(listed) == len(ready) and all(" - Ready - " in line for line in listed), listed
    os_choice = console.locator(".widget-dropdown").filter(has=page.locator("label", has_text=re.compile("^OS$")))
    assert "ubuntu" in os_choice.locator("option").all_inner_texts()
    assert os_choice.locator("select").input_value() != ""

    machines.select_option(index=list(range(DEPLOY_COUNT)))
    preview = console.get_by_text(re.compile(rf"on {DEPLOY_COUNT} machine\(s\)"))
    preview.wait_for()
    chosen = [sid for sid, hostname in ready.items() if any(line.startswith(f"{hostname} ({sid})")
                                                           for line in listed[:DEPLOY_COUNT])]
    assert len(chosen) == DEPLOY_COUNT
    console.get_by_role("button", name="Deploy").click()

    console.get_by_text(f"all {DEPLOY_COUNT} machine(s) Deployed").wait_for()
    rows = console.locator(".widget-hbox").filter(has=page.locator(".widget-label", has_text=re.compile("^Deployed$")))
    assert rows.count() == DEPLOY_COUNT
    for sid in chosen:
        assert console.locator(".widget-label", has_text=f"{ready[sid]} ({sid})").count() >= 1
    assert_widgets_rendered(page)
    snap(page, console, screenshots / "deploy-console.png")
    assert {m["status_name"] for m in client.machines.read(id=chosen)} == {"Deployed"}


def test_inventory_plot_renders(page, demo, screenshots):
    open_notebook(page, demo, "02-inventory-analysis.ipynb")
    page.locator(".lm-MenuBar-item", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()

    plot_cell = page.locator(".jp-CodeCell").filter(has_text="Capacity by pool: free (Ready) against used")
    image = plot_cell.locator(".jp-OutputArea-output img")
    image.wait_for()
    image.scroll_into_view_if_needed()
    width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > 600 and height > 200, (width, height)
    last_cell = page.locator(".jp-CodeCell").last
    last_cell.locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for()
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()  # no error, no warning
    snap(page, plot_cell.locator(".jp-OutputArea"), screenshots / "inventory-plot.png")
