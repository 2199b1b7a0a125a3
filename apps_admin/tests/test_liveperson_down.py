"""The apps pages while LivePerson is down or slow (issue 17, item 7): the last known
list, marked stale; the error once, worded for what the person did."""

import pytest

from apps_admin.tests.test_views import _create


def test_the_list_shows_the_last_known_apps_marked_stale_with_the_error_once(admin_client, sandbox):
    client_id = _create(admin_client, name="Known bot")
    sandbox.fault("down")

    response = admin_client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-client-id="{client_id}"' in html
    assert "Known bot" in html
    assert 'data-testid="stale-list"' in html
    assert html.count("LivePerson had a problem (HTTP 503)") == 1
    assert "No Connector API apps yet" not in html


def test_a_page_load_that_times_out_does_not_talk_of_saving(admin_client, sandbox, settings):
    _create(admin_client)
    settings.LIVEPERSON_READ_TIMEOUT = 0.3
    sandbox.fault("slow", service="accountConfigReadWrite", delay=1.0)

    html = admin_client.get("/").content.decode()

    assert html.count("LivePerson did not answer in time. Please try again in a moment.") == 1
    assert "saved" not in html


def test_an_app_page_while_liveperson_is_down_stays_put_and_says_it_once(admin_client, sandbox):
    client_id = _create(admin_client)
    sandbox.fault("down")

    response = admin_client.get(f"/apps/{client_id}/")

    assert response.status_code == 503
    html = response.content.decode()
    assert 'data-testid="liveperson-unavailable"' in html
    assert html.count("LivePerson had a problem (HTTP 503)") == 1
    assert f'href="/apps/{client_id}/"' in html  # try again


@pytest.mark.parametrize("path", ["disable/", "uninstall/"])
def test_a_change_that_times_out_says_it_may_be_saved_once_on_the_stale_list(
    admin_client, sandbox, settings, path
):
    client_id = _create(admin_client)
    settings.LIVEPERSON_READ_TIMEOUT = 0.3
    sandbox.fault("slow", service="accountConfigReadWrite", delay=1.0)

    response = admin_client.post(f"/apps/{client_id}/{path}", follow=True)

    html = response.content.decode()
    assert html.count("LivePerson did not answer in time") == 1
    assert "Your change may or may not have been saved: reload to see." in html
    assert 'data-testid="stale-list"' in html
