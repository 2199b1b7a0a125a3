"""Cached app secrets follow their installation: a change reaches every process's
cache through LISTEN/NOTIFY, and unheard changes can live only a second."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from apps_admin.models import Installation
from webhooks import payloads, secrets
from webhooks.payloads import ACCOUNT, CLIENT_ID, SECRET
from webhooks.tests.conftest import post_signed

pytestmark = pytest.mark.django_db(transaction=True)


async def _listening() -> None:
    async with asyncio.timeout(10):
        while not secrets._listener().listening:
            await asyncio.sleep(0.01)


async def _forgotten(key=(ACCOUNT, CLIENT_ID)) -> None:
    """Returns once the listener has dropped the key's cached entry."""
    async with asyncio.timeout(10):
        while key in secrets._cache:
            await asyncio.sleep(0.01)


def _change(**fields) -> None:
    record = Installation.objects.get(account_id=ACCOUNT, client_id=CLIENT_ID)
    for name, value in fields.items():
        if name == "secret":
            record.client_secret = value
        else:
            setattr(record, name, value)
    record.save()


async def _cache_the_secret() -> None:
    await secrets.client_secret(ACCOUNT, CLIENT_ID)  # starts the listener
    await _listening()
    secrets.clear_cache()  # the first lookup may have raced the listener's start: cached 1 s
    assert await secrets.client_secret(ACCOUNT, CLIENT_ID) == SECRET
    assert secrets._cache[(ACCOUNT, CLIENT_ID)][0] - time.monotonic() > 30


async def test_a_rotated_secret_is_used_as_soon_as_it_is_stored(installation):
    await _cache_the_secret()

    await sync_to_async(_change)(secret="the-rotated-secret")
    await _forgotten()
    old = await post_signed(payloads.messaging(payloads.content(1)))
    new = await post_signed(payloads.messaging(payloads.content(1)), secret="the-rotated-secret")

    assert (old["status"], new["status"]) == (401, 200)


async def test_an_uninstalled_app_is_refused_as_soon_as_it_is_uninstalled(installation):
    await _cache_the_secret()

    await sync_to_async(_change)(deleted_at=timezone.now())
    await _forgotten()

    assert (await post_signed(payloads.messaging(payloads.content(1))))["status"] == 401


async def test_a_deleted_installation_row_is_forgotten(installation):
    await _cache_the_secret()

    await Installation.objects.filter(client_id=CLIENT_ID).adelete()
    await _forgotten()

    assert await secrets.client_secret(ACCOUNT, CLIENT_ID) == ""


async def test_while_not_listening_secrets_are_cached_only_briefly(installation, settings):
    settings.WEBHOOK_SECRET_UNLISTENED_CACHE_SECONDS = 1.0
    secrets._listeners[asyncio.get_running_loop()] = secrets._NotListening()

    await secrets.client_secret(ACCOUNT, CLIENT_ID)

    assert secrets._cache[(ACCOUNT, CLIENT_ID)][0] - time.monotonic() <= 1.0


async def test_losing_the_listening_connection_keeps_the_cache_until_it_listens_again(installation):
    await _cache_the_secret()
    listener = secrets._listener()

    await sync_to_async(_terminate)(listener._connection.info.backend_pid)
    async with asyncio.timeout(10):
        while listener.listening:
            await asyncio.sleep(0.01)
    kept_while_away = (ACCOUNT, CLIENT_ID) in secrets._cache
    await _listening()

    assert kept_while_away  # a PostgreSQL restart must not send every webhook to the database
    assert (ACCOUNT, CLIENT_ID) not in secrets._cache  # what changed meanwhile went unheard


def _terminate(pid: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


async def test_concurrent_lookups_of_one_app_share_one_query(installation, monkeypatch):
    await _listening_with_cache_cleared()
    loads = []
    real_load = secrets._load
    started, release = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    def counting_load(*key):  # the real query, counted, held until all lookups wait for it
        loads.append(key)
        loop.call_soon_threadsafe(started.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)
        return real_load(*key)

    monkeypatch.setattr(secrets, "_load", counting_load)
    lookups = [asyncio.ensure_future(secrets.client_secret(ACCOUNT, CLIENT_ID)) for _ in range(200)]
    await asyncio.wait_for(started.wait(), 10)
    lookups[0].cancel()  # one request gives up: the others still get their answer
    release.set()

    answers = await asyncio.gather(*lookups[1:])
    assert answers == [SECRET] * 199
    assert loads == [(ACCOUNT, CLIENT_ID)]
    assert secrets._loading[loop] == {}


async def _listening_with_cache_cleared() -> None:
    await secrets.client_secret(ACCOUNT, CLIENT_ID)  # starts the listener
    await _listening()
    secrets.clear_cache()
