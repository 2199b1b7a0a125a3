"""The JSON API: tokens and scopes, one account's data only, filters, keyset pages, bad input."""

import base64
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import access_tokens
from accounts.models import User
from webhooks.models import Event
from webhooks.tests import factories
from webhooks.tests.factories import ACCOUNT, CLIENT_ID, OTHER_ACCOUNT

pytestmark = pytest.mark.django_db

OTHER_APP = "c1d2e3f4-0000-4000-8000-000000000002"


def _token(scope="read", account_id=ACCOUNT, login="dev") -> str:
    user, _ = User.objects.get_or_create(
        username=f"{account_id}:{login}", defaults={"lp_account_id": account_id, "lp_login_name": login}
    )
    return access_tokens.create(user, name="test", scope=scope)[1]


@pytest.fixture
def token():
    return _token()


@pytest.fixture
def get(client, token):
    def get(path, token=token, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.get(f"/api/v1{path}", params, headers=headers)

    return get


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- Authentication and scopes ---


def test_it_refuses_a_request_without_a_token(get):
    response = get("/deliveries", token=None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("bad", ["cst_" + "x" * 40, "nonsense", "cst_"])
def test_it_refuses_an_unknown_token(get, bad):
    assert get("/deliveries", token=bad).status_code == 401


def test_it_refuses_a_token_in_another_scheme(client, token):
    response = client.get("/api/v1/deliveries", headers={"Authorization": f"Basic {token}"})

    assert response.status_code == 401


def test_it_refuses_a_revoked_token(get, token):
    stored = access_tokens.authenticate(token, needs="read")
    access_tokens.revoke(stored.user, stored.pk)

    assert get("/deliveries", token=token).status_code == 401


def test_a_forward_only_token_is_forbidden(get):
    response = get("/deliveries", token=_token(scope="forward"))

    assert response.status_code == 403
    assert "scope" in response.json()["detail"]


@pytest.mark.parametrize("scope", ["read", "full"])
def test_read_and_full_tokens_may_read(get, scope):
    factories.delivery()

    assert len(_ids(get("/deliveries", token=_token(scope=scope)))) == 1


def test_it_ignores_a_token_in_the_query_string(client, token):
    assert client.get("/api/v1/deliveries", {"token": token, "access_token": token}).status_code == 401


def test_responses_are_not_cached(get):
    assert get("/deliveries")["Cache-Control"] == "no-store"


def test_tokens_never_reach_the_logs(client, get, token, settings, caplog):
    # In DEBUG, django-ninja's own bearer parser logs a malformed header whole.
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    factories.delivery()

    get("/deliveries")
    get("/deliveries", token=token[:-1] + "!")
    get("/deliveries", token=_token(scope="forward"))
    client.get("/api/v1/deliveries", headers={"Authorization": f"Token {token}"})
    client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {token} extra"})

    assert caplog.records
    assert token[len("cst_") :] not in caplog.text


# --- One account only ---


def test_it_lists_only_the_tokens_account(get):
    own = factories.delivery()
    factories.delivery(account_id=OTHER_ACCOUNT)

    assert _ids(get("/deliveries")) == [own.pk]


def test_the_account_comes_from_the_token_not_the_request(get):
    factories.delivery(account_id=OTHER_ACCOUNT)

    assert _ids(get("/deliveries", account_id=OTHER_ACCOUNT)) == []


def test_it_never_shows_another_accounts_delivery_event_or_conversation(get):
    theirs = factories.conversation("theirs", account_id=OTHER_ACCOUNT)
    their_delivery = factories.delivery(account_id=OTHER_ACCOUNT)
    factories.event(theirs, their_delivery)

    assert get(f"/deliveries/{their_delivery.pk}").status_code == 404
    assert get(f"/conversations/{theirs.pk}").status_code == 404
    assert get(f"/conversations/{theirs.pk}/events").status_code == 404
    assert _ids(get("/events")) == []
    assert _ids(get("/conversations")) == []


def test_a_token_of_another_account_sees_that_account_only(get):
    factories.delivery()
    theirs = factories.delivery(account_id=OTHER_ACCOUNT)

    assert _ids(get("/deliveries", token=_token(account_id=OTHER_ACCOUNT))) == [theirs.pk]


# --- Deliveries ---


def test_a_delivery_has_its_masked_headers_and_body(get):
    delivery = factories.delivery(
        headers={"x-liveperson-signature": "sha1=abc", "authorization": "•••• (20 characters)"},
        body='{"kind": "notification"}',
    )

    data = get(f"/deliveries/{delivery.pk}").json()

    assert data["body"] == '{"kind": "notification"}'
    assert ["x-liveperson-signature", "sha1=abc"] in data["headers"]
    assert ["authorization", "•••• (20 characters)"] in data["headers"]


def test_the_list_leaves_headers_and_bodies_out(get):
    factories.delivery()

    item = get("/deliveries").json()["items"][0]

    assert "body" not in item
    assert "headers" not in item
    assert item["client_id"] == CLIENT_ID


def test_deliveries_filter_by_app_and_outcome(get):
    accepted = factories.delivery()
    rejected = factories.delivery(accepted=False)
    other_app = factories.delivery(client_id=OTHER_APP)

    assert _ids(get("/deliveries", outcome="rejected")) == [rejected.pk]
    assert _ids(get("/deliveries", app=OTHER_APP)) == [other_app.pk]
    assert set(_ids(get("/deliveries", app=CLIENT_ID, outcome="accepted"))) == {accepted.pk}


def test_deliveries_filter_by_conversation_and_event_type(get):
    conv = factories.conversation("conv-a")
    with_content = factories.delivery()
    factories.event(conv, with_content)
    with_upsert = factories.delivery()
    factories.event(factories.conversation("conv-b"), with_upsert, event_type="UPSERT")
    factories.delivery()

    assert _ids(get("/deliveries", conversation="conv-a")) == [with_content.pk]
    assert _ids(get("/deliveries", event_type="UPSERT")) == [with_upsert.pk]


def test_deliveries_filter_by_time_range(get):
    old = factories.delivery(minutes_ago=60)
    middle = factories.delivery(minutes_ago=30)
    factories.delivery(minutes_ago=0)
    since = (timezone.now() - timedelta(minutes=90)).isoformat()
    before = (timezone.now() - timedelta(minutes=10)).isoformat()

    assert _ids(get("/deliveries", since=since, before=before)) == [middle.pk, old.pk]


def test_a_time_without_an_offset_is_utc(get):
    recent = factories.delivery(minutes_ago=5)
    since = (timezone.now() - timedelta(minutes=10)).replace(tzinfo=None).isoformat()

    assert _ids(get("/deliveries", since=since)) == [recent.pk]


# --- Pages ---


def test_pages_are_newest_first_with_a_cursor_to_the_next(get):
    rows = [factories.delivery(minutes_ago=10 - n) for n in range(5)]
    newest_first = [row.pk for row in reversed(rows)]

    first = get("/deliveries", limit=2).json()
    second = get("/deliveries", limit=2, cursor=first["next_cursor"]).json()
    third = get("/deliveries", limit=2, cursor=second["next_cursor"]).json()

    pages = [[item["id"] for item in page["items"]] for page in (first, second, third)]
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert third["next_cursor"] is None


def test_pages_stay_right_while_webhooks_arrive(get):
    old = [factories.delivery(minutes_ago=10 - n) for n in range(4)]
    seen = []

    page = get("/deliveries", limit=2).json()
    seen += [item["id"] for item in page["items"]]
    factories.delivery()  # arrives between two pages
    factories.delivery()
    while page["next_cursor"]:
        page = get("/deliveries", limit=2, cursor=page["next_cursor"]).json()
        seen += [item["id"] for item in page["items"]]

    assert seen == [row.pk for row in reversed(old)]


def test_rows_received_at_the_same_moment_are_neither_repeated_nor_skipped(get):
    moment = timezone.now()
    rows = [factories.delivery(received_at=moment) for _ in range(5)]
    seen, cursor = [], None

    for _ in range(3):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = get("/deliveries", **params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]

    assert seen == sorted((row.pk for row in rows), reverse=True)
    assert cursor is None


def test_the_default_page_is_50_rows(get):
    for _ in range(51):
        factories.delivery()

    page = get("/deliveries").json()

    assert len(page["items"]) == 50
    assert page["next_cursor"]


@pytest.mark.parametrize("limit", ["0", "201", "-1", "many"])
def test_it_refuses_a_page_size_out_of_bounds(get, limit):
    assert get("/deliveries", limit=limit).status_code == 422


def test_it_allows_a_page_of_200(get):
    assert get("/deliveries", limit=200).status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"[1]").decode(),
        base64.urlsafe_b64encode(b'["not a time", 1]').decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00", 1]').decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", "1"]').decode(),
        base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", 99999999999999999999]').decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        "é",
    ],
)
def test_it_refuses_a_cursor_it_did_not_make(get, cursor):
    response = get("/deliveries", cursor=cursor)

    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_it_refuses_an_overlong_cursor_without_decoding_it(get):
    assert get("/deliveries", cursor="A" * 10_000).status_code == 422


@pytest.mark.parametrize(
    "params",
    [
        {"event_type": "Bogus"},
        {"outcome": "maybe"},
        {"since": "yesterday"},
        {"before": "2026-13-45T00:00"},
        {"app": "a" * 129},
        {"conversation": "c" * 129},
    ],
)
def test_it_refuses_bad_filter_values_saying_which(get, params):
    response = get("/deliveries", **params)

    assert response.status_code == 422
    assert list(params) == [error["loc"][-1] for error in response.json()["detail"]]


@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "abc"])
def test_it_refuses_a_bad_row_id(get, pk):
    assert get(f"/deliveries/{pk}").status_code in (404, 422)
    assert get(f"/conversations/{pk}").status_code in (404, 422)


# --- Events ---


def test_events_are_newest_first_and_filtered_like_deliveries(get):
    conv = factories.conversation("conv-a")
    delivery = factories.delivery()
    content = factories.event(conv, delivery)
    upsert = factories.event(conv, delivery, event_type="UPSERT")
    other_app = factories.event(factories.conversation("conv-b"), factories.delivery(client_id=OTHER_APP))
    Event.objects.filter(pk=other_app.pk).update(client_id=OTHER_APP)

    assert _ids(get("/events", conversation="conv-a")) == [upsert.pk, content.pk]
    assert _ids(get("/events", conversation="conv-a", event_type="ContentEvent")) == [content.pk]
    assert _ids(get("/events", app=OTHER_APP)) == [other_app.pk]


def test_an_event_says_its_conversation_seq_and_payload(get):
    conv = factories.conversation("conv-a")
    event = factories.event(conv, factories.delivery())

    item = get("/events").json()["items"][0]

    assert item["conversation_id"] == "conv-a"
    assert item["conversation"] == conv.pk
    assert item["seq"] == 1
    assert item["delivery"] == event.delivery_id
    assert item["payload"]["event"]["message"] == "Hello"


def test_events_filter_other_types(get):
    conv = factories.conversation()
    factories.event(conv, event_type="ContentEvent")
    odd = factories.event(conv, event_type="SomethingNew")

    assert _ids(get("/events", event_type="other")) == [odd.pk]


# --- Conversations ---


def test_conversations_are_listed_newest_first_and_filtered(get):
    first = factories.conversation("alpha-1")
    second = factories.conversation("beta-2", client_id=OTHER_APP)

    assert _ids(get("/conversations")) == [second.pk, first.pk]
    assert _ids(get("/conversations", conversation="alpha")) == [first.pk]
    assert _ids(get("/conversations", app=OTHER_APP)) == [second.pk]


def test_conversation_pages_stay_right_when_an_old_conversation_gets_an_event(get):
    rows = [factories.conversation(f"conv-{n}") for n in range(4)]

    page = get("/conversations", limit=2).json()
    seen = [item["id"] for item in page["items"]]
    factories.event(rows[0])  # the oldest one is active again
    page = get("/conversations", limit=2, cursor=page["next_cursor"]).json()
    seen += [item["id"] for item in page["items"]]

    assert seen == [row.pk for row in reversed(rows)]


def test_a_conversations_events_come_in_seq_order_page_by_page(get):
    conv = factories.conversation()
    events = [factories.event(conv) for _ in range(3)]

    first = get(f"/conversations/{conv.pk}/events", limit=2).json()
    events.append(factories.event(conv))  # arrives meanwhile: comes after
    second = get(f"/conversations/{conv.pk}/events", limit=2, cursor=first["next_cursor"]).json()

    seqs = [item["seq"] for item in first["items"] + second["items"]]
    assert seqs == [1, 2, 3, 4]
    assert second["next_cursor"] is None


# --- OpenAPI ---


def test_the_openapi_document_is_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert {"/api/v1/deliveries", "/api/v1/events", "/api/v1/conversations"} <= set(document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert any(scheme.get("scheme") == "bearer" for scheme in schemes.values())


def test_there_is_no_docs_page_needing_outside_scripts(client):
    assert client.get("/api/v1/docs").status_code == 404
