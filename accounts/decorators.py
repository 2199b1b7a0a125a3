"""The decorator of every page that calls LivePerson as the logged-in person."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render

from accounts import services
from accounts.lp_session import lp_session_get
from liveperson import errors

# The tag of a LivePerson error already told to the person: the page they land on
# (the apps list) does not tell it a second time.
LIVEPERSON_ERROR_TAG = "liveperson"


def liveperson_view(view):
    """Logged in with LivePerson; the view gets the LivePerson session after the
    request, and LivePerson failures become a message instead of a 500."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        lp = lp_session_get(request)
        if lp is None:
            messages.error(request, "Log in with a LivePerson account to use this page.")
            return redirect("home")
        try:
            return view(request, lp, *args, **kwargs)
        except errors.UnauthorizedError:
            return session_expired(request)
        except errors.LivePersonError as exc:
            return liveperson_failed(request, exc)

    return wrapped


def liveperson_failed(request, exc: errors.LivePersonError):
    """A page load while LivePerson is down or slow stays where it is, with the error once
    (a redirect to the list, which calls LivePerson too, showed it twice); a change, or a
    refusal, goes to the list with the error worded for what the person did."""
    writing = request.method != "GET"
    if not writing and errors.is_unavailable(exc):
        context = {"error": errors.user_message(exc, writing=False)}
        return render(request, "liveperson_unavailable.html", context, status=503)
    messages.error(request, errors.user_message(exc, writing=writing), extra_tags=LIVEPERSON_ERROR_TAG)
    return redirect("home")


def already_told(request) -> bool:
    """Whether a LivePerson error is among the messages this response will show."""
    return any(LIVEPERSON_ERROR_TAG in message.tags for message in messages.get_messages(request))


def session_expired(request):
    """Log out (LivePerson ended the session) and go to the login page, back here after."""
    next_url = request.get_full_path() if request.method == "GET" else None
    services.user_logout(request=request, reason="expired")
    messages.warning(request, "Your LivePerson session has expired. Please log in again.")
    return redirect_to_login(next_url or "/")
