"""Content-Security-Policy on HTML pages, and Cache-Control: no-store on private responses.

Django 5.2 has no CSP support of its own (Django 6 adds SECURE_CSP). The policy is
the same for every page and needs no nonces, since no page has inline script or
style, so this middleware is all it takes. Responses that already carry either
header keep the view's choice. Static files (WhiteNoise answers before this
middleware) and the webhook path (outside Django, see connector_site.asgi) never
get here.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.utils.cache import add_never_cache_headers

CSP_HEADER = "Content-Security-Policy"


class SecurityHeadersMiddleware:
    """Adds the site's CSP to HTML responses and no-store to pages and to logged-in users' responses."""

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
        response = self.get_response(request)
        _add_policy(request, response)
        if _cache_undecided(response) and (_is_html(response) or request.user.is_authenticated):
            add_never_cache_headers(response)
        return response

    async def _acall(self, request):
        response = await self.get_response(request)
        _add_policy(request, response)
        if _cache_undecided(response) and (_is_html(response) or (await request.auser()).is_authenticated):
            add_never_cache_headers(response)
        return response


def policy_for(request) -> str:
    """The CSP header value for this request's page."""
    directives = dict(settings.CSP_DIRECTIVES)
    match = getattr(request, "resolver_match", None)
    if match is not None:
        directives.update(settings.CSP_VIEW_OVERRIDES.get(match.view_name, {}))
    if "connect-src" in directives:
        directives["connect-src"] = [*directives["connect-src"], _websocket_origin(request)]
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def _add_policy(request, response) -> None:
    if CSP_HEADER in response or not _is_html(response):
        return
    # Django's debug 404 and 500 pages style themselves inline: keep them readable.
    if settings.DEBUG and response.status_code >= 400:
        return
    response[CSP_HEADER] = policy_for(request)


def _websocket_origin(request) -> str:
    """ws(s)://<host> of this page: CSP 3 counts it as 'self', older Safari does not."""
    # CommonMiddleware has validated the host already, so it cannot break the header.
    return f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def _cache_undecided(response) -> bool:
    return "Cache-Control" not in response
