from datetime import UTC, datetime

import pytest

from apps_admin.models import Installation
from webhooks import selectors
from webhooks.tests import factories
from webhooks.tests.factories import ACCOUNT, CLIENT_ID, OTHER_ACCOUNT

db = pytest.mark.django_db


# --- delivery_list ---


@db
def test_delivery_list_is_empty_for_an_empty_account_id():
    factories.delivery(account_id="")

    assert list(selectors.delivery_list(account_id="", filters={})) == []


@db
def test_delivery_list_keeps_one_row_per_delivery_when_several_events_match():
    delivery = factories.delivery()
    conv = factories.conversation()
    for _ in range(3):
        factories.event(conv, delivery)

    deliveries = selectors.delivery_list(
        account_id=ACCOUNT, filters={"conversation": "conv-1", "event_type": "ContentEvent"}
    )

    assert [d.pk for d in deliveries] == [delivery.pk]


@db
def test_delivery_list_combines_filters():
    conv = factories.conversation()
    wanted = factories.delivery(client_id="app-a", received_at=datetime(2030, 1, 1, 10, tzinfo=UTC))
    factories.event(conv, wanted, event_type="ChatStateEvent")
    wrong_app = factories.delivery(client_id="app-b", received_at=datetime(2030, 1, 1, 10, tzinfo=UTC))
    factories.event(conv, wrong_app, event_type="ChatStateEvent")
    too_early = factories.delivery(client_id="app-a", received_at=datetime(2030, 1, 1, 8, tzinfo=UTC))
    factories.event(conv, too_early, event_type="ChatStateEvent")

    filters = {"app": "app-a", "event_type": "ChatStateEvent", "since": datetime(2030, 1, 1, 9, tzinfo=UTC)}

    assert [d.pk for d in selectors.delivery_list(account_id=ACCOUNT, filters=filters)] == [wanted.pk]


@db
def test_delivery_list_does_not_load_bodies_or_headers():
    factories.delivery()

    delivery = selectors.delivery_list(account_id=ACCOUNT, filters={})[0]

    assert {"body", "headers"} <= delivery.get_deferred_fields()


@db
def test_delivery_rows_add_app_names_and_distinct_conversations_in_event_order():
    delivery = factories.delivery()
    first, second = factories.conversation("conv-a"), factories.conversation("conv-b")
    for conv in (first, second, first):
        factories.event(conv, delivery)
    factories.event(None, delivery, event_type="DELETE", payload={"type": "DELETE"})

    rows = selectors.delivery_rows(
        selectors.delivery_list(account_id=ACCOUNT, filters={}), names={CLIENT_ID: "Support bot"}
    )

    assert rows[0].app_name == "Support bot"
    assert [c.conversation_id for c in rows[0].conversations] == ["conv-a", "conv-b"]


@db
def test_newest_delivery_id_is_the_accounts_latest():
    factories.delivery(minutes_ago=5)
    newest = factories.delivery(minutes_ago=1)
    factories.delivery(account_id=OTHER_ACCOUNT)

    assert selectors.newest_delivery_id(account_id=ACCOUNT) == newest.pk
    assert selectors.newest_delivery_id(account_id="") == 0


def test_end_of_minute_includes_the_picked_minute():
    picked = datetime(2030, 1, 1, 10, 30, tzinfo=UTC)

    assert selectors.end_of_minute(picked) == datetime(2030, 1, 1, 10, 31, tzinfo=UTC)


# --- App choices ---


@db
def test_app_choices_list_known_apps_by_name_then_other_client_ids():
    Installation.objects.create(account_id=ACCOUNT, client_id="id-z", name="alpha")
    Installation.objects.create(account_id=ACCOUNT, client_id="id-a", name="Beta")
    factories.delivery(client_id="stranger")
    factories.delivery(client_id="id-z")
    factories.delivery(client_id="")

    names = selectors.app_names(account_id=ACCOUNT)

    assert selectors.app_choices(account_id=ACCOUNT, names=names) == [
        ("id-z", "alpha (id-z)"),
        ("id-a", "Beta (id-a)"),
        ("stranger", "stranger"),
    ]


@db
def test_app_names_are_empty_without_an_account():
    Installation.objects.create(account_id="", client_id="x", name="nobody's")

    assert selectors.app_names(account_id="") == {}


# --- Bodies and headers ---


def test_body_pretty_indents_json():
    assert selectors.body_pretty('{"a":[1,2]}') == ('{\n  "a": [\n    1,\n    2\n  ]\n}', True)


def test_body_pretty_keeps_unicode_readable():
    assert selectors.body_pretty('{"text":"caf\\u00e9 👋"}')[0] == '{\n  "text": "café 👋"\n}'


def test_body_pretty_returns_other_text_unchanged():
    assert selectors.body_pretty("not json {") == ("not json {", False)


def test_header_rows_accept_an_object_or_pairs():
    assert selectors.header_rows({"a": "1"}) == [("a", "1")]
    assert selectors.header_rows([["a", "1"], ["b", "2"]]) == [("a", "1"), ("b", "2")]
    assert selectors.header_rows(None) == []


# --- Conversations ---


@db
def test_conversation_list_is_empty_for_an_empty_account_id():
    factories.conversation(account_id="")

    assert list(selectors.conversation_list(account_id="", filters={})) == []


@db
def test_conversation_list_matches_part_of_the_id_in_any_case():
    wanted = factories.conversation("AbCd-1234")
    factories.conversation("zzzz")

    found = selectors.conversation_list(account_id=ACCOUNT, filters={"conversation": "bcd-12"})

    assert [c.pk for c in found] == [wanted.pk]


@db
def test_conversation_timeline_is_in_seq_order_with_summaries():
    conv = factories.conversation()
    factories.event(conv, payload=factories.content_payload("first"))
    factories.event(conv, event_type="ChatStateEvent", payload={"event": {"chatState": "PAUSE"}})

    timeline = selectors.conversation_timeline(conversation=conv)

    assert [(e.seq, e.summary) for e in timeline] == [(1, "first"), (2, "PAUSE")]
    assert timeline[1].payload_pretty == '{\n  "event": {\n    "chatState": "PAUSE"\n  }\n}'


@db
def test_conversation_timeline_returns_the_newest_events_before_a_seq():
    conv = factories.conversation()
    for _ in range(6):
        factories.event(conv)

    timeline = selectors.conversation_timeline(conversation=conv, before_seq=5, limit=2)

    assert [e.seq for e in timeline] == [3, 4]
