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


class UnknownAccountError(LivePersonError):
    """CSDS knows no such account, or the account lacks the service asked for."""


class ConnectorAuthError(UnauthorizedError):
    """A Send API 401 carrying LivePerson's error code (§5.4): `error_code`, and
    `detail` = LivePerson's "title: details"."""

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
