"""Request id and one access log line per request (Django views; the webhook
path, outside Django, logs its own line in webhooks.receiver)."""

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.functional import empty

from core import logs


class RequestLogMiddleware:
    """Sets the request id (X-Request-ID in, and back out), then logs the request."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        started, token = self._start(request)
        try:
            return self._finish(request, self.get_response(request), started)
        finally:
            logs.request_id_var.reset(token)

    async def _acall(self, request):
        started, token = self._start(request)
        try:
            return self._finish(request, await self.get_response(request), started)
        finally:
            logs.request_id_var.reset(token)

    def _start(self, request):
        request.request_id = logs.request_id_from(request.headers.get("X-Request-ID"))
        return time.monotonic(), logs.request_id_var.set(request.request_id)

    def _finish(self, request, response, started: float):
        response["X-Request-ID"] = request.request_id
        logs.access(request.method, request.path, response.status_code, started, _user_id(request))
        return response


def _user_id(request):
    """The user's id if the request loaded the user: loading it here would cost a
    query (and is not allowed in async code)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None
