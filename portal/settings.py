"""Settings for the incident portal, read from the environment.

One module serves both modes. ``DJANGO_ENV=production`` turns on the production
checks (a real ``SECRET_KEY`` is required, HTTPS-only cookies, HSTS); everything
else runs on embedded defaults: a SQLite file, kombu's filesystem broker and a secret key
made on first run, all under ``var/`` in the project.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from portal.client_address import trusted_proxies
from portal.secret_key import development_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

env = environ.Env()
# Embedded defaults (SQLite file, filesystem broker, beat schedule) live here; make sure it exists.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = "pytest" in sys.modules

if PRODUCTION:
    # No default: production refuses to start without a key of its own.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("Set SECRET_KEY: production never makes a key of its own.")
else:
    # Unset: made at random on first run and kept in VAR_DIR, which every process shares, so
    # sessions and the links already sent survive a restart and no two portals share a key.
    SECRET_KEY = env.str("SECRET_KEY", default="") or development_secret_key(VAR_DIR)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
# Where the web server listens (`make run` passes it to gunicorn); the links in pages,
# notifications and feeds follow it unless PORTAL_BASE_URL says otherwise.
PORT = env.int("PORT", default=8000)
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PORTAL_BASE_URL])

INSTALLED_APPS = [
    "portal.apps.PortalConfig",
    "incidents",
    "playbooks",
    "reviews",
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tables2",
    "django_filters",
    "simple_history",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (see below).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs login unless marked @login_not_required (status page, healthz, …).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Logs out a session left unused for SESSION_IDLE_TIMEOUT_MINUTES (off unless set).
    "portal.sessions.IdleSessionMiddleware",
    # Turns a throttled login into the login page saying when to try again; axes wants it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write to the same file: WAL lets readers run beside a writer,
    # IMMEDIATE takes the write lock at BEGIN (no deadlocked upgrades), and the timeout
    # makes a busy writer wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side prepared statements, for the cursors that bind parameters on the server:
    # only the alert intake's (Django's own cursors bind on the client and never prepare).
    # Set DATABASE_PREPARED_STATEMENTS=false behind a pooler that cannot keep them
    # (PgBouncer in transaction mode before 1.21).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing the test cast's passwords with a slow hasher costs seconds per test.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# axes' backend first: it refuses a throttled (username, client address) before any password
# is checked; it needs the request, so a login made in code must pass one.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Addresses or CIDR networks of the load balancers and proxies in front of the portal: only
# a request from one of them has its X-Forwarded-For read (portal.client_address). Empty:
# the client is the TCP peer, whatever the headers say.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
trusted_proxies(tuple(TRUSTED_PROXIES))  # a mistyped entry stops the start, with its reason

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one client address, that pair waits LOGIN_COOL_OFF_MINUTES. Never the account as a
# whole: anyone could lock the commander out mid-incident. Counts live in the database;
# a roster admin lifts a cool-off by deleting its row under "Access attempts" in the admin.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOL_OFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "portal.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "portal.login_throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
# A try during the cool-off does not restart it, so the time the page gives holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures only: a row per successful login would grow without end and nothing reads it.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Password reset requests per hour: per address asked for (over it, nothing is sent and the
# answer is the same) and per client address (over it, the page says so).
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=3)
PASSWORD_RESET_PER_CLIENT_PER_HOUR = env.int("PASSWORD_RESET_PER_CLIENT_PER_HOUR", default=10)

# A session unused for this many minutes is logged out; 0 keeps it for SESSION_COOKIE_AGE
# (two weeks). Every request counts as use, the board's and dashboard's polls included.
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=0)

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# Unambiguous dates and 24-hour times (portal/formats/en_GB).
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------------------
# The same SMTP settings serve Django's own mail (password reset) and the email channel.
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Incident Portal <portal@localhost>")
URGENT_FROM_EMAIL = env.str("URGENT_FROM_EMAIL", default="URGENT Incident Portal <page@localhost>")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)

# --- Notifications --------------------------------------------------------------------------
# An Apprise SMS URL with {number} for the recipient, e.g.
# "twilio://ACCOUNT_SID:AUTH_TOKEN@+15551234567/{number}". Unset: SMS fails with a clear error.
SMS_APPRISE_URL_TEMPLATE = env.str("SMS_APPRISE_URL_TEMPLATE", default="")
# Pages to one person within this many seconds go out as one message per channel.
NOTIFICATION_BUNDLE_SECONDS = env.int("NOTIFICATION_BUNDLE_SECONDS", default=60)
# A delivery asked for but not done after this long is asked for again (a lost broker message).
NOTIFICATION_REQUEST_AGAIN_SECONDS = env.int("NOTIFICATION_REQUEST_AGAIN_SECONDS", default=60)
# A row left "sending" this long (its worker was killed) goes back to the queue.
NOTIFICATION_SENDING_STALE_SECONDS = env.int("NOTIFICATION_SENDING_STALE_SECONDS", default=180)

# Egress policy (portal.egress): webhook, Slack and Teams deliveries never reach loopback,
# private, link-local, carrier-grade NAT, multicast, reserved or cloud metadata addresses,
# checked on every connection. The explicit exceptions: host names, addresses or networks
# (comma-separated) reached all the same, e.g. an internal chat server;
OUTBOUND_ALLOWED_HOSTS = env.list("OUTBOUND_ALLOWED_HOSTS", default=[])
# and private (10/8, 172.16/12, 192.168/16, fc00::/7) and 100.64/10 addresses allowed as a
# whole (never loopback, link-local or metadata).
OUTBOUND_ALLOW_PRIVATE = env.bool("OUTBOUND_ALLOW_PRIVATE", default=False)
# Contact methods must be https; plain http is allowed for 127.0.0.1 sinks outside production.
CONTACT_ALLOW_LOOPBACK_HTTP = env.bool("CONTACT_ALLOW_LOOPBACK_HTTP", default=not PRODUCTION)
# Outside production every notification, whatever its channel, goes to this development
# sink instead (`make run` starts portal.devsink on SINK_PORT, PORT+1 unless set), never to
# the outside addresses of the demo data. Empty (production, tests, or set so) sends each
# through its own channel.
NOTIFICATION_SINK_URL = env.str(
    "NOTIFICATION_SINK_URL",
    default=""
    if PRODUCTION or TESTING
    else f"http://127.0.0.1:{env.int('SINK_PORT', default=PORT + 1)}",
).rstrip("/")

# Status page subscriptions: confirmation mails per hour for one address (``+tags`` and case
# folded together), requests per hour from one client address, and mails per hour in all.
STATUS_SUBSCRIBE_PER_ADDRESS_PER_HOUR = env.int("STATUS_SUBSCRIBE_PER_ADDRESS_PER_HOUR", default=3)
STATUS_SUBSCRIBE_PER_CLIENT_PER_HOUR = env.int("STATUS_SUBSCRIBE_PER_CLIENT_PER_HOUR", default=10)
STATUS_SUBSCRIBE_PER_HOUR = env.int("STATUS_SUBSCRIBE_PER_HOUR", default=200)

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # kombu's filesystem transport: web, worker and beat share one folder, so the portal
    # runs with no broker server at all. Paths are absolute so every process agrees. Our
    # subclass writes and takes message files whole (see portal.filesystem_broker, which
    # portal.celery registers under this name). A host name, or kombu warns on each clone.
    CELERY_BROKER_URL = "portal-filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    for folder in ("queue", "processed", "control", "staging", "claimed"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "slow"
# Three queues so that a slow channel never delays the sweep: sweeps, deliveries, the rest.
CELERY_TASK_ROUTES = {
    "incidents.tasks.timers_sweep": {"queue": "sweep"},
    "incidents.tasks.notifications_deliver": {"queue": "deliver"},
    "incidents.tasks.notification_deliver": {"queue": "deliver"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless
# this is set: a new PostgreSQL backend per delivery, which costs more than the delivery.
# Connections are kept instead, and recycled by CONN_MAX_AGE and the health checks
# (portal.celery runs close_old_connections around each task, as Django does per request).
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=1.0)
CELERY_BEAT_SCHEDULE = {
    "timers-sweep": {
        "task": "incidents.tasks.timers_sweep",
        "schedule": SWEEP_INTERVAL_SECONDS,
        # A sweep that could not run within a few seconds is pointless: the next one does it.
        "options": {"expires": 5, "queue": "sweep"},
    },
}
# Slow, periodic work (on the "slow" queue): drafting reviews for resolved incidents.
CELERY_BEAT_SCHEDULE["reviews-draft"] = {
    "task": "reviews.tasks.draft_reviews",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# Unconfirmed status subscriptions whose link has expired are deleted.
CELERY_BEAT_SCHEDULE["status-subscribers-purge"] = {
    "task": "incidents.tasks.status_subscribers_purge",
    "schedule": 3600.0,
    "options": {"expires": 3000},
}
# Said outright where Celery 6 changes a default, which Celery 5 otherwise warns about (at
# each start, or each lost broker connection): keep trying to reach the broker at startup,
# and let a delivery running when the connection drops finish (it is idempotent; its
# message comes back and finds the row sent) instead of cancelling it mid-send.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# --- Cache --------------------------------------------------------------------------------
# Shared by every web process when Redis is there (rendered dashboard panels, intake rate
# limits); the tests keep a private in-process cache so that no test sees another's entries.
if REDIS_URL and not TESTING:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }

# Beyond this age of the last sweep, /healthz fails and pages show a red banner.
SWEEP_STALE_AFTER_SECONDS = env.int("SWEEP_STALE_AFTER_SECONDS", default=30)

# --- Logging --------------------------------------------------------------------------------
# What runs every second or minute by itself: Celery's lines about each run (received,
# succeeded, sent by beat) go to DEBUG, so that a worker's console shows work and faults.
ROUTINE_TASKS = [entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()] + [
    "incidents.tasks.notifications_release",  # asked for by every sweep
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "routine_tasks_at_debug": {
            "()": "portal.logs.RoutineTasksAtDebug",
            "tasks": ROUTINE_TASKS,
        },
        "refusals_in_one_line": {"()": "portal.logs.RefusalsInOneLine"},
        "secrets_redacted": {"()": "portal.logs.SecretsRedacted"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # A refused request (403) is one line (method, path, user, reason), no traceback.
        # Secrets in URLs (/ack/<token>/, /heartbeat/<key>…) are written as [redacted].
        "django.request": {"filters": ["refusals_in_one_line", "secrets_redacted"]},
        "django.security.csrf": {"filters": ["refusals_in_one_line", "secrets_redacted"]},
        # Celery's worker ("received", "succeeded") and beat ("Sending due task").
        "celery.worker.strategy": {"filters": ["routine_tasks_at_debug"]},
        "celery.app.trace": {"filters": ["routine_tasks_at_debug"]},
        "celery.beat": {"filters": ["routine_tasks_at_debug"]},
        # django-axes: every login and logout at INFO; failures and cool-offs are WARNING.
        "axes": {"level": "WARNING"},
    },
}

# --- Security headers, in every mode ---------------------------------------------------------
# No inline script anywhere: every script is a static file, so script-src is 'self' alone and
# htmx's eval is off (`htmx-config` in base.html). Inline style attributes and the pages'
# <style> blocks stay allowed: a style cannot run code, and a nonce on style-src would block
# every style="" attribute.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# The portal uses none of these browser features; nothing it shows may ask for them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "serial", "usb", "xr-spatial-tracking",
    )
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Production hardening -------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    X_FRAME_OPTIONS = "DENY"
    SESSION_COOKIE_HTTPONLY = True
