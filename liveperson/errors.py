"""Typed failures of LivePerson calls. Messages never contain secrets or tokens."""


class LivePersonError(Exception):
    """Base class: something went wrong talking to LivePerson."""

    def __init__(self, message: str, *, status: int | None = None, service: str = "", detail: str = ""):
        super().__init__(message)
        self.status = status
        self.service = service
        # LivePerson's own explanation of a refused request, safe to show.
        self.detail = detail


class UnreachableError(LivePersonError):
    """No connection could be made (DNS, refused, TLS, reset)."""


class TimedOutError(LivePersonError):
    """LivePerson did not answer within the read timeout."""


class UnauthorizedError(LivePersonError):
    """401: bad credentials, or an expired or invalid session or token."""


class ForbiddenError(LivePersonError):
    """403: authenticated, but not allowed."""


class NotFoundError(LivePersonError):
    """404: no such resource."""


class ConflictError(LivePersonError):
    """409 or 412: the resource changed since it was read (stale revision)."""


class RateLimitedError(LivePersonError):
    """429: too many requests; `retry_after` is in seconds when LivePerson said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class UnexpectedResponseError(LivePersonError):
    """Any other status (5xx included), or a body we cannot understand."""


class AnswerUnreadableError(UnexpectedResponseError):
    """A 2xx answer to a write whose body is not JSON: the write may or may not have been
    carried out (docs/LIVEPERSON.md, 'Response bodies')."""


class UnknownAccountError(LivePersonError):
    """CSDS knows no such account, or the account lacks the service asked for."""


class ConnectorAuthError(UnauthorizedError):
    """A Send API 401 carrying LivePerson's error code (docs/LIVEPERSON.md,
    'Connector authorization: error responses'): `error_code`, and `detail` =
    LivePerson's "title: details"."""

    def __init__(self, message: str, *, error_code: int, **kwargs):
        super().__init__(message, **kwargs)
        self.error_code = error_code


class AppJwtInvalidError(ConnectorAuthError):
    """40001 (missing parameter or claims), 40102 (expired or invalid), 40105 (missing):
    a new AppJWT is needed."""


class ConsumerJwsInvalidError(ConnectorAuthError):
    """40103 (invalid, or another consumer's conversation), 40104 (missing)."""


CONNECTOR_AUTH_ERRORS = {
    40001: AppJwtInvalidError,
    40102: AppJwtInvalidError,
    40105: AppJwtInvalidError,
    40103: ConsumerJwsInvalidError,
    40104: ConsumerJwsInvalidError,
}


def is_unavailable(exc: LivePersonError) -> bool:
    """LivePerson is down, slow or failing, as opposed to refusing what was asked."""
    if isinstance(exc, TimedOutError | AnswerUnreadableError | UnreachableError | RateLimitedError):
        return True
    return bool(exc.status and exc.status >= 500)


def user_message(exc: LivePersonError, *, writing: bool | None = None) -> str:
    """What to tell a person when a LivePerson call failed: the site's one wording
    (LivePerson's `detail` at most, never a secret). `writing` says what the person did,
    when the caller knows: a change (True) may have been saved although the answer never
    came; a plain page load (False) changed nothing."""
    status = f" (HTTP {exc.status})" if exc.status else ""
    detail = f": {exc.detail}" if exc.detail else ""
    if isinstance(exc, TimedOutError | AnswerUnreadableError):
        if writing is False:
            return "LivePerson did not answer in time. Please try again in a moment."
        if writing:
            return (
                "LivePerson did not answer in time. "
                "Your change may or may not have been saved: reload to see."
            )
        return (
            "LivePerson did not answer in time. "
            "If you were changing something, reload to see whether it was saved."
        )
    if isinstance(exc, UnreachableError):
        return "LivePerson cannot be reached right now. Please try again in a moment."
    if isinstance(exc, RateLimitedError):
        return "LivePerson is rate-limiting requests. Please wait a minute and try again."
    if isinstance(exc, UnauthorizedError):
        return f"LivePerson refused the credentials{detail}"
    if isinstance(exc, ForbiddenError):
        return "Your LivePerson user or app is not allowed to do this."
    if isinstance(exc, ConflictError):
        return "Someone else changed this at the same time. Nothing was changed; please try again."
    if isinstance(exc, NotFoundError):
        return "Not found on your LivePerson account: it may have been deleted or uninstalled."
    if exc.status and 400 <= exc.status < 500 or (exc.detail and not exc.status):
        return f"LivePerson refused the request{status}{detail}"
    return f"LivePerson had a problem{status}. Please try again later."
