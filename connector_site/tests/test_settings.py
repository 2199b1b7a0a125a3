"""Production safety of the one settings module, checked in fresh processes."""

import json

from connector_site.tests.helpers import BASE_DIR, django_env, production_env, run_manage, run_python

PRINT_SETTINGS = """
import json, django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")
django.setup()
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "DEBUG": s.DEBUG,
    "engine": db["ENGINE"],
    "pool": "pool" in db.get("OPTIONS", {}),
    "conn_max_age": db["CONN_MAX_AGE"],
    "layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "session_secure": s.SESSION_COOKIE_SECURE,
    "csrf_secure": s.CSRF_COOKIE_SECURE,
    "httponly": s.SESSION_COOKIE_HTTPONLY,
    "hsts": s.SECURE_HSTS_SECONDS,
    "proxy_header": list(getattr(s, "SECURE_PROXY_SSL_HEADER", None) or []),
    "sandbox": s.SANDBOX_ENABLED,
    "csds": s.CSDS_DOMAIN,
    "csds_qa": s.CSDS_DOMAIN_QA,
    "scheme": s.LIVEPERSON_SCHEME,
    "secret_key": s.SECRET_KEY,
}))
"""


def _settings(env) -> dict:
    result = run_python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_when_the_sandbox_is_on_in_production():
    result = run_manage("check", "--deploy", env=production_env(SANDBOX_ENABLED="true"))

    assert "connector_site.W001" in result.stderr + result.stdout


def test_it_refuses_to_start_without_a_secret_key_in_one_clear_line():
    env = production_env(DJANGO_SECRET_KEY=None, SESSION_SECRET=None)

    result = run_manage("check", env=env)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "connector_site: refusing to start: set DJANGO_SECRET_KEY (or SESSION_SECRET) "
        "when DJANGO_DEBUG is off."
    ]


def test_daphne_cannot_load_the_app_without_a_secret_key_either():
    env = production_env(DJANGO_SECRET_KEY=None, SESSION_SECRET=None)

    result = run_python("import connector_site.asgi", env)

    assert result.returncode == 1
    assert "refusing to start" in result.stderr


def test_it_accepts_session_secret_as_the_original_deployment_named_it():
    env = production_env(DJANGO_SECRET_KEY=None, SESSION_SECRET="from-the-old-deployment-" * 3)

    assert _settings(env)["secret_key"] == "from-the-old-deployment-" * 3


def test_production_defaults_are_safe():
    values = _settings(production_env())

    assert values["DEBUG"] is False
    assert values["session_secure"] is True
    assert values["csrf_secure"] is True
    assert values["httponly"] is True
    assert values["hsts"] == 31536000
    assert values["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["sandbox"] is False
    assert values["csds"] == "adminlogin.liveperson.net"
    assert values["csds_qa"] == "lp-csds-qa.dev.lprnd.net"
    assert values["scheme"] == "https"


def test_postgresql_uses_a_connection_pool():
    values = _settings(production_env())

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["pool"] is True
    assert values["conn_max_age"] == 0


def test_zero_config_local_run_uses_sqlite_and_the_in_memory_layer():
    env = django_env(
        DATABASE_URL=None, REDIS_URL=None, DJANGO_SECRET_KEY=None, DJANGO_DEBUG="true", SANDBOX_ENABLED="true"
    )

    values = _settings(env)

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    assert values["csds"] == "127.0.0.1:8000/sandbox/csds"
    assert values["scheme"] == "http"


def test_redis_url_selects_the_redis_channel_layer():
    assert _settings(production_env())["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"


def test_env_example_copied_as_is_means_every_default():
    env = django_env(DJANGO_ENV_FILE=str(BASE_DIR / ".env.example"), DJANGO_DEBUG="true")
    for name in ("DATABASE_URL", "REDIS_URL", "SANDBOX_ENABLED", "DJANGO_SECRET_KEY"):
        env.pop(name, None)

    values = _settings(env)

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["csds"] == "adminlogin.liveperson.net"


SQLITE_WRITER = """
import django, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS hits (writer TEXT)")
for _ in range(40):
    # Read, then write, like a sandbox request or a worker job: with SQLite's
    # default deferred transactions the write fails at once when the other
    # process holds the write lock.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM hits")
        time.sleep(0.002)
        cursor.execute("INSERT INTO hits VALUES (%s)", [sys.argv[1]])
"""


def test_the_zero_config_sqlite_database_takes_two_writing_processes(tmp_path):
    """`make run` has two writers, daphne and the worker, on one SQLite file."""
    import sqlite3
    import subprocess
    import sys

    database = tmp_path / "local.sqlite3"
    env = django_env(DATABASE_URL=f"sqlite:///{database}", DJANGO_DEBUG="true")
    sqlite3.connect(database).execute("CREATE TABLE hits (writer TEXT)").connection.close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", SQLITE_WRITER, name], cwd=BASE_DIR, env=env, stderr=subprocess.PIPE
        )
        for name in ("daphne", "worker")
    ]
    errors = [writer.communicate(timeout=120)[1].decode() for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0], errors
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT COUNT(*) FROM hits").fetchone() == (80,)
