"""The bench's own database and broker, beside the developer's and never on top of them.

The portal is measured with the configuration it is given (``DATABASE_URL``, ``REDIS_URL``), but
on separate storage so that a bench run neither reads nor disturbs real data:

* PostgreSQL: a database named ``portal_bench`` on the same server, recreated for each run.
* SQLite: a file in a temporary folder, removed afterwards.
* Redis: the same server, database number 15 (``BENCH_REDIS_URL`` to choose another).
* The filesystem broker, beat's schedule file and static files: the same temporary folder.

``BENCH_DATABASE_URL`` names another bench database explicitly; ``BENCH_KEEP_DATABASE=1``
reuses the PostgreSQL bench database instead of recreating it.

Nothing here imports Django: the environment must be in place before the settings are read.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_NAME = "portal_bench"
BENCH_REDIS_DB = 15
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql", "postgis"}


def database_kind(url: str) -> str:
    """``postgresql`` or ``sqlite`` (the default when no URL is set), else the URL's scheme."""
    if not url:
        return "sqlite"
    scheme = urlsplit(url).scheme.lower()
    if scheme in POSTGRES_SCHEMES:
        return "postgresql"
    if scheme.startswith("sqlite"):
        return "sqlite"
    return scheme


def broker_kind(url: str) -> str:
    """``redis`` when a Redis URL is set, ``filesystem`` (kombu's embedded transport) when not."""
    if not url:
        return "filesystem"
    scheme = urlsplit(url).scheme.lower()
    return "redis" if scheme in {"redis", "rediss"} else scheme


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


@dataclass
class BenchEnvironment:
    """Where one bench run keeps its data, and the variables every process it starts gets."""

    database: str
    broker: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def prepare() -> BenchEnvironment:
    """Build the bench environment from ``os.environ``; creates the PostgreSQL database."""
    source_database = os.environ.get("DATABASE_URL", "").strip()
    source_broker = os.environ.get("REDIS_URL", "").strip()
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-")).resolve()
    env = dict(os.environ)
    try:
        database = database_kind(source_database)
        if database == "postgresql":
            bench_url = os.environ.get("BENCH_DATABASE_URL") or with_path(
                source_database, f"/{BENCH_DATABASE_NAME}"
            )
            if bench_url.rstrip("/") == source_database.rstrip("/"):
                raise RuntimeError("the bench database must not be the portal's own database")
            keep = os.environ.get("BENCH_KEEP_DATABASE", "") in {"1", "true", "yes"}
            create_postgres_database(bench_url, recreate=not keep)
        elif database == "sqlite":
            bench_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        else:
            raise RuntimeError(f"the bench does not know how to isolate a {database} database")
        env["DATABASE_URL"] = bench_url

        broker = broker_kind(source_broker)
        if broker == "redis":
            env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL") or with_path(
                source_broker, f"/{BENCH_REDIS_DB}"
            )
        else:
            env.pop("REDIS_URL", None)

        env["PORTAL_VAR_DIR"] = str(workdir)
        env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
        # Figures from a debug server would mean nothing.
        env["DEBUG"] = "false"
        # Deliveries go where each scenario points them (its own SMTP and HTTP receivers),
        # not to the development sink; the soak's `make run` has its sink (bench.embedded
        # gives it a newcomer's environment, without this).
        env["NOTIFICATION_SINK_URL"] = ""
        # Those receivers listen on 127.0.0.1, which the egress policy refuses unless allowed.
        env["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1"
        # A key for this run only: every process started here shares it, nothing outlives it.
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        if env.get("ALLOWED_HOSTS") and "127.0.0.1" not in env["ALLOWED_HOSTS"]:
            env["ALLOWED_HOSTS"] += ",127.0.0.1"
        env.setdefault("LOG_LEVEL", "WARNING")
        env["PYTHONUNBUFFERED"] = "1"
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return BenchEnvironment(database=database, broker=broker, workdir=workdir, env=env)


def create_postgres_database(url: str, *, recreate: bool) -> None:
    """Create the database ``url`` names (dropping it first when ``recreate``)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    params = {key: value for key, value in params.items() if value}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as connection:
        identifier = sql.Identifier(name)
        if recreate:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier)
            connection.execute(drop)
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


def activate(bench: BenchEnvironment) -> None:
    """Point this process at the bench environment, start Django and apply the migrations."""
    os.environ.clear()
    os.environ.update(bench.env)
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    connections.close_all()
