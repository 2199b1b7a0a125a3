"""The benchmark's own PostgreSQL database: created fresh, migrated, seeded, queried.

The benchmark process itself never imports Django (it would cost the
generator CPU and tie it to one settings module): setup runs `manage.py`
and `bench.seed` as subprocesses, and the counts are plain SQL.
"""

import json
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.procs import ROOT


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin_url(url: str) -> str:
    """The same server, database `postgres`: where CREATE and DROP DATABASE run."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def _conninfo(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def recreate(url: str) -> None:
    """DROP (kicking out stray sessions) and CREATE the database of `url`."""
    name = sql.Identifier(database_name(url))
    with psycopg.connect(_conninfo(_admin_url(url)), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop(url: str) -> None:
    name = sql.Identifier(database_name(url))
    with psycopg.connect(_conninfo(_admin_url(url)), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def migrate_and_seed(env: dict) -> dict:
    """`manage.py migrate`, then bench.seed: the installation and a logged-in session."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = subprocess.run(
        [sys.executable, "-m", "bench.seed"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def server_version(url: str) -> str:
    with psycopg.connect(_conninfo(url)) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]


def conversation_pks(url: str, account_id: str, conversation_ids: list[str]) -> dict[str, int]:
    """conversation_id -> pk, for the conversations the warm-up webhooks created."""
    with psycopg.connect(_conninfo(url)) as connection:
        rows = connection.execute(
            "SELECT conversation_id, id FROM webhooks_conversation"
            " WHERE account_id = %s AND conversation_id = ANY(%s)",
            (account_id, conversation_ids),
        ).fetchall()
    return dict(rows)


def stored_events(url: str, conversation_pks: list[int], after_seq: int) -> int:
    """Events stored for these conversations beyond the warm-up ones."""
    with psycopg.connect(_conninfo(url)) as connection:
        return connection.execute(
            "SELECT count(*) FROM webhooks_event WHERE conversation_id = ANY(%s) AND seq > %s",
            (conversation_pks, after_seq),
        ).fetchone()[0]
