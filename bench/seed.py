"""Seed the benchmark database: `python -m bench.seed` with the benchmark's env.

Creates the app installation the webhooks are signed for (secret encrypted
like the app stores it) and a logged-in user of the same account, and prints
{"session_key": ...} as the last line: the cookie the subscribers send.
"""

import json
import os

import django

ACCOUNT_ID = "90000001"
CLIENT_ID = "bench0000-0000-4000-8000-000000000001"
SECRET = "benchmark-secret-of-the-bench-app-0123456789abcdef"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")
    django.setup()
    _installation()
    print(json.dumps({"session_key": _session_for(_user())}))


def _installation():
    from apps_admin.models import Installation

    record = Installation(
        account_id=ACCOUNT_ID, client_id=CLIENT_ID, name="Benchmark app", scope="msg.consumer", enabled=True
    )
    record.client_secret = SECRET
    record.save()
    return record


def _user():
    from accounts.models import User

    return User.objects.create(
        username=f"{ACCOUNT_ID}:bench", lp_account_id=ACCOUNT_ID, lp_login_name="bench", lp_is_admin=True
    )


def _session_for(user) -> str:
    """A database session carrying Django's auth keys, as `login()` would leave it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


if __name__ == "__main__":
    main()
