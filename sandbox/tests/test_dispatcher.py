"""The sandbox's webhook dispatcher: LivePerson's side of webhooks (docs/WEBHOOKS.md),
against a real HTTP endpoint on loopback and the real database."""

import base64
import hashlib
import hmac
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import BASE_DIR, free_port
from conftest import tests_database_url as database_url
from sandbox import dispatcher
from sandbox.models import Account, DeliveryAttempt, Notification
from sandbox.tests.conftest import running_dispatchers
from sandbox.tests.webhook_endpoint import (
    CONTENT,
    CONVERSATION_CHANGE,
    SECRET,
    all_finished,
    open_conversation_with_message,
    queue,
    sandbox_app,
    wait_until,
)
from webhooks.notifications import signature_valid

Status = Notification.Status
CONVERSATION = "c0ffee00-0000-4000-8000-000000000001"


def refreshed(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


def make_due(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())


def always(status: int, delay: float = 0.0):
    return lambda received: (status, delay)


# --- The request (docs/WEBHOOKS.md) ---------------------------------------------


def test_it_posts_the_exact_body_signed_with_sha1(seeded, endpoint):
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, 'Grüße 👋 «quoted» \\ "done"')

    assert dispatcher.run_due() == 1

    [received] = endpoint.requests()
    assert received.body == notification.body.encode()
    expected = hmac.new(SECRET.encode(), received.body, hashlib.sha1).digest()
    assert received.headers["x-liveperson-signature"] == "sha1=" + base64.b64encode(expected).decode()
    assert signature_valid(received.body, received.headers["x-liveperson-signature"], SECRET)


def test_it_signs_with_sha256_when_the_account_asks_for_it(seeded, endpoint):
    Account.objects.filter(account_id="90000001").update(webhook_signature="sha256")
    queue(sandbox_app(endpoint.url), CONVERSATION, "Grüße 👋")

    dispatcher.run_due()

    [received] = endpoint.requests()
    signature = received.headers["x-liveperson-signature"]
    expected = hmac.new(SECRET.encode(), received.body, hashlib.sha256).digest()
    assert signature == "sha256=" + base64.b64encode(expected).decode()
    assert signature_valid(received.body, signature, SECRET)


def test_it_sends_livepersons_headers(seeded, endpoint):
    app = sandbox_app(endpoint.url)
    queue(app, CONVERSATION, "hi")

    dispatcher.run_due()

    [received] = endpoint.requests()
    assert received.headers["x-liveperson-account-id"] == "90000001"
    assert received.headers["x-liveperson-client-id"] == app.client_id
    assert received.headers["content-type"] == "application/json"
    assert received.path == "/hook"


def test_it_sends_the_webhooks_custom_headers(seeded, endpoint):
    headers = [
        {"header_name": "X-Api-Key", "header_value": "k-123"},
        {"header_name": "X-Env", "header_value": ""},
    ]
    queue(sandbox_app(endpoint.url, headers=headers), CONVERSATION, "hi")

    dispatcher.run_due()

    [received] = endpoint.requests()
    assert received.headers["x-api-key"] == "k-123"
    assert received.headers["x-env"] == ""


def test_a_custom_header_cannot_replace_the_signature(seeded, endpoint):
    forged = [{"header_name": "X-LivePerson-Signature", "header_value": "sha1=forged"}]
    queue(sandbox_app(endpoint.url, headers=forged), CONVERSATION, "hi")

    dispatcher.run_due()

    [received] = endpoint.requests()
    assert signature_valid(received.body, received.headers["x-liveperson-signature"], SECRET)


def test_it_uses_the_endpoint_of_the_notifications_webhook(seeded, endpoint):
    app = sandbox_app(endpoint.url.replace("/hook", "/content"), webhooks=[CONTENT])
    app.data["capabilities"]["webhooks"][CONVERSATION_CHANGE] = {
        "endpoint": endpoint.url.replace("/hook", "/conv")
    }
    app.save()
    queue(app, CONVERSATION, "first", webhook=CONVERSATION_CHANGE)
    queue(app, "other-conversation", "second")

    dispatcher.run_due()

    assert sorted(r.path for r in endpoint.requests()) == ["/content", "/conv"]


def test_it_calls_https_endpoints_on_local_hosts_over_http(seeded, endpoint):
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, "hi")

    dispatcher.run_due()

    attempt = DeliveryAttempt.objects.get(notification=notification)
    assert attempt.url == endpoint.url.replace("https://", "http://")


def test_other_hosts_keep_https(settings):
    assert dispatcher.reachable_url("https://example.com:8443/x?y=1") == "https://example.com:8443/x?y=1"
    assert dispatcher.reachable_url("https://[::1]:8443/x") == "http://[::1]:8443/x"
    settings.SANDBOX_WEBHOOK_PLAIN_HTTP_HOSTS = []
    assert dispatcher.reachable_url("https://127.0.0.1/x") == "https://127.0.0.1/x"


def test_neither_the_secret_nor_the_signature_is_logged(seeded, endpoint, caplog):
    queue(sandbox_app(endpoint.url, max_retries=1), CONVERSATION, "hi")
    endpoint.answer = always(500)

    with caplog.at_level(logging.DEBUG):
        dispatcher.run_due()

    signature = endpoint.requests()[0].headers["x-liveperson-signature"]
    assert "webhook" in caplog.text
    assert SECRET not in caplog.text
    assert signature.split("=", 1)[1] not in caplog.text


# --- Outcomes (docs/WEBHOOKS.md) ----------------------------------------------------


def test_it_returns_zero_when_there_is_nothing_due(seeded, endpoint):
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, "later")
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )

    assert dispatcher.run_due() == 0
    assert endpoint.requests() == []


@pytest.mark.parametrize("status", [200, 201])
def test_200_and_201_deliver(seeded, endpoint, status):
    endpoint.answer = always(status)
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, "hi")

    dispatcher.run_due()

    notification = refreshed(notification)
    attempt = DeliveryAttempt.objects.get(notification=notification)
    assert (notification.status, notification.attempts, notification.last_status) == (
        Status.DELIVERED,
        1,
        status,
    )
    assert notification.finished_at is not None
    assert notification.lease_token == ""
    assert (attempt.succeeded, attempt.status_code, attempt.error) == (True, status, "")


@pytest.mark.parametrize("status", [202, 204, 301, 400, 401, 500, 503])
def test_any_other_status_fails(seeded, endpoint, status):
    endpoint.answer = always(status)
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, "hi")

    dispatcher.run_due()

    notification = refreshed(notification)
    assert (notification.status, notification.last_status) == (Status.DROPPED, status)
    assert notification.last_error == "dropped: max_retries (0) exhausted"
    assert DeliveryAttempt.objects.get(notification=notification).succeeded is False


def test_a_slow_answer_times_out_and_is_retried(seeded, endpoint, settings):
    settings.SANDBOX_WEBHOOK_READ_TIMEOUT = 0.3
    answers = iter([(200, 1.0), (200, 0.0)])
    endpoint.answer = lambda received: next(answers)
    notification = queue(sandbox_app(endpoint.url, max_retries=1), CONVERSATION, "hi")

    dispatcher.run_due()
    first = refreshed(notification)
    make_due(notification)
    settings.SANDBOX_WEBHOOK_READ_TIMEOUT = 30
    dispatcher.run_due()

    assert (first.status, first.last_status, first.last_error) == (
        Status.PENDING,
        None,
        "no answer within 0.3 s",
    )
    attempts = list(DeliveryAttempt.objects.filter(notification=notification))
    assert [(a.status_code, a.succeeded) for a in attempts] == [(None, False), (200, True)]
    assert refreshed(notification).status == Status.DELIVERED


def test_a_refused_connection_is_a_failure(seeded):
    notification = queue(sandbox_app(f"https://127.0.0.1:{free_port()}/hook"), CONVERSATION, "hi")

    dispatcher.run_due()

    attempt = DeliveryAttempt.objects.get(notification=notification)
    assert attempt.error.startswith("connection failed: ")
    assert "Refused" in attempt.error
    assert refreshed(notification).status == Status.DROPPED


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"enabled": False}, "the app was disabled or deleted"),
        ({"deleted": True}, "the app was disabled or deleted"),
        ({"endpoint_removed": True}, f"the app has no endpoint for {CONTENT} any more"),
    ],
)
def test_it_drops_what_the_app_no_longer_takes(seeded, endpoint, change, reason):
    app = sandbox_app(endpoint.url)
    notification = queue(app, CONVERSATION, "hi")
    if "enabled" in change:
        app.data["enabled"] = False
    if "endpoint_removed" in change:
        del app.data["capabilities"]["webhooks"][CONTENT]
    app.deleted = change.get("deleted", False)
    app.save()

    assert dispatcher.run_due() == 1

    notification = refreshed(notification)
    assert (notification.status, notification.last_error, notification.attempts) == (
        Status.DROPPED,
        reason,
        0,
    )
    assert endpoint.requests() == []


# --- Retries by max_retries (docs/WEBHOOKS.md) -------------------------------------------


def test_a_failure_is_retried_max_retries_times_30_s_apart_then_dropped(seeded, endpoint):
    endpoint.answer = always(500)
    notification = queue(sandbox_app(endpoint.url, max_retries=2), CONVERSATION, "hi")
    gaps = []

    for _ in range(3):
        make_due(notification)
        dispatcher.run_due()
        current = refreshed(notification)
        if current.status == Status.PENDING:
            started = DeliveryAttempt.objects.filter(notification=notification).last().started_at
            gaps.append(current.next_attempt_at - started)
            assert dispatcher.run_due() == 0  # not due before its time

    assert len(endpoint.requests()) == 3
    assert all(timedelta(seconds=30) <= gap < timedelta(seconds=40) for gap in gaps)
    assert len(gaps) == 2
    assert (current.status, current.attempts, current.last_status) == (Status.DROPPED, 3, 500)
    assert current.last_error == "dropped: max_retries (2) exhausted"


def test_retries_run_on_their_own_in_the_background(dispatcher, endpoint):
    endpoint.answer = always(500)
    notification = queue(sandbox_app(endpoint.url, max_retries=3), CONVERSATION, "hi")

    wait_until(all_finished)

    times = [received.at for received in endpoint.requests()]
    assert len(times) == 4
    assert all(later - earlier >= 0.3 for earlier, later in zip(times, times[1:], strict=False))
    assert refreshed(notification).status == Status.DROPPED


# --- Retries by retention_time (docs/WEBHOOKS.md) --------------------------------------------


def test_retention_time_retries_with_exponential_backoff_capped_at_5_minutes(seeded):
    app = sandbox_app("https://127.0.0.1/hook", max_retries=1, retention_time=259200)
    notification = queue(app, CONVERSATION, "hi")
    now = timezone.now()

    delays = [dispatcher.next_attempt_at(notification, attempts=n, now=now) - now for n in range(1, 12)]

    seconds = [2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert delays == [timedelta(seconds=s) for s in seconds]


def test_the_retry_scale_shortens_every_delay(seeded, settings):
    settings.SANDBOX_WEBHOOK_RETRY_SCALE = 0.01
    by_ttl = queue(sandbox_app("https://127.0.0.1/h", max_retries=1, retention_time=3600), CONVERSATION, "a")
    by_count = queue(sandbox_app("https://127.0.0.1/h", max_retries=1), CONVERSATION, "b")
    now = timezone.now()

    assert dispatcher.next_attempt_at(by_ttl, attempts=3, now=now) == now + timedelta(seconds=0.08)
    assert dispatcher.next_attempt_at(by_count, attempts=1, now=now) == now + timedelta(seconds=0.3)


def test_retention_time_overrides_max_retries(seeded):
    notification = queue(
        sandbox_app("https://127.0.0.1/h", max_retries=1, retention_time=3600), CONVERSATION, "a"
    )
    now = timezone.now()

    assert isinstance(dispatcher.next_attempt_at(notification, attempts=6, now=now), type(now))


def test_no_retry_is_due_after_the_retention_time(seeded):
    notification = queue(
        sandbox_app("https://127.0.0.1/h", max_retries=1, retention_time=60), CONVERSATION, "a"
    )
    created = notification.created_at

    within = dispatcher.next_attempt_at(notification, attempts=4, now=created + timedelta(seconds=40))
    beyond = dispatcher.next_attempt_at(notification, attempts=4, now=created + timedelta(seconds=45))

    assert within == created + timedelta(seconds=56)
    assert beyond == "retention_time expired"


def test_with_max_retries_0_a_failure_is_dropped_while_the_app_is_up(seeded, endpoint):
    endpoint.answer = always(500)
    notification = queue(sandbox_app(endpoint.url, max_retries=0, retention_time=3600), CONVERSATION, "hi")

    dispatcher.run_due()

    notification = refreshed(notification)
    assert notification.status == Status.DROPPED
    assert notification.last_error == "dropped: max_retries is 0 and the app is not failing"


def test_with_max_retries_0_a_notification_waits_while_the_app_is_failing(seeded, endpoint):
    # "If the corresponding app install is already failing, these events will be put in
    # the retry mechanism and will be resend when the endpoints recover" (Retry Policy).
    endpoint.answer = always(500)
    app = sandbox_app(endpoint.url, max_retries=0, retention_time=3600)
    failing = queue(app, "another-conversation", "failed before")
    Notification.objects.filter(pk=failing.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    notification = queue(app, CONVERSATION, "hi")

    assert dispatcher.run_due() == 0

    assert (refreshed(notification).status, refreshed(notification).attempts) == (Status.PENDING, 0)
    assert endpoint.requests() == []


def test_by_time_to_live_a_webhook_without_max_retries_is_retried(seeded, endpoint):
    # Retry by time to live applies to every webhook of the app (Retry Policy, "Numbers vs. time
    # to live"); only an explicit max_retries 0 opts out. Missing is not 0.
    endpoint.answer = always(500)
    notification = queue(sandbox_app(endpoint.url, retention_time=3600), CONVERSATION, "hi")

    dispatcher.run_due()

    notification = refreshed(notification)
    assert (notification.status, notification.attempts) == (Status.PENDING, 1)
    assert notification.next_attempt_at > timezone.now()


def test_by_numbers_a_webhook_without_max_retries_is_dropped_at_once(seeded, endpoint):
    endpoint.answer = always(500)
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, "hi")

    dispatcher.run_due()

    assert refreshed(notification).status == Status.DROPPED


def test_a_failed_app_holds_every_conversation_until_it_recovers(seeded, endpoint):
    # "If an app install fails, all events for each webhook endpoint are stored in the retry
    # mechanism, regardless if the endpoint works or not" (Retry Policy, app states).
    app = sandbox_app(endpoint.url, retention_time=3600)
    endpoint.answer = always(500)
    first = queue(app, "conversation-a", "a1")
    dispatcher.run_due()
    queue(app, "conversation-b", "b1")
    queue(app, "conversation-a", "a2")
    queue(app, "conversation-b", "b2")

    assert dispatcher.run_due() == 0  # b1 is held although its conversation never failed

    endpoint.answer = always(200)
    make_due(first)
    while dispatcher.run_due():
        pass

    texts = [r.text for r in endpoint.requests()]
    assert texts[:2] == ["a1", "a1"]
    assert sorted(texts[2:]) == ["a2", "b1", "b2"]
    assert texts.index("b1") < texts.index("b2")
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.DELIVERED}


def test_by_numbers_a_failing_event_does_not_hold_back_the_next(seeded, endpoint):
    # "it is possible that a subsequent event will be delivered before" (Retry Policy, numbers).
    app = sandbox_app(endpoint.url, max_retries=1)
    endpoint.answer = always(500)
    first = queue(app, CONVERSATION, "first")
    dispatcher.run_due()
    endpoint.answer = always(200)
    queue(app, CONVERSATION, "second")

    dispatcher.run_due()
    make_due(first)
    dispatcher.run_due()

    assert [r.text for r in endpoint.requests()] == ["first", "second", "first"]
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.DELIVERED}


def test_retention_backoff_runs_in_the_background_until_expiry(dispatcher, endpoint):
    endpoint.answer = always(500)
    # Scaled by 0.01: a 6 s window, retries after 0.02, 0.04, 0.08... s, then at most 3 s apart.
    notification = queue(sandbox_app(endpoint.url, max_retries=1, retention_time=600), CONVERSATION, "hi")

    wait_until(all_finished)

    notification = refreshed(notification)
    times = [received.at for received in endpoint.requests()]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) >= 2
    assert all(gap >= min(0.02 * 2**n, 3.0) for n, gap in enumerate(gaps))
    assert (notification.status, notification.attempts) == (Status.DROPPED, len(times))
    assert notification.last_error == "dropped: retention_time expired"


def test_a_notification_that_expired_while_waiting_is_dropped_unsent(seeded, endpoint):
    notification = queue(sandbox_app(endpoint.url, max_retries=1, retention_time=60), CONVERSATION, "hi")
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(seconds=61))

    dispatcher.run_due()

    notification = refreshed(notification)
    assert (notification.status, notification.last_error) == (Status.DROPPED, "retention_time expired")
    assert endpoint.requests() == []


# --- Order (docs/WEBHOOKS.md) -------------------------------------------------------------


def test_order_holds_within_a_conversation_across_a_recovery(dispatcher, endpoint):
    app = sandbox_app(endpoint.url, retention_time=3600)
    for text in ["a1", "a2", "a3"]:
        queue(app, "conversation-a", text)
    for text in ["b1", "b2"]:
        queue(app, "conversation-b", text)

    def answer(received):
        # a1 fails twice; meanwhile the app is FAILED and b waits too.
        a1_tries = sum(r.text == "a1" for r in endpoint.requests())
        return (500 if received.text == "a1" and a1_tries <= 2 else 200), 0.0

    endpoint.answer = answer
    wait_until(all_finished)

    texts = [r.text for r in endpoint.requests()]
    a_texts = [t for t in texts if t.startswith("a")]
    assert a_texts == ["a1", "a1", "a1", "a2", "a3"]
    recovered = [i for i, t in enumerate(texts) if t == "a1"][-1]
    # b1 may go out with a1's first try (claimed together); nothing of b goes out while the
    # app is FAILED, between a1's first failure and its success.
    b_sent = [i for i, t in enumerate(texts) if t.startswith("b")]
    assert all(i <= 1 or i > recovered for i in b_sent)
    assert texts.index("b2") > recovered
    assert [t for t in texts if t.startswith("b")] == ["b1", "b2"]
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.DELIVERED}


def test_conversations_of_different_apps_are_independent(seeded, endpoint):
    first, second = sandbox_app(endpoint.url), sandbox_app(endpoint.url)
    queue(first, CONVERSATION, "from the first app")
    queue(second, CONVERSATION, "from the second app")

    assert dispatcher.run_due() == 2


# --- Several workers, crashed workers ------------------------------------------------------


def test_two_dispatchers_deliver_each_notification_exactly_once_in_order(seeded, endpoint):
    endpoint.answer = always(200, 0.005)
    app = sandbox_app(endpoint.url)
    conversations = [f"conversation-{n}" for n in range(10)]
    for step in range(4):
        for conversation in conversations:
            queue(app, conversation, f"{conversation}/{step}")

    with running_dispatchers(2):
        wait_until(all_finished)

    texts = [r.text for r in endpoint.requests()]
    assert sorted(texts) == sorted(f"{c}/{s}" for c in conversations for s in range(4))
    for conversation in conversations:
        assert [t for t in texts if t.startswith(f"{conversation}/")] == [
            f"{conversation}/{s}" for s in range(4)
        ]
    assert DeliveryAttempt.objects.count() == 40
    assert Notification.objects.filter(status=Status.DELIVERED, attempts=1).count() == 40


def test_an_expired_lease_is_taken_over_and_delivered_once(seeded, endpoint):
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, "hi")
    Notification.objects.filter(pk=notification.pk).update(
        lease_token="crashed-worker", leased_until=timezone.now() - timedelta(seconds=1)
    )

    assert dispatcher.run_due() == 1
    assert dispatcher.run_due() == 0

    notification = refreshed(notification)
    assert (notification.status, notification.attempts, notification.lease_token) == (Status.DELIVERED, 1, "")
    assert len(endpoint.requests()) == 1


def test_a_live_lease_is_left_alone(seeded, endpoint):
    notification = queue(sandbox_app(endpoint.url), CONVERSATION, "hi")
    Notification.objects.filter(pk=notification.pk).update(
        lease_token="busy-worker", leased_until=timezone.now() + timedelta(minutes=1)
    )

    assert dispatcher.run_due() == 0
    assert endpoint.requests() == []


KILLED_WORKER = textwrap.dedent(
    """
    import threading
    import django

    django.setup()
    from sandbox import dispatcher

    dispatcher.run_forever(threading.Event(), poll=0.02)
    """
)


def test_a_worker_killed_mid_post_loses_nothing(seeded, endpoint):
    app = sandbox_app(endpoint.url)
    first = queue(app, CONVERSATION, "in flight when the worker died")
    second = queue(app, CONVERSATION, "queued behind it")
    endpoint.answer = lambda received: (200, 10.0 if len(endpoint.requests()) == 1 else 0.0)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "connector_site.settings",
    }
    worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER], cwd=BASE_DIR, env=env)
    try:
        wait_until(lambda: endpoint.requests(), message="the worker never posted")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert refreshed(first).lease_token  # still claimed by the dead worker
    # Time passes: the dead worker's lease runs out.
    Notification.objects.filter(pk=first.pk).update(leased_until=timezone.now() - timedelta(seconds=1))

    while dispatcher.run_due():
        pass

    assert [refreshed(n).status for n in (first, second)] == [Status.DELIVERED, Status.DELIVERED]
    assert [r.text for r in endpoint.requests()] == [
        "in flight when the worker died",  # the killed worker's POST, never acknowledged to it
        "in flight when the worker died",
        "queued behind it",
    ]
    assert DeliveryAttempt.objects.filter(notification=first).count() == 1
    assert refreshed(first).attempts == 1


# --- Built by sandbox.messaging ------------------------------------------------------------


def test_it_delivers_what_the_messaging_core_queues(dispatcher, endpoint):
    app = sandbox_app(endpoint.url)
    conversation = open_conversation_with_message(app, "Grüße 👋")

    wait_until(lambda: len(endpoint.requests()) == 2)

    received = endpoint.requests()
    assert [json.loads(r.body)["type"] for r in received] == [
        CONVERSATION_CHANGE,
        "ms.MessagingEventNotification",
    ]
    assert received[1].change["conversationId"] == conversation.conversation_id
    assert received[1].text == "Grüße 👋"
    assert wait_until(all_finished)
