import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a test's process must not inherit from the environment pytest runs in.
CLEARED = {
    "DJANGO_SETTINGS_MODULE", "DJANGO_ENV", "SECRET_KEY", "PORT", "PORTAL_BASE_URL",
    "CSRF_TRUSTED_ORIGINS", "PORTAL_VAR_DIR", "SINK_PORT", "NOTIFICATION_SINK_URL",
}


@pytest.fixture
def var_dir(tmp_path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def portal_python(var_dir):
    """``portal_python(code, **environment)`` runs ``code`` in a new Python process of a
    portal whose ``VAR_DIR`` is this test's own, after ``django.setup()``, as web, worker
    and beat start: the settings are read afresh from ``environment``. Returns the
    finished process (``stdout``, ``stderr``, ``returncode``)."""

    def run(code: str, **environment: str) -> subprocess.CompletedProcess:
        env = {name: value for name, value in os.environ.items() if name not in CLEARED}
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            PORTAL_VAR_DIR=str(var_dir),
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        )
        env.update(environment)
        return subprocess.run(
            [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )

    return run
