"""errors.user_message: one wording for a failed LivePerson call, wherever it is shown."""

import pytest

from liveperson import errors


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (errors.TimedOutError("x"), "LivePerson did not answer in time. If you were changing something"),
        (errors.UnreachableError("x"), "LivePerson cannot be reached right now."),
        (errors.RateLimitedError("x", status=429), "LivePerson is rate-limiting requests."),
        (
            errors.UnauthorizedError("x", status=401, detail="bad JWT"),
            "LivePerson refused the credentials: bad JWT",
        ),
        (errors.ForbiddenError("x", status=403), "Your LivePerson user or app is not allowed to do this."),
        (errors.ConflictError("x", status=409), "Someone else changed this at the same time."),
        (errors.NotFoundError("x", status=404), "Not found on your LivePerson account"),
        (
            errors.UnexpectedResponseError("x", status=400, detail="no skill"),
            "LivePerson refused the request (HTTP 400): no skill",
        ),
        (
            errors.UnexpectedResponseError("x", detail="unreadable"),
            "LivePerson refused the request: unreadable",
        ),
        (
            errors.UnexpectedResponseError("x", status=503),
            "LivePerson had a problem (HTTP 503). Please try again later.",
        ),
        (errors.UnexpectedResponseError("x"), "LivePerson had a problem. Please try again later."),
    ],
)
def test_it_words_each_failure(exc, message):
    assert errors.user_message(exc).startswith(message)


def test_it_never_shows_the_exception_text():
    exc = errors.UnexpectedResponseError("token=secret", status=500)

    assert "secret" not in errors.user_message(exc)


def test_a_time_out_is_worded_for_what_the_person_did():
    timed_out = errors.TimedOutError("x")

    assert errors.user_message(timed_out, writing=False) == (
        "LivePerson did not answer in time. Please try again in a moment."
    )
    assert "may or may not have been saved" in errors.user_message(timed_out, writing=True)


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (errors.TimedOutError("x"), True),
        (errors.UnreachableError("x"), True),
        (errors.RateLimitedError("x", status=429), True),
        (errors.UnexpectedResponseError("x", status=503), True),
        (errors.NotFoundError("x", status=404), False),
        (errors.UnexpectedResponseError("x", status=400), False),
    ],
)
def test_down_or_slow_is_told_apart_from_a_refusal(exc, unavailable):
    assert errors.is_unavailable(exc) is unavailable
