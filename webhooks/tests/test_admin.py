from unittest import mock

import pytest
from django.db import connection

from accounts.models import User
from webhooks import admin as webhooks_admin
from webhooks.models import Delivery
from webhooks.tests import factories

pytestmark = pytest.mark.django_db

MODELS = ["delivery", "conversation", "event"]


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # only for speed
    client.force_login(User.objects.create_superuser(username="root", password="not-used-here"))
    return client


@pytest.fixture
def rows():
    delivery = factories.delivery(body='{"kind":"notification","note":"<b>hi</b>"}')
    conv = factories.conversation()
    event = factories.event(conv, delivery)
    return {"delivery": delivery, "conversation": conv, "event": event}


@pytest.mark.parametrize("model", MODELS)
def test_the_changelist_renders(admin_client, rows, model):
    response = admin_client.get(f"/admin/webhooks/{model}/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize("model", MODELS)
def test_the_change_page_renders_read_only(admin_client, rows, model):
    response = admin_client.get(f"/admin/webhooks/{model}/{rows[model].pk}/change/")

    assert response.status_code == 200
    assert b'name="_save"' not in response.content


@pytest.mark.parametrize("model", MODELS)
def test_nobody_adds_rows(admin_client, model):
    changelist = admin_client.get(f"/admin/webhooks/{model}/")

    assert changelist.context["has_add_permission"] is False
    assert f"/admin/webhooks/{model}/add/" not in changelist.content.decode()
    assert admin_client.get(f"/admin/webhooks/{model}/add/").status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_nobody_deletes_rows(admin_client, rows, model):
    assert admin_client.get(f"/admin/webhooks/{model}/{rows[model].pk}/delete/").status_code == 403


def test_the_delivery_page_shows_the_body_as_escaped_pretty_json(admin_client, rows):
    html = admin_client.get(f"/admin/webhooks/delivery/{rows['delivery'].pk}/change/").content.decode()

    assert '<pre class="payload">{\n  &quot;kind&quot;: &quot;notification&quot;,' in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html


def test_the_event_page_shows_the_payload_as_pretty_json(admin_client, rows):
    html = admin_client.get(f"/admin/webhooks/event/{rows['event'].pk}/change/").content.decode()

    assert "  &quot;event&quot;: {\n" in html


def test_search_matches_exact_values(admin_client):
    wanted = factories.delivery(client_id="app-exact")
    factories.delivery(client_id="app-exact-not")

    response = admin_client.get("/admin/webhooks/delivery/", {"q": "app-exact"})

    assert [d.pk for d in response.context["cl"].result_list] == [wanted.pk]


def test_event_search_finds_a_conversation_id(admin_client, rows):
    response = admin_client.get("/admin/webhooks/event/", {"q": "conv-1"})

    assert [e.pk for e in response.context["cl"].result_list] == [rows["event"].pk]


def test_the_event_type_filter_has_fixed_choices(admin_client, rows):
    factories.event(rows["conversation"], event_type="BrandNewEvent")

    response = admin_client.get("/admin/webhooks/event/", {"event_type": "other"})

    assert [e.event_type for e in response.context["cl"].result_list] == ["BrandNewEvent"]


def test_the_notification_type_filter_filters(admin_client):
    factories.delivery(notification_type="cqm.ExConversationChangeNotification")
    factories.delivery(notification_type="ms.MessagingEventNotification")

    response = admin_client.get(
        "/admin/webhooks/delivery/", {"notification_type": "cqm.ExConversationChangeNotification"}
    )

    assert response.context["cl"].result_count == 1


# --- Counting big tables ---


def test_a_large_unfiltered_table_is_paged_by_the_estimate(admin_client, rows):
    with mock.patch.object(webhooks_admin, "estimated_row_count", autospec=True, return_value=2_000_000):
        response = admin_client.get("/admin/webhooks/delivery/")

    assert response.context["cl"].result_count == 2_000_000
    assert response.context["cl"].full_result_count is None


def test_a_small_table_is_counted_exactly(admin_client, rows):
    with mock.patch.object(webhooks_admin, "estimated_row_count", autospec=True, return_value=50):
        response = admin_client.get("/admin/webhooks/event/")

    assert response.context["cl"].result_count == 1


def test_a_filtered_list_is_counted_exactly_without_an_estimate(admin_client, rows):
    with mock.patch.object(webhooks_admin, "estimated_row_count", autospec=True) as estimate:
        response = admin_client.get("/admin/webhooks/delivery/", {"accepted__exact": "1"})

    assert response.context["cl"].result_count == 1
    estimate.assert_not_called()


def test_the_estimate_comes_from_postgresql_statistics():
    for _ in range(3):
        factories.delivery()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE webhooks_delivery")

    assert webhooks_admin.estimated_row_count(Delivery) == 3


def test_the_paginator_counts_lists_exactly():
    assert webhooks_admin.EstimatedCountPaginator(list(range(30_000)), 100).count == 30_000


def test_the_event_changelist_makes_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    for n in range(20):
        factories.event(factories.conversation(f"conv-{n}"), factories.delivery())

    with django_assert_max_num_queries(5):
        admin_client.get("/admin/webhooks/event/")
