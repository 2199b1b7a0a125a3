"""Settings for connector_site: one module, every value from the environment.

`.env.example` lists each variable. Real environment variables win over `.env`.
Defaults are safe: DEBUG is off, production security is on, and the zero-config
fallbacks (SQLite, in-memory channel layer) are only what `make run` needs.
"""

import os
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# DJANGO_ENV_FILE lets tests and subprocesses ignore a developer's local .env.
ENV_FILE = Path(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file():
    env.read_env(ENV_FILE)  # never overrides variables already set

# An empty value (as every line of .env.example has) means "use the default".
_OUR_PREFIXES = ("DJANGO_", "DATABASE_", "DB_", "REDIS_", "CHANNEL_", "SESSION_", "LOGIN_", "LOG_")
_OUR_PREFIXES += ("LIVEPERSON_", "CSDS_", "SANDBOX_", "FIELD_", "PUBLIC_", "WEBHOOK_", "WORKER_", "CHAT_")
for _name in [n for n, v in os.environ.items() if v == "" and n.startswith(_OUR_PREFIXES)]:
    del os.environ[_name]

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# SESSION_SECRET is what the original Node deployment called its secret.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or env.str("SESSION_SECRET", default="")
if not SECRET_KEY:
    if not DEBUG:
        # One clear line, not a traceback: this is an operator's mistake, not a bug.
        sys.stderr.write(
            "connector_site: refusing to start: set DJANGO_SECRET_KEY (or SESSION_SECRET) "
            "when DJANGO_DEBUG is off.\n"
        )
        raise SystemExit(1)
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # must come first so `runserver` is daphne's (Channels docs)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "connector_site",
    "accounts",
    "apps_admin",
    "chat",
    "webhooks",
    "sandbox",
    "worker",
]

MIDDLEWARE = [
    # First: it times and logs the whole request, with its request id.
    "connector_site.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (no-store depends on the user); inside WhiteNoise, so
    # static files keep their own caching. See "Content-Security-Policy" below.
    "connector_site.security_headers.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it tells the user when their LivePerson session ended.
    "accounts.middleware.LivePersonSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "connector_site.urls"
ASGI_APPLICATION = "connector_site.asgi.application"
WSGI_APPLICATION = "connector_site.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs in a fresh thread: CONN_MAX_AGE=0 pays a new
    # connection per request and persistent connections leak one per thread.
    # A psycopg pool hands connections between threads instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Checks a connection before lending it, so a PostgreSQL restart costs
    # one reconnect instead of one failed request per pooled connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The zero-config run has two writers (daphne and the worker). SQLite's
    # default deferred transactions fail at once with "database is locked" when
    # a reader tries to write while the other process writes; taking the write
    # lock at BEGIN makes them wait (up to `timeout`) instead. WAL lets readers
    # go on while one process writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer ----------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis Pub/Sub: a group send is one PUBLISH, and nothing queues in
            # Redis. A subscriber that misses a message (not listening yet,
            # Redis restarting) notices the gap in event numbers and catches up
            # from the database (webhooks.consumers). The list-based layer
            # costs several round trips per group send and silently drops
            # messages past its channel capacity (docs/PERFORMANCE.md, 'Anchors', C5).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="connector_site"),
            },
        }
    }
else:
    # Only good for one process: what the zero-config `make run` uses.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Authentication and sessions -------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Sessions live in the database; the cookie carries only the session id.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Upper bound; each LivePerson login shortens it to that session's sessionTTl.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Login throttling; the rules are in accounts/throttle.py's docstring. Failed logins
# allowed per window per login name and address (and per known device), per address
# and per account, before the login form refuses more until the oldest leaves the window.
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=15 * 60)
LOGIN_THROTTLE_MAX_PER_USER_ADDRESS = env.int("LOGIN_THROTTLE_MAX_PER_USER_ADDRESS", default=5)
LOGIN_THROTTLE_MAX_PER_ADDRESS = env.int("LOGIN_THROTTLE_MAX_PER_ADDRESS", default=20)
LOGIN_THROTTLE_MAX_PER_ACCOUNT = env.int("LOGIN_THROTTLE_MAX_PER_ACCOUNT", default=100)
# Per login name from every address: failures in the longer window before each further one
# doubles the wait (from 2 s), which never exceeds the maximum delay.
LOGIN_THROTTLE_MAX_PER_USER = env.int("LOGIN_THROTTLE_MAX_PER_USER", default=10)
LOGIN_THROTTLE_USER_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_USER_WINDOW_SECONDS", default=24 * 60 * 60)
LOGIN_THROTTLE_MAX_DELAY_SECONDS = env.int("LOGIN_THROTTLE_MAX_DELAY_SECONDS", default=15 * 60)
# How long a browser's known-device cookie, and an address's successful login, are remembered.
LOGIN_THROTTLE_KNOWN_DEVICE_DAYS = env.int("LOGIN_THROTTLE_KNOWN_DEVICE_DAYS", default=30)
# Reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)

# --- Security (production defaults; DEBUG relaxes what plain http needs) ----

SECURE_COOKIES = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Health checks from the orchestrator come over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
if env.bool("DJANGO_BEHIND_PROXY", default=not DEBUG):
    # nginx terminates TLS and must overwrite this header (deploy/nginx.conf does).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy and no-store (connector_site.security_headers) --
# The CSP goes on every HTML response; no page has inline script, inline style
# or on* handlers, and scripts may set element.style (CSSOM is not blocked).
# No-store goes on every HTML response and on every response to a logged-in
# user, unless the view set its own Cache-Control.
CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # data: for Pico's icons and the chat's image previews; blob: for an image being uploaded.
    "img-src": ["'self'", "data:", "blob:"],
    # The middleware appends this host's ws:// or wss:// origin (the pages' WebSockets).
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
}
# Per view name: directives that replace the ones above on that view's pages.
CSP_VIEW_OVERRIDES = {
    # The demo chat shows structured-content images, which LivePerson lets be on any https host.
    "chat:detail": {"img-src": [*CSP_DIRECTIVES["img-src"], "https:"]},
}

# Fernet keys for secrets stored in the database (app client secrets), newest
# first; empty means one key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# https://host[:port] where LivePerson reaches this deployment; webhooks of demo
# apps go to <PUBLIC_BASE_URL>/notifications/event. Empty: the request's host.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")

# --- Webhook receiver -------------------------------------------------------

# Larger bodies get 413; LivePerson notifications are a few KB.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)
# Deliveries committed per transaction, at most, and changes (events) per transaction:
# a batch stops growing at either.
WEBHOOK_BATCH_MAX = env.int("WEBHOOK_BATCH_MAX", default=500)
WEBHOOK_BATCH_MAX_CHANGES = env.int("WEBHOOK_BATCH_MAX_CHANGES", default=1000)
# What one notification may carry (README, "Webhook limits"): more changes get 413,
# deeper nesting 400, both recorded. LivePerson's carry a few changes, a few levels deep.
WEBHOOK_MAX_CHANGES = env.int("WEBHOOK_MAX_CHANGES", default=1000)
WEBHOOK_MAX_DEPTH = env.int("WEBHOOK_MAX_DEPTH", default=64)
# Deliveries with more changes than this are stored apart, on a connection of their
# own, so that they never hold up the others; each account may have this many waiting.
WEBHOOK_LARGE_DELIVERY_CHANGES = env.int("WEBHOOK_LARGE_DELIVERY_CHANGES", default=50)
WEBHOOK_LARGE_PENDING_PER_ACCOUNT = env.int("WEBHOOK_LARGE_PENDING_PER_ACCOUNT", default=2)
WEBHOOK_LARGE_MAX_PENDING = env.int("WEBHOOK_LARGE_MAX_PENDING", default=32)
# Changes a second one account's large deliveries may carry, per process; beyond,
# 503 after a delay (webhooks/budgets.py).
WEBHOOK_LARGE_CHANGES_PER_SECOND = env.float("WEBHOOK_LARGE_CHANGES_PER_SECOND", default=250.0)
WEBHOOK_OVER_BUDGET_DELAY_SECONDS = env.float("WEBHOOK_OVER_BUDGET_DELAY_SECONDS", default=1.0)
# Beyond these, answer 503 at once (LivePerson retries) instead of acknowledging
# after its 2.5 s limit: deliveries waiting, and seconds the oldest has waited.
WEBHOOK_MAX_PENDING = env.int("WEBHOOK_MAX_PENDING", default=5000)
WEBHOOK_MAX_WAIT_SECONDS = env.float("WEBHOOK_MAX_WAIT_SECONDS", default=1.0)
# Cached app secrets; a change of an installation reaches every process at once on
# PostgreSQL (LISTEN/NOTIFY), and without that (connecting, other databases) they
# are kept only the shorter time.
WEBHOOK_SECRET_CACHE_SECONDS = env.float("WEBHOOK_SECRET_CACHE_SECONDS", default=60.0)
WEBHOOK_SECRET_UNLISTENED_CACHE_SECONDS = env.float("WEBHOOK_SECRET_UNLISTENED_CACHE_SECONDS", default=1.0)
WEBHOOK_UNKNOWN_APP_CACHE_SECONDS = env.float("WEBHOOK_UNKNOWN_APP_CACHE_SECONDS", default=5.0)
# Requests that could not be verified (no signature, unknown app, wrong signature)
# keep only the start of their body, and each sender's address (an IPv6 /64) may
# have at most this many refused requests recorded per minute, after a burst:
# beyond, they are answered and counted, and the next recorded one says how many.
WEBHOOK_UNVERIFIED_KEPT_BYTES = env.int("WEBHOOK_UNVERIFIED_KEPT_BYTES", default=2048)
WEBHOOK_REFUSED_RECORDS_PER_MINUTE = env.int("WEBHOOK_REFUSED_RECORDS_PER_MINUTE", default=60)
WEBHOOK_REFUSED_RECORDS_BURST = env.int("WEBHOOK_REFUSED_RECORDS_BURST", default=30)
# Requests for an app not known here are held whole (answered 202) and verified
# once the app is known (README, "Apps this site does not know yet"), up to these
# bytes per claimed account and in all, per process, for at most these hours.
WEBHOOK_HELD_MAX_BYTES_PER_ACCOUNT = env.int("WEBHOOK_HELD_MAX_BYTES_PER_ACCOUNT", default=8 * 1024 * 1024)
WEBHOOK_HELD_MAX_BYTES = env.int("WEBHOOK_HELD_MAX_BYTES", default=128 * 1024 * 1024)
WEBHOOK_HELD_HOURS = env.float("WEBHOOK_HELD_HOURS", default=72.0)
# Seconds between a WebSocket subscriber's checks for events it may have missed.
WEBHOOK_RESYNC_SECONDS = env.float("WEBHOOK_RESYNC_SECONDS", default=10.0)
# Events committed before a check but still on their way through the channel
# layer are not missed: subscribers behind the check's newest seqs this many
# seconds later are (webhooks/resync.py).
WEBHOOK_RESYNC_GRACE_SECONDS = env.float("WEBHOOK_RESYNC_GRACE_SECONDS", default=1.0)
# How long a subscriber holds an event that arrived after a gap, waiting for the
# missing ones to arrive too, before reading them from the database (webhooks/ordering.py).
WEBHOOK_GAP_WAIT_SECONDS = env.float("WEBHOOK_GAP_WAIT_SECONDS", default=0.2)
# The forwarder's stream (docs/FORWARDING.md): seconds between an open socket's
# checks that its token is still active (and for conversations it may have
# missed), and the most conversations one socket follows or one cursor names.
FORWARD_CHECK_SECONDS = env.float("FORWARD_CHECK_SECONDS", default=3.0)
FORWARD_MAX_CONVERSATIONS = env.int("FORWARD_MAX_CONVERSATIONS", default=5000)
# Stored deliveries, events and conversations older than this many days are
# deleted by the worker every WORKER_CLEANUP_INTERVAL_SECONDS; 0 keeps them forever.
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
# Rows deleted per transaction by the cleanup, and a pause between batches that
# leaves the database to the webhook writers.
WEBHOOK_PURGE_BATCH_SIZE = env.int("WEBHOOK_PURGE_BATCH_SIZE", default=2000)
WEBHOOK_PURGE_PAUSE_SECONDS = env.float("WEBHOOK_PURGE_PAUSE_SECONDS", default=0.0)

# --- Demo chat --------------------------------------------------------------

# Demo chat image uploads (chat.files): pixels, frames and the memory one decode
# may take; anything larger is refused from its header, before decoding.
CHAT_IMAGE_MAX_PIXELS = env.int("CHAT_IMAGE_MAX_PIXELS", default=25_000_000)
CHAT_IMAGE_MAX_FRAMES = env.int("CHAT_IMAGE_MAX_FRAMES", default=1000)
CHAT_IMAGE_MAX_DECODE_BYTES = env.int("CHAT_IMAGE_MAX_DECODE_BYTES", default=64 * 1024 * 1024)
# A chat state (typing, active...) is worth nothing late: its own, shorter read timeout
# (chat.actions), so that a slow LivePerson drops chat states instead of queueing them.
CHAT_STATE_TIMEOUT = env.float("CHAT_STATE_TIMEOUT", default=3.0)
# A message whose Send API answer timed out may have arrived all the same: the chat looks
# for it (its webhook echo, then the messaging history) this long before saying it failed
# (chat.reconcile), checking every CHAT_RECONCILE_POLL_SECONDS.
CHAT_SEND_RECONCILE_SECONDS = env.float("CHAT_SEND_RECONCILE_SECONDS", default=30.0)
CHAT_RECONCILE_POLL_SECONDS = env.float("CHAT_RECONCILE_POLL_SECONDS", default=1.0)
# While a new app's webhooks may not be active yet, the chat reads the messaging history
# this often (chat.activation).
CHAT_HISTORY_POLL_SECONDS = env.float("CHAT_HISTORY_POLL_SECONDS", default=3.0)

# --- Background worker (manage.py worker) -------------------------------------

# (dotted path of a callable taking no arguments and returning the units of
# work it did, minimum seconds between its runs while it finds nothing to do).
WORKER_JOBS = [
    ("webhooks.jobs.republish_broadcasts", 2.0),
    ("webhooks.jobs.release_held", 5.0),
    ("webhooks.jobs.purge_expired", 60.0),
    ("worker.jobs.clear_sessions", 60.0),
]
# Longest wait for work when every job was idle; worker.wake() ends it at once.
WORKER_POLL_SECONDS = env.float("WORKER_POLL_SECONDS", default=1.0)
# How long claimed work stays a worker's: a crashed worker's work is taken over then.
WORKER_LEASE_SECONDS = env.float("WORKER_LEASE_SECONDS", default=60.0)
# Seconds between the retention cleanups (webhook data and expired sessions).
WORKER_CLEANUP_INTERVAL_SECONDS = env.float("WORKER_CLEANUP_INTERVAL_SECONDS", default=3600.0)
# A file the worker touches every few seconds, for a container health check (empty: none).
WORKER_HEARTBEAT_FILE = env.str("WORKER_HEARTBEAT_FILE", default="")

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed, compressed files made by `collectstatic`; local runs
# and the tests serve the sources directly.
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
_static_backend = (
    "core.staticfiles.StaticStorage"  # hashed names in JS module imports too
    if STATIC_MANIFEST
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _static_backend},
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- LivePerson -------------------------------------------------------------

# The sandbox is an offline LivePerson served by this app under /sandbox/.
# `make run` turns it on; it is never on unless asked for.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
# host[:port] where this app is reachable by itself, used to point CSDS at the sandbox.
SANDBOX_HOST = env.str("SANDBOX_HOST", default="127.0.0.1:8000")
# Lifetime of the sandbox's AppJWTs (LivePerson's: 1 hour); tests make them expire.
SANDBOX_APP_JWT_SECONDS = env.int("SANDBOX_APP_JWT_SECONDS", default=60 * 60)
# Lifetime of the sandbox's swift temp URLs for file upload and download (LivePerson's: ~1 minute).
SANDBOX_SWIFT_TEMP_URL_SECONDS = env.int("SANDBOX_SWIFT_TEMP_URL_SECONDS", default=60)
# The sandbox's webhook dispatcher (sandbox.dispatcher), LivePerson's side of webhooks.
# LivePerson's timeouts (docs/WEBHOOKS.md): connect 5 s, read 5 s.
SANDBOX_WEBHOOK_CONNECT_TIMEOUT = env.float("SANDBOX_WEBHOOK_CONNECT_TIMEOUT", default=5.0)
SANDBOX_WEBHOOK_READ_TIMEOUT = env.float("SANDBOX_WEBHOOK_READ_TIMEOUT", default=5.0)
# Conversations whose next notification one worker posts at once, concurrently.
SANDBOX_WEBHOOK_BATCH = env.int("SANDBOX_WEBHOOK_BATCH", default=32)
# Multiplies every retry delay (and the retention window): 0.01 runs the real policy 100x faster.
SANDBOX_WEBHOOK_RETRY_SCALE = env.float("SANDBOX_WEBHOOK_RETRY_SCALE", default=1.0)
# Endpoints must be https, but local runs serve plain http: https endpoints on
# these hosts are called over http (same host, port and path).
SANDBOX_WEBHOOK_PLAIN_HTTP_HOSTS = env.list(
    "SANDBOX_WEBHOOK_PLAIN_HTTP_HOSTS", default=["127.0.0.1", "localhost", "::1"]
)
# Multiplies the sandbox agent's pauses (reading, typing): 0 answers at once (tests, benchmarks).
SANDBOX_AGENT_DELAY_SCALE = env.float("SANDBOX_AGENT_DELAY_SCALE", default=1.0)
if SANDBOX_ENABLED:
    # LivePerson's side: webhook deliveries with their retries, and the scripted
    # agent and survey bot. Both wake the worker when work is due at once.
    WORKER_JOBS.append(("sandbox.dispatcher.run_due", 0.5))
    WORKER_JOBS.append(("sandbox.agent.run_due", 0.5))

# CSDS (Domain API) hosts. Account ids starting with "le" are QA accounts.
CSDS_DOMAIN = env.str(
    "CSDS_DOMAIN",
    default=f"{SANDBOX_HOST}/sandbox/csds" if SANDBOX_ENABLED else "adminlogin.liveperson.net",
)
CSDS_DOMAIN_QA = env.str(
    "CSDS_DOMAIN_QA",
    default=f"{SANDBOX_HOST}/sandbox/csds-qa" if SANDBOX_ENABLED else "lp-csds-qa.dev.lprnd.net",
)
# http only for the sandbox; LivePerson itself is https.
LIVEPERSON_SCHEME = env.str("LIVEPERSON_SCHEME", default="http" if SANDBOX_ENABLED else "https")
LIVEPERSON_CONNECT_TIMEOUT = env.float("LIVEPERSON_CONNECT_TIMEOUT", default=3.05)
LIVEPERSON_READ_TIMEOUT = env.float("LIVEPERSON_READ_TIMEOUT", default=10.0)
# Retries of idempotent calls on connection errors and 502/503/504.
LIVEPERSON_RETRIES = env.int("LIVEPERSON_RETRIES", default=2)
CSDS_CACHE_SECONDS = env.int("CSDS_CACHE_SECONDS", default=60 * 60)
# LivePerson advises refreshing the login session every 3-5 minutes.
LIVEPERSON_REFRESH_SECONDS = env.int("LIVEPERSON_REFRESH_SECONDS", default=4 * 60)
# LivePerson: "it can take up to two minutes that your app was recognized by Webhooks"
# (docs/LIVEPERSON.md, 'Webhook activation'); no webhook arrives before.
LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS = env.int("LIVEPERSON_WEBHOOK_ACTIVATION_SECONDS", default=120)

# --- Logging ----------------------------------------------------------------

# json: one JSON object per line, for log collectors (the default in production);
# text: readable lines. Both carry the request id of the request being served.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise environ.ImproperlyConfigured("LOG_FORMAT must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # urllib3 logs each request line, query string included (swift's temp_url_sig), at DEBUG.
    # Each request is logged once, by core.logs.access (time, request id, status, duration):
    # no handler of Django's own on "django" (it printed a bare "Not Found: /x" line when
    # DEBUG is on), and django.request only for 5xx (it repeated every 4xx). daphne's own
    # access line is off too (connector_site.serve).
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "INFO"},
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"level": "ERROR"},
    },
}
