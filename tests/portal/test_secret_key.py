"""No secret in the code: without ``SECRET_KEY`` a local portal makes a random key on first
run and keeps it under ``VAR_DIR`` for all its processes and restarts; production refuses
to start without one."""

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.secret_key import development_secret_key
from tests.portal.conftest import ROOT

SHOW_KEY = "from django.conf import settings\nprint(settings.SECRET_KEY)"


def test_the_first_run_makes_a_key_only_its_owner_can_read(portal_python, var_dir):
    shown = portal_python(SHOW_KEY)
    assert shown.returncode == 0, shown.stderr
    kept = var_dir / "secret_key"
    assert shown.stdout.strip() == kept.read_text().strip()
    # Long, and URL-safe: a key beginning with "$" would not survive being handed to another
    # process in SECRET_KEY (django-environ reads it as a reference to another variable).
    assert re.fullmatch(r"[A-Za-z0-9_-]{60,}", shown.stdout.strip())
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert shown.stderr == ""  # no warning about the key, nor anything else


def test_later_runs_keep_the_key_so_sessions_and_links_survive_a_restart(
    portal_python, var_dir
):
    first = portal_python(SHOW_KEY).stdout.strip()
    again = portal_python(SHOW_KEY).stdout.strip()
    assert first and again == first


def test_the_kept_key_handed_to_another_process_is_read_as_is(portal_python, var_dir):
    kept = portal_python(SHOW_KEY).stdout.strip()
    assert portal_python(SHOW_KEY, SECRET_KEY=kept).stdout.strip() == kept


def test_two_portals_do_not_share_a_key(portal_python, tmp_path):
    ours = portal_python(SHOW_KEY).stdout.strip()
    theirs = portal_python(SHOW_KEY, PORTAL_VAR_DIR=str(tmp_path / "other")).stdout.strip()
    assert ours and theirs and ours != theirs


def test_a_key_in_the_environment_wins_and_nothing_is_kept(portal_python, var_dir):
    shown = portal_python(SHOW_KEY, SECRET_KEY="from-the-environment-" + "x" * 40)
    assert shown.stdout.strip() == "from-the-environment-" + "x" * 40
    assert not (var_dir / "secret_key").exists()


def test_production_refuses_to_start_without_a_key(portal_python, var_dir):
    refused = portal_python(SHOW_KEY, DJANGO_ENV="production", ALLOWED_HOSTS="portal.example.org")
    assert refused.returncode != 0
    assert "Set SECRET_KEY" in refused.stderr
    assert not (var_dir / "secret_key").exists()


def test_processes_starting_together_on_the_first_run_all_sign_with_one_key(var_dir):
    """Web, workers and beat start at once under `make run`: whichever links its file
    first wins, and every process (the losers included) reads the winner's key."""
    var_dir.mkdir()
    start_at = time.time() + 1.5  # they all look for the file at the same moment
    code = (
        "import time\nfrom pathlib import Path\n"
        "from portal.secret_key import development_secret_key\n"
        f"time.sleep(max(0.0, {start_at} - time.time()))\n"
        f"print(development_secret_key(Path({str(var_dir)!r})))"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(8)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert keys == {(var_dir / "secret_key").read_text().strip()}
    assert sorted(path.name for path in var_dir.iterdir()) == ["secret_key"]


def test_a_process_that_lost_the_race_reads_the_winners_key(tmp_path, monkeypatch):
    winner = development_secret_key(tmp_path)
    # As if this process had looked for the file just before the winner linked it.
    monkeypatch.setattr(Path, "exists", lambda path: False)
    assert development_secret_key(tmp_path) == winner
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret_key"]


def test_an_emptied_key_file_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ImproperlyConfigured, match=r"delete it .* or set SECRET_KEY"):
        development_secret_key(tmp_path)
