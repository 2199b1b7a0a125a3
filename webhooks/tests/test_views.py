"""The events and conversations pages, on rows made with the ORM (not the receiver)."""

import json
import re
from datetime import UTC, datetime

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import User
from apps_admin.models import Installation
from chat.models import ChatConversation
from webhooks import selectors
from webhooks.tests import factories
from webhooks.tests.factories import ACCOUNT, CLIENT_ID, OTHER_ACCOUNT

pytestmark = pytest.mark.django_db

EVENTS = "/events/"
CONVERSATIONS = "/conversations/"


@pytest.fixture
def user():
    return User.objects.create(username=f"{ACCOUNT}:admin", lp_account_id=ACCOUNT, lp_login_name="admin")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def installed_app():
    return Installation.objects.create(account_id=ACCOUNT, client_id=CLIENT_ID, name="Support bot")


def _upsert(state: str, stage: str) -> dict:
    return {"type": "UPSERT", "result": {"conversationDetails": {"state": state, "stage": stage}}}


def _demo_chat(user, installation, conversation_id: str, consumer_name: str = "Kim"):
    return ChatConversation.objects.create(
        user=user,
        account_id=ACCOUNT,
        installation=installation,
        conversation_id=conversation_id,
        main_dialog_id=conversation_id,
        dialog_id=conversation_id,
        consumer_name=consumer_name,
        ext_consumer_id="ext-1",
        consumer_jws="jws",
    )


def _ids(response, key="rows"):
    return [row.pk for row in response.context[key]]


def _page_ids(response):
    return [row.pk for row in response.context["page"].object_list]


# --- Access ---


@pytest.mark.parametrize("path", [EVENTS, f"{EVENTS}1/", CONVERSATIONS, f"{CONVERSATIONS}1/"])
def test_every_page_requires_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_nav_links_to_events_and_conversations(logged_in):
    html = logged_in.get("/events/").content.decode()

    assert '<a href="/events/">Events</a>' in html
    assert '<a href="/conversations/">Conversations</a>' in html


def test_the_nav_has_no_events_link_for_anonymous_visitors(client):
    html = client.get("/accounts/login/").content.decode()

    assert 'href="/events/"' not in html


# --- Delivery list ---


def test_the_list_shows_the_accounts_deliveries_newest_first(logged_in):
    old = factories.delivery(minutes_ago=10)
    new = factories.delivery(minutes_ago=1)

    response = logged_in.get(EVENTS)

    assert _ids(response) == [new.pk, old.pk]


def test_the_list_hides_other_accounts_deliveries(logged_in):
    factories.delivery(account_id=OTHER_ACCOUNT)
    factories.delivery(account_id="")

    response = logged_in.get(EVENTS)

    assert _ids(response) == []
    assert b'data-testid="deliveries-empty"' in response.content


def test_a_user_without_a_liveperson_account_sees_no_deliveries(client):
    operator = User.objects.create(username="operator", lp_account_id="")
    client.force_login(operator)
    factories.delivery(account_id="")  # e.g. a request with no X-Liveperson-* headers

    assert _ids(client.get(EVENTS)) == []


def test_a_row_shows_time_app_conversation_sender_change_summary_and_outcome(logged_in, installed_app):
    delivery = factories.delivery()
    conv = factories.conversation("5491c2f1-1c9e-4e39-a5d2-2c6b6e4b0001")
    payload = {**factories.content_payload("Hi there"), "originatorMetadata": {"role": "CONSUMER"}}
    factories.event(conv, delivery, payload=payload)
    factories.event(conv, delivery)

    html = logged_in.get(EVENTS).content.decode()

    assert f'<tr data-id="{delivery.pk}">' in html
    assert f'href="/events/{delivery.pk}/"' in html
    assert '<td class="app">Support bot</td>' in html
    # Short, the whole id on hover and in the copy button.
    assert (
        f'<a href="/conversations/{conv.pk}/" title="{conv.conversation_id}"><code>5491c2f1…</code></a>'
        f'<button type="button" class="copy" data-copy="{conv.conversation_id}"'
    ) in html
    assert '<span class="sender consumer" title="CONSUMER">consumer</span>' in html
    assert '<td class="change">ContentEvent</td>' in html
    assert 'Hi there <small class="more">+1 more</small>' in html
    assert '<td class="outcome"><span class="badge on">accepted</span>' in html
    assert "<small>200</small></td>" in html


@pytest.mark.parametrize(
    ("role", "sender"),
    [("CONSUMER", "consumer"), ("ASSIGNED_AGENT", "agent"), ("CONTROLLER", "controller"), (None, "system")],
)
def test_a_row_says_who_sent_the_change(logged_in, role, sender):
    payload = factories.content_payload()
    if role:
        payload["originatorMetadata"] = {"id": "x", "role": role}
    factories.event(factories.conversation(), factories.delivery(), payload=payload)

    html = logged_in.get(EVENTS).content.decode()

    assert f'<span class="sender {sender}"' in html


def test_a_rejected_row_summarises_with_the_detail(logged_in):
    factories.delivery(accepted=False, reason="too_large", status=413, detail="over 1048576 bytes")

    html = logged_in.get(EVENTS).content.decode()

    assert '<td class="summary" title="over 1048576 bytes">over 1048576 bytes</td>' in html
    assert "<small>413</small>" in html


def test_a_row_shows_the_client_id_of_an_unknown_app(logged_in):
    factories.delivery(client_id="stranger-app")

    html = logged_in.get(EVENTS).content.decode()

    assert '<code title="stranger-app">stranger-app</code>' in html


def test_a_rejected_row_shows_the_reason_label(logged_in):
    factories.delivery(accepted=False, reason="bad_signature", status=401)

    html = logged_in.get(EVENTS).content.decode()

    assert '<span class="badge rejected">Wrong signature</span>' in html


def test_a_redelivery_shows_a_duplicate_badge(logged_in):
    factories.delivery(reason="duplicate")

    html = logged_in.get(EVENTS).content.decode()

    assert ">duplicate</span>" in html


def test_a_delivery_lists_each_conversation_once(logged_in):
    delivery = factories.delivery()
    conv = factories.conversation("conv-twice")
    factories.event(conv, delivery)
    factories.event(conv, delivery)

    html = logged_in.get(EVENTS).content.decode()

    assert html.count('data-copy="conv-twice"') == 1


def test_the_list_filters_by_app(logged_in):
    mine = factories.delivery(client_id="app-a")
    factories.delivery(client_id="app-b")

    assert _ids(logged_in.get(EVENTS, {"app": "app-a"})) == [mine.pk]


def test_the_list_filters_by_conversation_without_repeating_rows(logged_in):
    wanted = factories.delivery()
    conv = factories.conversation("conv-wanted")
    factories.event(conv, wanted)
    factories.event(conv, wanted)
    factories.event(factories.conversation("conv-other"), factories.delivery())

    assert _ids(logged_in.get(EVENTS, {"conversation": "conv-wanted"})) == [wanted.pk]


def test_the_conversation_filter_ignores_other_accounts_conversation_of_the_same_id(logged_in):
    theirs = factories.delivery(account_id=OTHER_ACCOUNT)
    factories.event(factories.conversation("conv-same", account_id=OTHER_ACCOUNT), theirs)

    assert _ids(logged_in.get(EVENTS, {"conversation": "conv-same"})) == []


def test_the_list_filters_by_event_type(logged_in):
    conv = factories.conversation()
    chat_state = factories.delivery()
    factories.event(conv, chat_state, event_type="ChatStateEvent")
    factories.event(conv, factories.delivery(), event_type="ContentEvent")

    assert _ids(logged_in.get(EVENTS, {"event_type": "ChatStateEvent"})) == [chat_state.pk]


def test_the_list_filters_by_other_event_types(logged_in):
    conv = factories.conversation()
    unknown = factories.delivery()
    factories.event(conv, unknown, event_type="SomethingNewEvent")
    factories.event(conv, factories.delivery(), event_type="ContentEvent")

    assert _ids(logged_in.get(EVENTS, {"event_type": "other"})) == [unknown.pk]


@pytest.mark.parametrize(("outcome", "accepted"), [("accepted", True), ("rejected", False)])
def test_the_list_filters_by_outcome(logged_in, outcome, accepted):
    good = factories.delivery(accepted=True)
    bad = factories.delivery(accepted=False)

    expected = good if accepted else bad
    assert _ids(logged_in.get(EVENTS, {"outcome": outcome})) == [expected.pk]


def test_the_list_filters_by_time_range(logged_in):
    factories.delivery(received_at=datetime(2030, 1, 1, 9, 0, tzinfo=UTC))
    middle = factories.delivery(received_at=datetime(2030, 1, 1, 10, 0, tzinfo=UTC))
    factories.delivery(received_at=datetime(2030, 1, 1, 11, 0, tzinfo=UTC))

    response = logged_in.get(EVENTS, {"since": "2030-01-01T09:30", "until": "2030-01-01T10:30"})

    assert _ids(response) == [middle.pk]


def test_the_until_time_includes_its_whole_minute(logged_in):
    inside = factories.delivery(received_at=datetime(2030, 1, 1, 10, 30, 59, tzinfo=UTC))
    factories.delivery(received_at=datetime(2030, 1, 1, 10, 31, 0, tzinfo=UTC))

    assert _ids(logged_in.get(EVENTS, {"until": "2030-01-01T10:30"})) == [inside.pk]


def test_an_invalid_filter_value_is_reported_and_not_applied(logged_in):
    delivery = factories.delivery()

    response = logged_in.get(EVENTS, {"since": "yesterday"})

    assert _ids(response) == [delivery.pk]
    assert b"Enter a valid date/time." in response.content


def test_the_app_select_offers_known_apps_and_client_ids_seen(logged_in, installed_app):
    factories.delivery(client_id="stranger-app")
    factories.delivery(client_id="theirs", account_id=OTHER_ACCOUNT)

    choices = dict(logged_in.get(EVENTS).context["form"].fields["app"].choices)

    assert choices[CLIENT_ID] == f"Support bot ({CLIENT_ID})"
    assert choices["stranger-app"] == "stranger-app"
    assert "theirs" not in choices


def test_the_list_paginates_by_50(logged_in):
    deliveries = [factories.delivery(minutes_ago=n) for n in range(51)]

    first = logged_in.get(EVENTS)
    second = logged_in.get(EVENTS, {"page": 2})

    assert len(first.context["rows"]) == 50
    assert _ids(second) == [deliveries[-1].pk]
    assert b"Page 1 of 2" in first.content


def test_pagination_links_keep_the_filters(logged_in):
    for n in range(51):
        factories.delivery(minutes_ago=n)

    html = logged_in.get(EVENTS, {"outcome": "accepted"}).content.decode()

    assert 'href="?outcome=accepted&amp;page=2"' in html


def test_page_one_without_filters_updates_live_from_the_newest_row(logged_in):
    factories.delivery(minutes_ago=5)
    newest = factories.delivery(minutes_ago=1)

    html = logged_in.get(EVENTS).content.decode()

    assert 'data-live="true"' in html
    assert f'data-newest-id="{newest.pk}"' in html
    assert 'data-socket-path="/ws/events/"' in html
    assert 'data-rows-url="/events/rows/"' in html
    assert "webhooks/deliveries.js" in html


def test_a_filtered_page_one_updates_live_too(logged_in):
    matching = factories.delivery(client_id="app-a", minutes_ago=5)
    factories.delivery(client_id="app-b", minutes_ago=1)

    response = logged_in.get(EVENTS, {"app": "app-a"})

    assert _ids(response) == [matching.pk]
    assert 'data-live="true"' in response.content.decode()
    assert f'data-newest-id="{matching.pk}"' in response.content.decode()


def test_page_two_counts_new_deliveries_from_the_accounts_newest(logged_in):
    for n in range(51):
        newest = factories.delivery(minutes_ago=60 - n)

    response = logged_in.get(EVENTS, {"page": 2})

    assert 'data-live="false"' in response.content.decode()
    assert f'data-newest-id="{newest.pk}"' in response.content.decode()


def test_the_rows_view_gives_the_rows_after_an_id_newest_first(logged_in):
    older = factories.delivery(minutes_ago=2)
    newer = [factories.delivery(minutes_ago=1), factories.delivery()]

    response = logged_in.get(f"{EVENTS}rows/", {"after_id": older.pk})

    assert _ids(response) == [newer[1].pk, newer[0].pk]
    assert 'data-more="false"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_the_rows_view_gives_a_burst_larger_than_a_page_batch_by_batch(logged_in, monkeypatch):
    monkeypatch.setattr(selectors, "LIVE_ROWS_BATCH", 3)
    before = factories.delivery(minutes_ago=10)
    burst = [factories.delivery(minutes_ago=5) for _ in range(7)]

    first = logged_in.get(f"{EVENTS}rows/", {"after_id": before.pk})
    second = logged_in.get(f"{EVENTS}rows/", {"after_id": max(_ids(first))})
    third = logged_in.get(f"{EVENTS}rows/", {"after_id": max(_ids(second))})

    # The oldest first, so that nothing in the middle of the burst is skipped.
    assert _ids(first) == [burst[2].pk, burst[1].pk, burst[0].pk]
    assert 'data-more="true"' in first.content.decode()
    assert _ids(second) == [burst[5].pk, burst[4].pk, burst[3].pk]
    assert _ids(third) == [burst[6].pk]
    assert 'data-more="false"' in third.content.decode()


def test_the_rows_view_applies_the_filters_and_the_account(logged_in):
    before = factories.delivery(minutes_ago=10)
    matching = factories.delivery(client_id="app-a")
    factories.delivery(client_id="app-b")
    factories.delivery(client_id="app-a", account_id=OTHER_ACCOUNT)

    response = logged_in.get(f"{EVENTS}rows/", {"after_id": before.pk, "app": "app-a"})

    assert _ids(response) == [matching.pk]


@pytest.mark.parametrize("after_id", ["", "abc", "-1", "9" * 40])
def test_the_rows_view_reads_a_bad_after_id_as_zero(logged_in, after_id):
    delivery = factories.delivery()

    assert _ids(logged_in.get(f"{EVENTS}rows/", {"after_id": after_id})) == [delivery.pk]


def test_fetching_rows_leaves_the_messages_for_the_next_page(logged_in):
    # A message waiting in its cookie, as a redirect after a form leaves it.
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.INFO, "App saved.")
    response = HttpResponse()
    storage.update(response)
    logged_in.cookies["messages"] = response.cookies["messages"].value

    assert "App saved." not in logged_in.get(f"{EVENTS}rows/", {"after_id": 0}).content.decode()
    assert "App saved." in logged_in.get(EVENTS).content.decode()


def test_the_rows_view_makes_a_bounded_number_of_queries(logged_in, django_assert_max_num_queries):
    for n in range(30):
        delivery = factories.delivery(minutes_ago=n)
        factories.event(factories.conversation(f"conv-{n}"), delivery)

    with django_assert_max_num_queries(8):
        response = logged_in.get(f"{EVENTS}rows/", {"after_id": 0})

    assert len(response.context["rows"]) == 30


def test_the_list_makes_a_bounded_number_of_queries(logged_in, installed_app, django_assert_max_num_queries):
    for n in range(30):
        delivery = factories.delivery(minutes_ago=n)
        factories.event(factories.conversation(f"conv-{n}"), delivery)
        factories.event(factories.conversation(f"conv-{n}-b"), delivery)

    # One more than before the rows said who sent what: the first events' payloads.
    with django_assert_max_num_queries(9):
        response = logged_in.get(EVENTS, {"page": 1})

    assert len(response.context["rows"]) == 30


def test_the_filtered_list_makes_a_bounded_number_of_queries(logged_in, django_assert_max_num_queries):
    for n in range(30):
        factories.event(factories.conversation(f"conv-{n}"), factories.delivery(minutes_ago=n))

    with django_assert_max_num_queries(9):
        logged_in.get(EVENTS, {"event_type": "ContentEvent", "outcome": "accepted", "app": CLIENT_ID})


# --- Delivery detail ---


def test_the_detail_shows_status_reason_and_masked_headers(logged_in):
    delivery = factories.delivery(
        accepted=False,
        reason="unknown_app",
        status=403,
        headers={"x-liveperson-signature": "sha1=…masked", "content-type": "application/json"},
    )

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    assert '<dd data-testid="delivery-status">403</dd>' in html
    assert "Unknown app (client id and account not installed here)" in html
    assert "<td><code>x-liveperson-signature</code></td><td><code>sha1=…masked</code></td>" in html


def test_the_detail_pretty_prints_a_json_body(logged_in):
    delivery = factories.delivery(body='{"kind":"notification","body":{"changes":[]}}')

    response = logged_in.get(f"{EVENTS}{delivery.pk}/")

    assert response.context["body"] == '{\n  "kind": "notification",\n  "body": {\n    "changes": []\n  }\n}'
    html = response.content.decode()
    assert "(JSON: fold and unfold each level)" in html
    # The tree, its levels foldable, each value classed by its type for the colours.
    assert '<div class="json-tree" data-testid="json-tree"><details open>' in html
    key, value = "&quot;kind&quot;", "&quot;notification&quot;"
    assert f'<span class="json-key">{key}</span>: <span class="json-string">{value}</span>' in html
    assert '<span class="json-key">&quot;changes&quot;</span>: <span class="json-punct">[]</span>' in html


def test_the_detail_escapes_the_json_tree(logged_in):
    delivery = factories.delivery(body='{"<b>key</b>": ["<script>x</script>", 1.5, true, null]}')

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    assert '<span class="json-key">&quot;&lt;b&gt;key&lt;/b&gt;&quot;</span>' in html
    assert '<span class="json-string">&quot;&lt;script&gt;x&lt;/script&gt;&quot;</span>' in html
    assert '<span class="json-number">1.5</span>' in html
    assert '<span class="json-bool">true</span>' in html
    assert '<span class="json-null">null</span>' in html
    assert "<script>x" not in html


def test_the_detail_shows_a_huge_json_body_as_text(logged_in, monkeypatch):
    monkeypatch.setattr("webhooks.json_html.MAX_NODES", 10)
    delivery = factories.delivery(body=json.dumps({"changes": list(range(20))}))

    response = logged_in.get(f"{EVENTS}{delivery.pk}/")

    assert response.context["body_tree"] is None
    assert 'data-testid="json-tree"' not in response.content.decode()
    assert '<pre class="payload" data-testid="delivery-body">' in response.content.decode()


def test_the_detail_keeps_its_content_in_one_element_for_the_events_pane(logged_in):
    delivery = factories.delivery()

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    inner = html.split('data-role="delivery-detail">', 1)[1]
    assert 'data-testid="delivery-facts"' in inner
    assert 'data-testid="delivery-signature"' in inner
    assert 'data-testid="delivery-headers"' in inner


def test_the_detail_shows_a_non_json_body_as_escaped_text(logged_in):
    delivery = factories.delivery(accepted=False, reason="malformed_json", body="<script>alert(1)</script>{")

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;{" in html
    assert "<script>alert(1)" not in html
    assert "(not JSON, as received)" in html


@pytest.mark.parametrize(
    ("algorithm", "valid", "shown"),
    [("sha256", True, "valid"), ("sha1", False, "invalid"), ("", None, "not checked")],
)
def test_the_detail_shows_the_signature_check(logged_in, algorithm, valid, shown):
    delivery = factories.delivery(signature_algorithm=algorithm, signature_valid=valid)

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    assert f'">{shown}</span>' in html
    assert (algorithm or "no algorithm") in html


def test_the_detail_lists_the_events_it_created(logged_in):
    delivery = factories.delivery()
    conv = factories.conversation("conv-detail")
    factories.event(conv, delivery, event_type="ContentEvent")
    factories.event(conv, delivery, event_type="AcceptStatusEvent")

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    assert re.search(
        r"<td>1</td>\s*<td><span class=\"sender [a-z]+\"[^>]*>[a-z]+</span></td>\s*<td>ContentEvent</td>",
        html,
    )
    assert re.search(r"<td>2</td>\s*<td><span[^>]*>[a-z]+</span></td>\s*<td>AcceptStatusEvent</td>", html)
    assert html.count(f'href="/conversations/{conv.pk}/"') == 2


def test_the_detail_of_another_accounts_delivery_is_not_found(logged_in):
    theirs = factories.delivery(account_id=OTHER_ACCOUNT)

    assert logged_in.get(f"{EVENTS}{theirs.pk}/").status_code == 404


def test_a_user_without_a_liveperson_account_cannot_open_unowned_deliveries(client):
    client.force_login(User.objects.create(username="operator"))
    unowned = factories.delivery(account_id="")

    assert client.get(f"{EVENTS}{unowned.pk}/").status_code == 404


def test_the_detail_makes_a_bounded_number_of_queries(logged_in, django_assert_max_num_queries):
    delivery = factories.delivery()
    for n in range(10):
        factories.event(factories.conversation(f"conv-{n}"), delivery)

    # One for the demo chats of its conversations (webhooks.related), however many.
    with django_assert_max_num_queries(6):
        logged_in.get(f"{EVENTS}{delivery.pk}/")


# --- Conversation list ---


def test_conversations_are_listed_by_newest_activity(logged_in):
    older = factories.conversation("conv-old", last_event_at=datetime(2030, 1, 1, tzinfo=UTC))
    newer = factories.conversation("conv-new", last_event_at=datetime(2030, 1, 2, tzinfo=UTC))

    assert _page_ids(logged_in.get(CONVERSATIONS)) == [newer.pk, older.pk]


def test_conversations_of_other_accounts_are_hidden(logged_in):
    factories.conversation("conv-theirs", account_id=OTHER_ACCOUNT)

    response = logged_in.get(CONVERSATIONS)

    assert _page_ids(response) == []
    assert b'data-testid="conversations-empty"' in response.content


def test_a_conversation_row_shows_id_consumer_state_app_time_count_and_links(logged_in, installed_app, user):
    conv = factories.conversation(
        "5491c2f1-1c9e-4e39-a5d2-2c6b6e4b0001",
        first_event_at=datetime(2030, 1, 1, 9, 0, tzinfo=UTC),
        last_event_at=datetime(2030, 1, 1, 10, 0, tzinfo=UTC),
    )
    factories.event(conv, event_type="UPSERT", payload=_upsert("OPEN", "OPEN"))
    factories.event(conv, event_type="UPSERT", payload=_upsert("CLOSE", "OPEN"))
    conv.last_event_at = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
    conv.save()
    chat = _demo_chat(user, installed_app, conv.conversation_id, consumer_name="Kim")

    html = logged_in.get(CONVERSATIONS).content.decode()

    assert (
        f'<a href="/conversations/{conv.pk}/" title="{conv.conversation_id}"><code>5491c2f1…</code></a>'
        in html
    )
    assert '<td class="consumer" data-label="consumer">Kim</td>' in html
    assert '<span class="badge demo">CLOSE · stage OPEN</span></td>' in html
    assert '<td class="app">Support bot</td>' in html
    assert "2030-01-01 10:00:00" in html
    assert '<td class="count" data-label="events">2</td>' in html
    assert f'href="/events/?conversation={conv.conversation_id}">deliveries</a>' in html
    assert f'<a href="/chat/{chat.pk}/" data-testid="demo-chat-link">demo chat</a>' in html


def test_a_conversation_without_a_demo_chat_or_a_state_says_so(logged_in):
    factories.event(factories.conversation("conv-plain"))

    html = logged_in.get(CONVERSATIONS).content.decode()

    assert '<td class="consumer" data-label="consumer">–</td>' in html
    assert '<td class="state" data-label="state">–</td>' in html
    assert "demo-chat-link" not in html


def test_the_conversation_list_is_live_on_page_one(logged_in):
    factories.conversation("conv-1")
    newest = factories.delivery()

    html = logged_in.get(CONVERSATIONS).content.decode()

    assert 'data-live="true"' in html
    assert f'data-newest-delivery-id="{newest.pk}"' in html
    assert 'data-rows-url="/conversations/rows/"' in html
    assert "webhooks/conversations.js" in html


def test_the_conversation_rows_view_gives_the_asked_rows_of_the_filtered_list(logged_in):
    wanted = factories.conversation("conv-a", last_event_at=datetime(2030, 1, 1, 9, tzinfo=UTC))
    newer = factories.conversation("conv-b", last_event_at=datetime(2030, 1, 1, 10, tzinfo=UTC))
    other_app = factories.conversation("conv-c", client_id="other-app")
    theirs = factories.conversation("conv-d", account_id=OTHER_ACCOUNT)
    ids = ",".join(str(c.pk) for c in (wanted, newer, other_app, theirs))

    response = logged_in.get(f"{CONVERSATIONS}rows/", {"ids": ids, "app": CLIENT_ID})

    assert _ids(response) == [newer.pk, wanted.pk]
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize("ids", ["", "x,y", "-1", "9" * 40, ",".join(["1"] * 500)])
def test_the_conversation_rows_view_bounds_and_ignores_bad_ids(logged_in, ids):
    assert logged_in.get(f"{CONVERSATIONS}rows/", {"ids": ids}).status_code == 200


def test_conversations_filter_by_app(logged_in):
    mine = factories.conversation("conv-a", client_id="app-a")
    factories.conversation("conv-b", client_id="app-b")

    assert _page_ids(logged_in.get(CONVERSATIONS, {"app": "app-a"})) == [mine.pk]


def test_conversations_filter_by_id_text(logged_in):
    wanted = factories.conversation("5491C2F1-aaaa")
    factories.conversation("b8b8-bbbb")

    assert _page_ids(logged_in.get(CONVERSATIONS, {"conversation": "5491c2"})) == [wanted.pk]


def test_conversations_paginate_by_50(logged_in):
    for n in range(51):
        factories.conversation(f"conv-{n:02}")

    second = logged_in.get(CONVERSATIONS, {"page": 2})

    assert len(second.context["page"].object_list) == 1
    assert b"Page 2 of 2" in second.content


def test_the_conversation_list_makes_a_bounded_number_of_queries(logged_in, django_assert_max_num_queries):
    for n in range(30):
        factories.conversation(f"conv-{n}")

    # The states (one query) and the demo chats (one) of the page's conversations.
    with django_assert_max_num_queries(9):
        logged_in.get(CONVERSATIONS)


# --- Conversation detail ---


def test_the_timeline_lists_events_in_seq_order(logged_in):
    conv = factories.conversation()
    for text in ("one", "two", "three"):
        factories.event(conv, payload=factories.content_payload(text))

    response = logged_in.get(f"{CONVERSATIONS}{conv.pk}/")

    assert [event.seq for event in response.context["events"]] == [1, 2, 3]
    assert [event.summary for event in response.context["events"]] == ["one", "two", "three"]


@pytest.mark.parametrize(
    ("event_type", "payload", "summary"),
    [
        (
            "ContentEvent",
            {"event": {"type": "ContentEvent", "contentType": "text/plain", "message": "Hi"}},
            "Hi",
        ),
        ("AcceptStatusEvent", {"event": {"status": "READ", "sequenceList": [3, 4]}}, "READ 3,4"),
        ("ChatStateEvent", {"event": {"chatState": "COMPOSING"}}, "COMPOSING"),
        (
            "UPSERT",
            {"type": "UPSERT", "result": {"conversationDetails": {"state": "CLOSE", "stage": "OPEN"}}},
            "state CLOSE · stage OPEN",
        ),
    ],
)
def test_the_timeline_summarises_each_event_type(logged_in, event_type, payload, summary):
    conv = factories.conversation()
    factories.event(conv, event_type=event_type, payload=payload)

    html = logged_in.get(f"{CONVERSATIONS}{conv.pk}/").content.decode()

    # An ExConversation change's summary goes on with the agent side's notes (webhooks/changes.py).
    assert f"<span>{summary}" in html


def test_the_timeline_shows_each_payload_as_escaped_pretty_json(logged_in):
    conv = factories.conversation()
    factories.event(conv, payload=factories.content_payload("<b>bold</b>"))

    html = logged_in.get(f"{CONVERSATIONS}{conv.pk}/").content.decode()

    assert "<details><summary>Payload</summary>" in html
    assert "  &quot;event&quot;: {\n    &quot;type&quot;: &quot;ContentEvent&quot;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html


def test_the_timeline_updates_live_after_its_last_seq(logged_in):
    conv = factories.conversation()
    factories.event(conv)
    factories.event(conv)

    html = logged_in.get(f"{CONVERSATIONS}{conv.pk}/").content.decode()

    assert 'data-live="true" data-last-seq="2"' in html
    assert f'data-socket-path="/ws/conversations/{conv.pk}/events/"' in html
    assert "webhooks/conversation.js" in html


def test_a_long_timeline_shows_the_newest_events_and_links_to_earlier_ones(logged_in, monkeypatch):
    monkeypatch.setattr(selectors, "TIMELINE_LIMIT", 2)
    conv = factories.conversation()
    for _ in range(5):
        factories.event(conv)

    response = logged_in.get(f"{CONVERSATIONS}{conv.pk}/")

    assert [event.seq for event in response.context["events"]] == [4, 5]
    assert 'href="?before=4"' in response.content.decode()


def test_after_a_seq_the_timeline_holds_only_the_later_events_for_the_live_page(logged_in):
    conv = factories.conversation()
    for _ in range(4):
        factories.event(conv)

    html = logged_in.get(f"{CONVERSATIONS}{conv.pk}/", {"after": 2}).content.decode()

    assert [seq for seq in range(1, 5) if f'<tr data-seq="{seq}">' in html] == [3, 4]


def test_earlier_events_are_shown_without_live_updates(logged_in):
    conv = factories.conversation()
    for _ in range(5):
        factories.event(conv)

    response = logged_in.get(f"{CONVERSATIONS}{conv.pk}/", {"before": 3})

    assert [event.seq for event in response.context["events"]] == [1, 2]
    assert 'data-live="false"' in response.content.decode()
    assert b"webhooks/conversation.js" not in response.content


def test_the_conversation_of_another_account_is_not_found(logged_in):
    theirs = factories.conversation("conv-theirs", account_id=OTHER_ACCOUNT)

    assert logged_in.get(f"{CONVERSATIONS}{theirs.pk}/").status_code == 404


def test_the_timeline_makes_a_bounded_number_of_queries(logged_in, django_assert_max_num_queries):
    conv = factories.conversation()
    for _ in range(20):
        factories.event(conv, factories.delivery())

    # The agent-side notes' earlier changes, the state and the demo chat: one query each.
    with django_assert_max_num_queries(8):
        logged_in.get(f"{CONVERSATIONS}{conv.pk}/")


def test_the_detail_of_a_deeply_nested_body_renders(logged_in):
    deep = '{"kind":"notification","deep":' + "[" * 5000 + "]" * 5000 + "}"
    delivery = factories.delivery(accepted=False, reason="too_deep", status=400, body=deep)

    response = logged_in.get(f"{EVENTS}{delivery.pk}/")

    assert response.status_code == 200
    assert "Body nested too deeply" in response.content.decode()


def test_unverified_requests_are_labelled_as_claims(logged_in):
    factories.delivery(accepted=False, reason="bad_signature", status=401, signature_valid=False)
    held = factories.delivery(accepted=False, reason="held", status=200, signature_valid=None)
    verified = factories.delivery(signature_valid=True)

    listed = logged_in.get(EVENTS).content.decode()
    held_page = logged_in.get(f"{EVENTS}{held.pk}/").content.decode()
    verified_page = logged_in.get(f"{EVENTS}{verified.pk}/").content.decode()

    assert listed.count('data-testid="unverified-claim"') == 2
    assert "held whole until the app is known here" in held_page
    assert 'data-testid="unverified-note"' not in verified_page


# --- Links between demo chat, conversation and deliveries ---


def test_the_conversation_header_says_state_and_consumer_and_links_deliveries_and_demo_chat(
    logged_in, installed_app, user
):
    conv = factories.conversation("conv-linked")
    delivery = factories.delivery()
    factories.event(conv, delivery, event_type="UPSERT", payload=_upsert("OPEN", "OPEN"))
    chat = _demo_chat(user, installed_app, "conv-linked", consumer_name="Ana")

    html = logged_in.get(f"{CONVERSATIONS}{conv.pk}/").content.decode()

    assert '<span class="badge on" data-testid="conversation-state">OPEN</span>' in html
    assert "consumer Ana" in html
    assert '<span data-role="event-count" data-testid="event-count">1 event</span>' in html
    assert 'href="/events/?conversation=conv-linked" data-testid="deliveries-link"' in html
    assert f'<a href="/chat/{chat.pk}/" data-testid="demo-chat-link">Its demo chat</a>' in html
    # Each event links to the delivery that brought it.
    assert f'<a href="/events/{delivery.pk}/" title="The delivery that brought it">1</a>' in html


def test_a_conversation_of_another_accounts_demo_chat_is_not_linked(logged_in, installed_app):
    other = User.objects.create(username="other", lp_account_id=OTHER_ACCOUNT)
    conv = factories.conversation("conv-shared-id")
    chat = _demo_chat(other, installed_app, "conv-shared-id")
    chat.account_id = OTHER_ACCOUNT
    chat.save()

    html = logged_in.get(f"{CONVERSATIONS}{conv.pk}/").content.decode()

    assert "demo-chat-link" not in html


def test_the_delivery_detail_links_each_conversation_to_its_demo_chat(logged_in, installed_app, user):
    delivery = factories.delivery()
    factories.event(factories.conversation("conv-chat"), delivery)
    factories.event(factories.conversation("conv-no-chat"), delivery)
    chat = _demo_chat(user, installed_app, "conv-chat")

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    assert html.count('data-testid="demo-chat-link"') == 1
    assert f'<a href="/chat/{chat.pk}/" data-testid="demo-chat-link">demo chat</a>' in html


def test_the_detail_says_who_sent_each_event_and_what_it_says(logged_in):
    delivery = factories.delivery()
    consumer = {**factories.content_payload("from Kim"), "originatorMetadata": {"role": "CONSUMER"}}
    conv = factories.conversation()
    factories.event(conv, delivery, payload=consumer)
    factories.event(
        conv,
        delivery,
        event_type="ChatStateEvent",
        payload={"event": {"chatState": "COMPOSING"}},
    )

    html = logged_in.get(f"{EVENTS}{delivery.pk}/").content.decode()

    assert '<span class="sender consumer" title="CONSUMER">consumer</span>' in html
    assert "<td>from Kim</td>" in html
    assert "<td>COMPOSING</td>" in html
