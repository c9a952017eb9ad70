"""Fixtures shared by every test module.

Real MAAS data lives outside the project in ``../shared/fixtures`` (never copied in); tests
that need it take the ``shared_fixtures`` fixture, which skips with a clear message when the
folder is absent (a fresh clone on its own).
"""

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = PROJECT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """The ``../shared/fixtures`` folder, or a skip saying it is missing."""
    if not (SHARED_FIXTURES / "INDEX.md").is_file():
        pytest.skip(f"real MAAS data not found: {SHARED_FIXTURES} is absent "
                    "(it sits beside the project checkout in the developers' workspace)")
    return SHARED_FIXTURES


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Keep every test away from the real user's caches, profiles and environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name in ("MAAS_URL", "MAAS_API_URL", "MAAS_API_KEY", "MAAS_CACERT", "MAAS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="module")
def sandbox_maas():
    """A sandbox MAAS (12 machines, sub-second deploys) shared by one test module."""
    from maas_notebook.sandbox import Sandbox
    with Sandbox(machines=12, deploy_seconds=0.3, seed=7) as sandbox:
        yield sandbox


@pytest.fixture
def maas_env(sandbox_maas, monkeypatch):
    """The environment pointing ``connect()`` at the module's sandbox."""
    monkeypatch.setenv("MAAS_URL", sandbox_maas.url)
    monkeypatch.setenv("MAAS_API_KEY", sandbox_maas.api_key)
    return sandbox_maas
