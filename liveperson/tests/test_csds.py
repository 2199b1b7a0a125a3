"""CSDS discovery through real HTTP against the sandbox."""

import pytest

from liveperson import csds, errors


def test_it_returns_every_service_of_the_account(sandbox):
    services = csds.get_base_uris("90000001")

    assert services["agentVep"] == f"{sandbox.host}/sandbox/agentvep"
    assert {"accountConfigReadWrite", "sentinel", "idp", "asyncMessagingEnt", "msgHist", "swift"} <= set(
        services
    )


def test_it_asks_for_all_services_with_the_version_parameter(sandbox):
    csds.get_base_uris("90000001")

    (request,) = sandbox.requests_to("csds")
    assert request.path == "/sandbox/csds/api/account/90000001/service/baseURI.json"
    assert request.query == {"version": ["1.0"]}
    assert request.method == "GET"


def test_it_uses_the_qa_domain_for_le_accounts(sandbox):
    csds.get_base_uris("le90000002")

    (request,) = sandbox.requests_to("csds")
    assert request.path.startswith("/sandbox/csds-qa/")


def test_it_uses_the_qa_domain_for_qa_accounts_too(sandbox, settings):
    assert csds.csds_domain("QA123") == settings.CSDS_DOMAIN_QA

    csds.get_base_uris("qa90000003")

    (request,) = sandbox.requests_to("csds")
    assert request.path.startswith("/sandbox/csds-qa/")


def test_it_treats_the_le_prefix_case_insensitively(settings):
    settings.CSDS_DOMAIN = "prod.example"
    settings.CSDS_DOMAIN_QA = "qa.example"

    assert csds.csds_domain("LE123") == "qa.example"
    assert csds.csds_domain("123") == "prod.example"


def test_it_caches_per_account(sandbox):
    first = csds.get_base_uris("90000001")
    second = csds.get_base_uris("90000001")
    csds.get_base_uris("le90000002")

    assert first == second
    assert len(sandbox.requests_to("csds")) == 2


def test_the_cache_expires(sandbox, settings):
    settings.CSDS_CACHE_SECONDS = 0

    csds.get_base_uris("90000001")
    csds.get_base_uris("90000001")

    assert len(sandbox.requests_to("csds")) == 2


def test_it_raises_unknown_account(sandbox):
    with pytest.raises(errors.UnknownAccountError):
        csds.get_base_uris("12345")


def test_it_raises_unknown_account_for_a_missing_service(sandbox):
    with pytest.raises(errors.UnknownAccountError):
        csds.get_base_uri("90000001", "noSuchService")


def test_it_refuses_an_account_id_that_would_change_the_path(sandbox):
    with pytest.raises(ValueError, match="account id"):
        csds.get_base_uris("../admin")

    assert sandbox.requests_to("csds") == []


def test_it_raises_unreachable_when_nothing_listens(settings):
    settings.CSDS_DOMAIN = "127.0.0.1:9"
    settings.LIVEPERSON_SCHEME = "http"
    settings.LIVEPERSON_RETRIES = 0

    with pytest.raises(errors.UnreachableError):
        csds.get_base_uris("90000001")


def test_it_raises_timed_out_when_liveperson_is_slow(sandbox, settings):
    settings.LIVEPERSON_READ_TIMEOUT = 0.3
    sandbox.fault("slow", service="csds", delay=1.0)

    with pytest.raises(errors.TimedOutError):
        csds.get_base_uris("90000001")


def test_it_retries_a_get_when_liveperson_is_down_then_gives_up(sandbox, settings):
    settings.LIVEPERSON_RETRIES = 2
    sandbox.fault("down", service="csds")

    with pytest.raises(errors.UnexpectedResponseError) as caught:
        csds.get_base_uris("90000001")

    assert caught.value.status == 503
    assert len(sandbox.requests_to("csds")) == 3


def test_it_raises_unexpected_response_for_a_body_that_is_not_json(sandbox):
    sandbox.fault("garbage", service="csds")

    with pytest.raises(errors.UnexpectedResponseError):
        csds.get_base_uris("90000001")


def test_it_does_not_cache_failures(sandbox):
    sandbox.fault("status", service="csds", status=500)
    with pytest.raises(errors.UnexpectedResponseError):
        csds.get_base_uris("90000001")
    sandbox_fault_clear()

    assert "agentVep" in csds.get_base_uris("90000001")


def sandbox_fault_clear():
    from sandbox.services import fault_clear

    fault_clear()
