"""accounts.access_tokens: creation, checking by scope, revocation, the header parser."""

import hashlib
import logging
import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts import access_tokens
from accounts.models import AccessToken, User

pytestmark = pytest.mark.django_db


def _user(account_id="90000001", login="admin"):
    return User.objects.create(
        username=f"{account_id}:{login}", lp_account_id=account_id, lp_login_name=login
    )


def test_a_raw_token_is_the_marker_and_40_url_safe_characters():
    _, raw = access_tokens.create(_user(), name="laptop", scope="read")

    assert re.fullmatch(r"cst_[A-Za-z0-9_-]{40}", raw)


def test_it_stores_only_the_hash_and_a_short_prefix():
    token, raw = access_tokens.create(_user(), name="laptop", scope="read")

    token.refresh_from_db()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix)
    assert len(token.prefix) == 8
    stored = [str(value) for value in AccessToken.objects.values_list().get()]
    assert raw not in stored


def test_it_binds_the_token_to_the_user_and_their_account():
    user = _user(account_id="12345678")

    token, _ = access_tokens.create(user, name="ci", scope="full")

    assert (token.user, token.account_id, token.scope, token.name) == (user, "12345678", "full", "ci")


def test_it_refuses_an_unknown_scope():
    with pytest.raises(access_tokens.AccessTokenError):
        access_tokens.create(_user(), name="x", scope="admin")


def test_it_refuses_a_user_without_a_liveperson_account():
    local = User.objects.create(username="root")

    with pytest.raises(access_tokens.AccessTokenError):
        access_tokens.create(local, name="x", scope="read")


def test_it_authenticates_a_token_it_made():
    token, raw = access_tokens.create(_user(), name="laptop", scope="read")

    assert access_tokens.authenticate(raw, needs="read") == token


@pytest.mark.parametrize(
    ("scope", "needs", "allowed"),
    [
        ("full", "full", True),
        ("full", "read", True),
        ("full", "forward", True),
        ("read", "full", False),
        ("read", "read", True),
        ("read", "forward", True),
        ("forward", "full", False),
        ("forward", "read", False),
        ("forward", "forward", True),
    ],
)
def test_scopes_allow_what_they_say(scope, needs, allowed):
    _, raw = access_tokens.create(_user(), name="t", scope=scope)

    assert (access_tokens.authenticate(raw, needs=needs) is not None) is allowed


@pytest.mark.parametrize("raw", [None, "", "cst_", "Bearer x", "cst_" + "a" * 40, "xyz_" + "a" * 40])
def test_it_refuses_unknown_or_malformed_tokens(raw):
    access_tokens.create(_user(), name="t", scope="full")

    assert access_tokens.authenticate(raw, needs="read") is None


def test_it_refuses_a_long_string_without_hashing_it():
    assert access_tokens.authenticate("cst_" + "a" * 1_000_000, needs="read") is None


def test_it_refuses_a_revoked_token():
    user = _user()
    token, raw = access_tokens.create(user, name="t", scope="full")

    assert access_tokens.revoke(user, token.pk)

    assert access_tokens.authenticate(raw, needs="read") is None
    assert not access_tokens.is_active(token.pk)


def test_it_refuses_the_token_of_a_deactivated_user():
    user = _user()
    _, raw = access_tokens.create(user, name="t", scope="full")
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert access_tokens.authenticate(raw, needs="read") is None


def test_is_active_is_true_until_revoked_and_false_for_unknown_ids():
    user = _user()
    token, _ = access_tokens.create(user, name="t", scope="forward")

    assert access_tokens.is_active(token.pk)
    assert not access_tokens.is_active(token.pk + 1000)


def test_a_user_cannot_revoke_someone_elses_token():
    owner, other = _user(login="owner"), _user(login="other")
    token, raw = access_tokens.create(owner, name="t", scope="full")

    assert not access_tokens.revoke(other, token.pk)

    assert access_tokens.authenticate(raw, needs="full") == token


def test_revoking_twice_says_so():
    user = _user()
    token, _ = access_tokens.create(user, name="t", scope="full")

    assert access_tokens.revoke(user, token.pk)
    assert not access_tokens.revoke(user, token.pk)


def test_it_records_the_last_use_at_most_once_a_minute():
    token, raw = access_tokens.create(_user(), name="t", scope="read")
    assert token.last_used_at is None

    access_tokens.authenticate(raw, needs="read")
    first = AccessToken.objects.get().last_used_at
    access_tokens.authenticate(raw, needs="read")

    assert first is not None
    assert AccessToken.objects.get().last_used_at == first


def test_it_records_a_new_use_after_a_minute():
    token, raw = access_tokens.create(_user(), name="t", scope="read")
    long_ago = timezone.now() - timedelta(minutes=2)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)

    access_tokens.authenticate(raw, needs="read")

    assert AccessToken.objects.get().last_used_at > long_ago


def test_tokens_of_lists_only_the_users_own_newest_first():
    user, other = _user(login="a"), _user(login="b")
    first, _ = access_tokens.create(user, name="first", scope="read")
    second, _ = access_tokens.create(user, name="second", scope="read")
    access_tokens.create(other, name="theirs", scope="read")

    assert list(access_tokens.tokens_of(user)) == [second, first]


def test_it_never_logs_the_raw_token_or_its_hash(caplog):
    caplog.set_level(logging.DEBUG)
    user = _user()

    token, raw = access_tokens.create(user, name="t", scope="full")
    access_tokens.authenticate(raw, needs="read")
    access_tokens.authenticate(raw[:-1] + "x", needs="read")
    access_tokens.revoke(user, token.pk)

    assert caplog.records, "create and revoke log a line"
    assert raw not in caplog.text
    assert raw[len(token.prefix) :] not in caplog.text
    assert token.token_hash not in caplog.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bearer cst_abc", "cst_abc"),
        ("bearer   cst_abc  ", "cst_abc"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("", None),
    ],
)
def test_bearer_token_reads_a_django_requests_header(value, expected):
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=value)

    assert access_tokens.bearer_token(request.headers) == expected


def test_bearer_token_is_none_without_the_header():
    assert access_tokens.bearer_token(RequestFactory().get("/").headers) is None
    assert access_tokens.bearer_token([(b"host", b"example.com")]) is None


def test_bearer_token_reads_an_asgi_scopes_headers():
    headers = [(b"host", b"example.com"), (b"authorization", b"Bearer cst_xyz")]

    assert access_tokens.bearer_token(headers) == "cst_xyz"


def test_bearer_token_survives_bytes_that_are_not_utf8():
    assert access_tokens.bearer_token([(b"authorization", b"Bearer \xff\xfe")]) == "\xff\xfe"
