from django.conf import settings
from django.contrib import messages

from accounts import services


class LivePersonSessionMiddleware:
    """Keeps a logged-in user's LivePerson session alive while they use the site,
    and logs them out here once LivePerson's session has ended."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Requests without a session cookie (webhooks, health checks, API
        # clients) skip the session lookup altogether.
        has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        if has_session and request.user.is_authenticated and services.session_keepalive(request=request):
            messages.warning(request, "Your LivePerson session has ended. Please log in again.")
        return self.get_response(request)
