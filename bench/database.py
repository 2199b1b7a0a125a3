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


def migrate(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")


def manage(env: dict, *arguments: str) -> None:
    """`manage.py <arguments>` with the benchmark's environment."""
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True)


def migrate_and_seed(env: dict) -> dict:
    """`manage.py migrate`, then bench.seed: the installation and a logged-in session."""
    migrate(env)
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


def sandbox_timings(url: str, since) -> dict:
    """Seconds spent on the sandbox's side (LivePerson's) for what was created since `since`,
    from its own rows: each notification from queued to its first POST, the echoes' alone
    (the agent's "You said: ..." messages), every POST's duration, and each agent reply from
    due (the consumer's message stored) to done (the echo published)."""
    queued_to_post = (
        "SELECT EXTRACT(EPOCH FROM min(a.started_at) - n.created_at), n.body LIKE %s"
        " FROM sandbox_notification n JOIN sandbox_deliveryattempt a ON a.notification_id = n.id"
        " WHERE n.created_at >= %s GROUP BY n.id"
    )
    with psycopg.connect(_conninfo(url)) as connection:
        waits = connection.execute(queued_to_post, ('%"message":"You said: %', since)).fetchall()
        posts = connection.execute(
            "SELECT duration_ms / 1000.0, succeeded FROM sandbox_deliveryattempt WHERE started_at >= %s",
            (since,),
        ).fetchall()
        replies = connection.execute(
            "SELECT EXTRACT(EPOCH FROM done_at - due_at) FROM sandbox_agenttask"
            " WHERE kind = 'reply' AND due_at >= %s AND done_at IS NOT NULL",
            (since,),
        ).fetchall()
    return {
        "notification_wait": [float(wait) for wait, _ in waits],
        "echo_notification_wait": [float(wait) for wait, echo in waits if echo],
        "webhook_post": [float(seconds) for seconds, _ in posts],
        "webhook_post_failures": sum(1 for _, succeeded in posts if not succeeded),
        "agent_reply": [float(lag) for (lag,) in replies],
    }


def connect(url: str) -> psycopg.Connection:
    """A plain psycopg connection to the database of `url` (postgres:// accepted)."""
    return psycopg.connect(_conninfo(url))
