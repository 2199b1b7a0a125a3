"""The decorator of every page that calls LivePerson as the logged-in person."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect

from accounts import services
from accounts.lp_session import lp_session_get
from liveperson import errors


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
            messages.error(request, errors.user_message(exc))
            return redirect("home")

    return wrapped


def session_expired(request):
    """Log out (LivePerson ended the session) and go to the login page, back here after."""
    next_url = request.get_full_path() if request.method == "GET" else None
    services.user_logout(request=request, reason="expired")
    messages.warning(request, "Your LivePerson session has expired. Please log in again.")
    return redirect_to_login(next_url or "/")
