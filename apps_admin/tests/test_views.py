"""The apps pages, through real HTTP against the sandbox App Install API."""

import re
from html import unescape
from urllib.parse import parse_qs

import pytest

from apps_admin import manifest
from apps_admin.models import Installation
from apps_admin.tests.conftest import create_data, creds_of, posted
from conftest import BASE_DIR
from liveperson import app_install
from sandbox.models import LoginSession

CREATE_URL = "/apps/new/"


def _create(client, name="Bot", data=None, **request_extra):
    data = create_data(**{"name": name, "endpoint": "https://hooks.example.com/lp", **(data or {})})
    response = client.post(CREATE_URL, data, **request_extra)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].split("/")[2]


def _edit_data(client, client_id: str) -> dict:
    """The edit form as the browser would post it unchanged."""
    return posted(client.get(f"/apps/{client_id}/edit/").context["forms"])


# --- List ---


def test_home_lists_the_accounts_apps(admin_client):
    client_id = _create(admin_client, name="Listed bot")

    response = admin_client.get("/")

    html = response.content.decode()
    assert "Listed bot" in html
    assert client_id in html
    assert "Enabled" in html
    assert 'data-testid="create-app"' in html


def test_home_shows_the_empty_state(admin_client):
    response = admin_client.get("/")

    assert b'data-testid="apps-empty"' in response.content


def test_home_sorts_by_each_column(admin_client):
    for name in ("Beta", "alpha", "Gamma"):
        _create(admin_client, name=name)

    ascending = admin_client.get("/?sort=name").context["page"].object_list
    descending = admin_client.get("/?sort=-name").context["page"].object_list

    assert [row.name for row in ascending] == ["alpha", "Beta", "Gamma"]
    assert [row.name for row in descending] == ["Gamma", "Beta", "alpha"]
    for column in ("description", "client_id", "enabled", "demo", "created"):
        assert admin_client.get(f"/?sort={column}").status_code == 200


def test_home_filters_by_name(admin_client):
    _create(admin_client, name="Support bot")
    _create(admin_client, name="Sales bot")

    rows = admin_client.get("/?q=sUPPort").context["page"].object_list

    assert [row.name for row in rows] == ["Support bot"]


def test_home_paginates(admin_client, monkeypatch):
    monkeypatch.setattr("apps_admin.views.PAGE_SIZE", 2)
    for name in ("a", "b", "c"):
        _create(admin_client, name=name)

    second = admin_client.get("/?sort=name&page=2").context["page"]

    assert [row.name for row in second.object_list] == ["c"]
    assert second.paginator.num_pages == 2


def _links(html: str, label: str) -> list[dict]:
    """The query of each link whose text contains `label`."""
    hrefs = re.findall(r'<a href="\?([^"]*)"[^>]*>[^<]*' + re.escape(label), html)
    return [parse_qs(unescape(href)) for href in hrefs]


def test_apps_created_in_the_same_second_keep_one_order_whatever_liveperson_lists_first():
    from datetime import UTC, datetime

    from apps_admin.services import AppRow
    from apps_admin.views import SORT_KEYS, sorted_rows

    second = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
    rows = [AppRow(f"id-{n}", "Bot", "", True, False, second) for n in (3, 1, 2)]
    for sort in [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)]:
        orders = {
            tuple(row.client_id for row in sorted_rows(list(order), sort)) for order in (rows, rows[::-1])
        }
        assert len(orders) == 1, sort
    assert [row.client_id for row in sorted_rows(rows, "-created")] == ["id-3", "id-2", "id-1"]


def test_each_row_has_the_original_apps_actions_and_they_come_back_to_the_list(admin_client):
    client_id = _create(admin_client)

    html = admin_client.get("/?sort=name").content.decode()

    menu = html[html.index('data-testid="row-actions"') :]
    for href in (f"/apps/{client_id}/edit/", f"/apps/{client_id}/demo/", f"/apps/{client_id}/uninstall/"):
        assert f'href="{href}"' in menu
    assert f'href="/chat/new/?app={client_id}"' in menu
    assert f'action="/apps/{client_id}/disable/"' in menu
    response = admin_client.post(f"/apps/{client_id}/disable/", {"next": "/?sort=name"})
    assert response["Location"] == "/?sort=name"
    elsewhere = admin_client.post(f"/apps/{client_id}/enable/", {"next": "https://evil.example.com/"})
    assert elsewhere["Location"] == f"/apps/{client_id}/"


def test_the_next_page_keeps_the_filter_and_the_sort(admin_client, monkeypatch):
    monkeypatch.setattr("apps_admin.views.PAGE_SIZE", 2)
    for name in ("bot a", "bot b", "bot c", "other"):
        _create(admin_client, name=name)

    first = admin_client.get("/?q=bot&sort=-name").content.decode()
    (next_page,) = _links(first, "Next")
    second = admin_client.get("/", next_page)

    assert next_page == {"q": ["bot"], "sort": ["-name"], "page": ["2"]}
    assert [row.name for row in second.context["page"].object_list] == ["bot a"]
    assert _links(second.content.decode(), "Previous") == [{"q": ["bot"], "sort": ["-name"], "page": ["1"]}]


def test_a_sort_link_keeps_the_filter_and_starts_at_page_one(admin_client, monkeypatch):
    monkeypatch.setattr("apps_admin.views.PAGE_SIZE", 2)
    for name in ("bot a", "bot b", "bot c"):
        _create(admin_client, name=name)

    html = admin_client.get("/?q=bot&sort=name&page=2").content.decode()

    assert _links(html, "Name") == [{"q": ["bot"], "sort": ["-name"]}]
    assert _links(html, "Client ID") == [{"q": ["bot"], "sort": ["client_id"]}]


def test_home_warns_when_the_account_lacks_async_messaging(qa_client, admin_client):
    assert b'data-testid="async-warning"' in qa_client.get("/").content
    assert b'data-testid="async-warning"' not in admin_client.get("/").content


def test_home_reports_liveperson_being_down(admin_client, sandbox):
    sandbox.fault("down", service="accountConfigReadWrite")

    response = admin_client.get("/")

    assert response.status_code == 200
    assert b"LivePerson had a problem (HTTP 503)" in response.content


def test_an_expired_liveperson_session_goes_back_to_login_saying_so(admin_client):
    LoginSession.objects.update(ended_at="2000-01-01T00:00:00Z")

    response = admin_client.get("/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert b"Your LivePerson session has expired. Please log in again." in response.content


# --- Create ---


def test_create_shows_client_id_and_a_masked_secret(admin_client):
    client_id = _create(admin_client)

    response = admin_client.get(f"/apps/{client_id}/")

    secret = Installation.objects.get(client_id=client_id).client_secret
    assert client_id in response.content.decode()
    assert secret not in response.content.decode()
    assert b"Reveal" in response.content
    assert b"Copy" in response.content


def test_the_create_form_says_what_a_real_liveperson_needs_and_how_to_forward(admin_client):
    html = admin_client.get(CREATE_URL).content.decode()

    hint = html[html.index('data-testid="endpoint-hint"') :][:700]
    assert "public <code>https://</code> address" in hint
    assert "<code>connector-site listen</code>" in hint
    assert "Receive webhooks on your laptop" in hint
    assert "Receive webhooks on your laptop" in (BASE_DIR / "README.md").read_text()


def test_create_with_demo_points_every_endpoint_at_this_site_keeping_the_port(admin_client):
    client_id = _create(admin_client, data={"demo": True, "endpoint": ""}, HTTP_HOST="localhost:8443")

    installation = app_install.get_installation(creds_of(admin_client), client_id).data
    assert set(manifest.endpoints_of(installation).values()) == {"https://localhost:8443/notifications/event"}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 129}, "at most 128 characters"),
        ({"description": "x" * 257}, "at most 256 characters"),
        ({"description": ""}, "This field is required."),
        ({"endpoint": "http://insecure.example.com/"}, "LivePerson only accepts https:// URLs"),
        ({"endpoint": "https://hooks.example.com/lp", "demo": True}, "A demo app sends every webhook"),
    ],
)
def test_create_validates_like_liveperson(admin_client, sandbox, data, error):
    response = admin_client.post(CREATE_URL, create_data(**{"name": "n", "description": "d", **data}))

    assert response.status_code == 400
    assert error in response.content.decode()
    assert sandbox.requests_to("accountConfigReadWrite", "/installations") == []


def test_create_requires_the_csrf_token(sandbox):
    from django.test import Client

    from conftest import ADMIN

    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    client.post("/accounts/login/", {**ADMIN, "csrfmiddlewaretoken": token})

    assert client.post(CREATE_URL, create_data(name="n", description="d")).status_code == 403


# --- Secret ---


def test_the_secret_is_revealed_only_on_a_post(admin_client):
    client_id = _create(admin_client)

    assert admin_client.get(f"/apps/{client_id}/secret/").status_code == 405
    response = admin_client.post(f"/apps/{client_id}/secret/")

    assert response.json() == {"client_secret": Installation.objects.get().client_secret}
    assert "no-store" in response["Cache-Control"]


def test_another_accounts_secret_is_refused(admin_client, qa_client):
    theirs = _create(qa_client)

    response = admin_client.post(f"/apps/{theirs}/secret/")

    assert response.status_code == 302
    assert Installation.objects.get(client_id=theirs).client_secret not in response.content.decode()


# --- Edit ---


def test_edit_saves_each_section(admin_client):
    client_id = _create(admin_client)
    data = _edit_data(admin_client, client_id)
    data.update(
        {
            "basic-name": "Renamed",
            "basic-retention_time": "7200",
            "chatstate-endpoint": "",
            "accept-max_retries": "4",
            "content-headers-TOTAL_FORMS": "1",
            "content-headers-0-header_name": "X-Api-Key",
            "content-headers-0-header_value": "k1",
            "engagement-design_window": "on",
            "engagement-goal": ["url", "lead"],
        }
    )

    response = admin_client.post(f"/apps/{client_id}/edit/", data)

    assert response.status_code == 302
    saved = app_install.get_installation(creds_of(admin_client), client_id).data
    webhooks = saved["capabilities"]["webhooks"]
    assert saved["client_name"] == "Renamed"
    assert webhooks["retry"] == {"retention_time": 7200}
    assert "ms.MessagingEventNotification.ChatStateEvent" not in webhooks
    assert webhooks["ms.MessagingEventNotification.AcceptStatusEvent"]["max_retries"] == 4
    assert webhooks["ms.MessagingEventNotification.ContentEvent"]["headers"] == [
        {"header_name": "X-Api-Key", "header_value": "k1"}
    ]
    assert saved["capabilities"]["engagement"]["design_window"] is True
    assert saved["capabilities"]["engagement"]["goal"] == ["url", "lead"]


def test_retention_choices_are_round_with_the_exact_seconds_beside_them(admin_client):
    client_id = _create(admin_client)

    html = admin_client.get(f"/apps/{client_id}/edit/").content.decode()

    assert '<option value="7200">2 hours (7,200 s)</option>' in html
    assert '<option value="43200">12 hours (43,200 s)</option>' in html
    assert '<option value="259200">3 days (259,200 s)</option>' in html
    assert 'value="9200"' not in html


def test_an_apps_odd_retention_stays_a_choice_named_for_what_it_is(admin_client):
    client_id = _create(admin_client)
    creds = creds_of(admin_client)
    current = app_install.get_installation(creds, client_id)
    current.data["capabilities"]["webhooks"]["retry"] = {"retention_time": 9200}
    app_install.update_installation(creds, client_id, current.data, current.revision)

    html = admin_client.get(f"/apps/{client_id}/edit/").content.decode()

    assert '<option value="9200" selected>2 h 33 min 20 s (9,200 s)</option>' in html


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"rich-endpoint": "http://h/x"}, "LivePerson only accepts https:// URLs"),
        ({"accept-max_retries": "6"}, "less than or equal to 5"),
        ({"engagement-entry_point": []}, "This field is required."),
        ({"engagement-consumer_identity": ["robots"]}, "Select a valid choice."),
        ({"basic-name": "n" * 129}, "at most 128 characters"),
        (
            {"content-headers-TOTAL_FORMS": "1", "content-headers-0-header_value": "orphan"},
            "A header needs a name.",
        ),
    ],
)
def test_edit_shows_errors_next_to_the_field_and_saves_nothing(admin_client, changes, error):
    client_id = _create(admin_client)
    data = _edit_data(admin_client, client_id)
    data.update(changes)

    response = admin_client.post(f"/apps/{client_id}/edit/", data)

    assert response.status_code == 400
    assert error in response.content.decode()
    saved = app_install.get_installation(creds_of(admin_client), client_id).data
    assert saved["client_name"] == "Bot"


def test_two_users_editing_the_same_app_the_second_sees_the_current_values(admin_client, lpa_client):
    client_id = _create(admin_client)
    admin_form = _edit_data(admin_client, client_id)
    lpa_form = _edit_data(lpa_client, client_id)
    assert (
        admin_client.post(f"/apps/{client_id}/edit/", {**admin_form, "basic-name": "Admin's"}).status_code
        == 302
    )

    response = lpa_client.post(f"/apps/{client_id}/edit/", {**lpa_form, "basic-name": "LPA's"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this app while you were editing. Nothing was saved" in html
    assert 'value="Admin&#x27;s"' in html
    saved = app_install.get_installation(creds_of(admin_client), client_id).data
    assert saved["client_name"] == "Admin's"


def test_a_forged_edit_of_another_accounts_app_is_refused(admin_client, qa_client):
    theirs = _create(qa_client, name="Theirs")
    form = _edit_data(qa_client, theirs)

    response = admin_client.post(f"/apps/{theirs}/edit/", {**form, "basic-name": "Hijacked"}, follow=True)

    assert b"Not found on your LivePerson account" in response.content
    assert app_install.get_installation(creds_of(qa_client), theirs).data["client_name"] == "Theirs"


# --- Actions ---


def test_disable_and_enable(admin_client):
    client_id = _create(admin_client)

    response = admin_client.post(f"/apps/{client_id}/disable/", follow=True)
    assert b"App disabled" in response.content
    assert app_install.get_installation(creds_of(admin_client), client_id).data["enabled"] is False

    admin_client.post(f"/apps/{client_id}/enable/")
    assert app_install.get_installation(creds_of(admin_client), client_id).data["enabled"] is True


def test_demo_mode_action(admin_client):
    client_id = _create(admin_client)

    response = admin_client.post(f"/apps/{client_id}/demo/", follow=True, HTTP_HOST="localhost")

    assert b"Demo mode on" in response.content
    assert b"Restore previous endpoints" in response.content
    installation = app_install.get_installation(creds_of(admin_client), client_id).data
    assert manifest.is_demo(installation, "https://localhost/notifications/event")


def test_demo_mode_asks_first_naming_the_endpoints_it_replaces(admin_client):
    client_id = _create(admin_client)

    confirm = admin_client.get(f"/apps/{client_id}/demo/", HTTP_HOST="localhost")

    assert "Content events: <code>https://hooks.example.com/lp</code>" in confirm.content.decode()
    installation = app_install.get_installation(creds_of(admin_client), client_id).data
    assert not manifest.is_demo(installation, "https://localhost/notifications/event")


def test_the_endpoints_before_demo_mode_can_be_restored(admin_client):
    client_id = _create(admin_client)
    data = _edit_data(admin_client, client_id)
    data.update(
        {"accept-max_retries": "3", "chatstate-endpoint": "", "rich-endpoint": "https://rich.example.com/"}
    )
    data.update({"content-headers-TOTAL_FORMS": "1", "content-headers-0-header_name": "X-Key"})
    data["content-headers-0-header_value"] = "k1"
    assert admin_client.post(f"/apps/{client_id}/edit/", data).status_code == 302
    before = app_install.get_installation(creds_of(admin_client), client_id).data["capabilities"]["webhooks"]
    admin_client.post(f"/apps/{client_id}/demo/", HTTP_HOST="localhost")
    page = admin_client.get(f"/apps/{client_id}/", HTTP_HOST="localhost").content.decode()
    assert "Restore previous endpoints" in page

    response = admin_client.post(f"/apps/{client_id}/restore/", follow=True, HTTP_HOST="localhost")

    assert "The endpoints from before demo mode are back." in response.content.decode()
    after = app_install.get_installation(creds_of(admin_client), client_id).data["capabilities"]["webhooks"]
    assert after == before
    assert "Restore previous endpoints" not in response.content.decode()


def test_the_detail_page_names_headers_without_values_and_the_retry_default(admin_client):
    client_id = _create(admin_client)
    data = _edit_data(admin_client, client_id)
    data.update({"accept-max_retries": "3", "content-headers-TOTAL_FORMS": "1"})
    data.update({"content-headers-0-header_name": "X-Api-Key", "content-headers-0-header_value": "s3cr3t"})
    admin_client.post(f"/apps/{client_id}/edit/", data)

    html = admin_client.get(f"/apps/{client_id}/").content.decode()

    assert "<code>X-Api-Key</code>" in html
    assert "s3cr3t" not in html
    assert re.search(r'data-testid="max-retries">3 \(30 s apart\)<', html)
    assert html.count("not set: 0 (no retry)") == 4
    data = _edit_data(admin_client, client_id)
    data.update({"basic-retention_time": "3600", "rich-max_retries": "0"})
    admin_client.post(f"/apps/{client_id}/edit/", data)
    html = unescape(admin_client.get(f"/apps/{client_id}/").content.decode())
    assert html.count("not set: retried for 1 hour (retry by time takes precedence)") == 3
    assert "3: retried for 1 hour (retry by time takes precedence)" in html
    assert "0: a failed notification is dropped (retry by time does not apply)" in html


def test_create_takes_per_type_endpoints_headers_retention_and_engagement(admin_client):
    data = create_data(
        endpoint="https://hooks.example.com/lp",
        **{
            "chatstate-endpoint": "",
            "accept-endpoint": "https://receipts.example.com/",
            "accept-max_retries": "2",
            "content-headers-TOTAL_FORMS": "1",
            "content-headers-0-header_name": "X-Api-Key",
            "content-headers-0-header_value": "k1",
            "basic-retention_time": "86400",
            "engagement-design_window": "on",
            "engagement-goal": ["lead"],
        },
    )

    client_id = admin_client.post(CREATE_URL, data)["Location"].split("/")[2]

    saved = app_install.get_installation(creds_of(admin_client), client_id).data
    webhooks = saved["capabilities"]["webhooks"]
    assert "ms.MessagingEventNotification.ChatStateEvent" not in webhooks
    assert webhooks["ms.MessagingEventNotification.AcceptStatusEvent"] == {
        "endpoint": "https://receipts.example.com/",
        "headers": [],
        "max_retries": 2,
    }
    assert webhooks["ms.MessagingEventNotification.ContentEvent"]["headers"] == [
        {"header_name": "X-Api-Key", "header_value": "k1"}
    ]
    assert webhooks["retry"] == {"retention_time": 86400}
    assert saved["capabilities"]["engagement"]["design_window"] is True
    assert saved["capabilities"]["engagement"]["goal"] == ["lead"]
    assert saved["enabled"] is True


def test_demo_with_an_endpoint_is_refused_naming_the_choice(admin_client, sandbox):
    data = create_data(endpoint="https://hooks.example.com/lp", demo=True)

    response = admin_client.post(CREATE_URL, data)

    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "clear the endpoints below, or untick Demo app to keep them" in html
    assert 'href="#id_basic-demo"' in html  # the summary at the top links to the field
    assert sandbox.requests_to("accountConfigReadWrite", "/installations") == []


def test_a_failed_save_lists_every_error_at_the_top_linking_to_its_field(admin_client):
    client_id = _create(admin_client)
    data = _edit_data(admin_client, client_id)
    data.update({"basic-name": "", "rich-endpoint": "http://h/x", "engagement-entry_point": []})
    data.update({"content-headers-TOTAL_FORMS": "1", "content-headers-0-header_value": "orphan"})

    html = unescape(admin_client.post(f"/apps/{client_id}/edit/", data).content.decode())

    summary = html[html.index('data-testid="error-summary"') : html.index('data-testid="edit-form"')]
    assert "4 things to fix" in summary
    for target in ("id_basic-name", "id_rich-endpoint", "id_engagement-entry_point_0"):
        assert f'href="#{target}"' in summary
        assert f'id="{target}"' in html
    assert 'href="#id_content-headers-0-header_name"' in summary
    assert 'id="id_content-headers-0-header_name"' in html
    in_page_order = ["id_basic-name", "id_content-headers-0-header_name", "id_rich-endpoint"]
    assert re.findall(r'href="#([^"]+)"', summary) == [*in_page_order, "id_engagement-entry_point_0"]


def test_uninstall_asks_first_then_uninstalls(admin_client):
    client_id = _create(admin_client)

    confirm = admin_client.get(f"/apps/{client_id}/uninstall/")
    assert b"This cannot be undone" in confirm.content
    assert Installation.objects.get().deleted_at is None

    response = admin_client.post(f"/apps/{client_id}/uninstall/", follow=True)

    assert b"App uninstalled." in response.content
    assert Installation.objects.get().deleted_at is not None
    assert admin_client.get("/").context["page"].object_list == []


def test_actions_refuse_get(admin_client):
    client_id = _create(admin_client)

    for action in ("enable", "disable", "restore"):
        assert admin_client.get(f"/apps/{client_id}/{action}/").status_code == 405


def test_an_action_on_an_uninstalled_app_says_so(admin_client):
    response = admin_client.post("/apps/no-such-app/disable/", follow=True)

    assert b"Not found on your LivePerson account" in response.content


def test_a_slow_liveperson_during_an_action_is_reported(admin_client, sandbox, settings):
    client_id = _create(admin_client)
    settings.LIVEPERSON_READ_TIMEOUT = 0.3
    sandbox.fault("slow", service="accountConfigReadWrite", delay=1.0)

    response = admin_client.post(f"/apps/{client_id}/disable/", follow=True)

    assert b"LivePerson did not answer in time." in response.content


def test_a_liveperson_server_error_during_an_action_is_reported(admin_client, sandbox):
    client_id = _create(admin_client)
    sandbox.fault("status", service="accountConfigReadWrite", status=500)

    response = admin_client.post(f"/apps/{client_id}/disable/", follow=True)

    assert b"LivePerson had a problem (HTTP 500)" in response.content


def test_no_secret_reaches_the_logs(admin_client, caplog):
    client_id = _create(admin_client)
    admin_client.get(f"/apps/{client_id}/")
    admin_client.post(f"/apps/{client_id}/disable/")

    secret = Installation.objects.get().client_secret
    bearer = LoginSession.objects.get().bearer
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert secret not in logged
    assert bearer not in logged


def test_edit_removes_a_header_row(admin_client):
    client_id = _create(admin_client)
    data = _edit_data(admin_client, client_id)
    data.update(
        {
            "content-headers-TOTAL_FORMS": "2",
            "content-headers-0-header_name": "X-Keep",
            "content-headers-0-header_value": "1",
            "content-headers-1-header_name": "X-Drop",
            "content-headers-1-header_value": "2",
        }
    )
    admin_client.post(f"/apps/{client_id}/edit/", data)
    data = _edit_data(admin_client, client_id)

    admin_client.post(f"/apps/{client_id}/edit/", {**data, "content-headers-1-DELETE": "on"})

    saved = app_install.get_installation(creds_of(admin_client), client_id).data
    headers = saved["capabilities"]["webhooks"]["ms.MessagingEventNotification.ContentEvent"]["headers"]
    assert headers == [{"header_name": "X-Keep", "header_value": "1"}]
