"""The shared cast of users and the rules for tests that need real system parts."""

import os
import shutil

import pytest
from django.contrib.auth.models import Group, Permission

from incidents.permissions import grant_role_permissions
from portal import roles

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# beside it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


def _seed_migrated_defaults() -> None:
    """Run the data steps of the project's migrations again (they are idempotent)."""
    from django.apps import apps as registry
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = {"portal", "incidents", "playbooks", "reviews"}
    leaves = [node for node in loader.graph.leaf_nodes() if node[0] in ours]
    done = set()
    for leaf in leaves:
        for node in loader.graph.forwards_plan(leaf):
            if node[0] not in ours or node in done:
                continue
            done.add(node)
            for operation in loader.graph.nodes[node].operations:
                if isinstance(operation, RunPython):
                    operation.code(registry, None)


@pytest.fixture(autouse=True)
def _migrated_defaults(request):
    """Transactional tests (browser, live server, real workers) empty the database after
    each test, which also wipes what the data migrations wrote (roles, response targets,
    decision authority, escalation policies, message templates): put it back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from incidents.models import DecisionAuthority

    if not DecisionAuthority.objects.exists():
        _seed_migrated_defaults()


PASSWORD = "portal-test-pass"


def _required(flag: str) -> bool:
    return os.environ.get(flag, "") in {"1", "true", "yes"}


def need(available: bool, reason: str, flag: str = "REQUIRE_SERVICES") -> None:
    """Skip with ``reason`` when a system part is missing, or fail when ``flag`` demands it."""
    if available:
        return
    if _required(flag):
        pytest.fail(f"{reason} (and {flag}=1 says it must be there)")
    pytest.skip(reason)


def need_program(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} is not installed")
    return path


@pytest.fixture
def chromium_path():
    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}", flag="REQUIRE_BROWSER")
    return CHROMIUM


CAST = {
    "leader": [roles.LEADERSHIP],
    "commander": [roles.COMMANDERS],
    "responder": [roles.RESPONDERS],
    "comms": [roles.COMMUNICATIONS],
    "roster_admin": [roles.ROSTER_ADMINS],
    "outsider": [],
}


def make_user(django_user_model, username: str, role_names: list[str]):
    # get_or_create: transactional tests flush the groups that the migrations made.
    groups = [Group.objects.get_or_create(name=name)[0] for name in role_names]
    user = django_user_model.objects.create_user(
        username=username, password=PASSWORD, first_name=username.replace("_", " ").title()
    )
    user.groups.set(groups)
    return user


@pytest.fixture
def cast(db, django_user_model):
    """One user per portal role, plus an ``outsider`` who holds none."""
    grant_role_permissions(Group, Permission)
    return {name: make_user(django_user_model, name, names) for name, names in CAST.items()}


@pytest.fixture
def client_as(client, cast):
    """``client_as("commander")`` → the test client logged in as that member of the cast."""

    def login(name: str):
        client.force_login(cast[name])
        return client

    return login


ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser(request):
    """Debian's Chromium driven by Playwright; skipped (or failed in CI) when it is missing."""
    need(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM}", flag="REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_login(browser, live_server):
    """``browser_login("commander")`` → a page in a fresh context, logged in through the form."""
    contexts = []

    def login(username: str, password: str = PASSWORD):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield login
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> str:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (rendered panels, rate-limit counters)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def outbound_to_loopback(settings):
    """The egress policy refuses loopback addresses, and tests run with it as strict as in
    production: a test that delivers to its own receiver on 127.0.0.1 allows it with this."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def tasks_run_here(monkeypatch):
    """Tasks sent to the broker, by name or by ``.delay()``, run at once in this process
    instead, as a worker would run them (once the sender's transaction has committed)."""
    from incidents import tasks  # noqa: F401  (registers the tasks, as a worker's start does)
    from portal.celery import app

    def run_here(name, args=None, kwargs=None, **options):
        return app.tasks[name].apply(args=args, kwargs=kwargs, throw=True)

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app, "send_task", run_here)
