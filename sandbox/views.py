"""HTTP surface of the offline LivePerson, shaped exactly like LivePerson's.

Each endpoint accepts what the documentation describes and what the original
Node app sends (docs/LIVEPERSON.md, 'Service discovery (CSDS)' and 'Login
Service and session'), records the request, and honours the switchable faults.
"""

import json
import re
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from sandbox import dispatcher, services
from sandbox.models import Account, Fault, User

ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SESSION_COOKIE = "Session_id"
BAD_AUTHENTICATION = "Bad Authentication (invalid site or agent)"
CSRF_INVALID = "CSRF token invalid! The CSRF token on request does not match the CSRF token on the session"


def sandbox_endpoint(service: str):
    """Apply faults, then the view; record the exchange either way."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = services.fault_response(service) or view(request, *args, **kwargs)
            services.request_record(request, service=service, status=response.status_code)
            return response

        return wrapped

    return decorator


# --- Index page (for people) ----------------------------------------------------


@require_GET
def index(request):
    accounts = Account.objects.prefetch_related("users").order_by("account_id")
    return render(
        request,
        "sandbox/index.html",
        {
            "accounts": accounts,
            "faults": Fault.objects.order_by("service"),
            "notifications": dispatcher.notifications_recent(),
        },
    )


# --- CSDS (Domain API) ---------------------------------------------------------


@sandbox_endpoint("csds")
@require_GET
def csds_base_uris(request, account_id):
    """All services of an account: what the original app and this app ask for."""
    error = _csds_request_error(request, account_id)
    if error:
        return error
    account = Account.objects.filter(account_id=account_id).first()
    entries = services.base_uris(account, request.get_host()) if account else []
    return JsonResponse({"baseURIs": entries})


@sandbox_endpoint("csds")
@require_GET
def csds_base_uri(request, account_id, service_name):
    """One service (names are case-sensitive), as documented."""
    error = _csds_request_error(request, account_id)
    if error:
        return error
    account = Account.objects.filter(account_id=account_id).first()
    entries = services.base_uris(account, request.get_host()) if account else []
    entry = next((e for e in entries if e["service"] == service_name), None)
    if entry is None:
        return services.error_response(404, f"No service {service_name} for account {account_id}")
    return JsonResponse(entry)


def _csds_request_error(request, account_id):
    if request.GET.get("version") != "1.0":
        return services.error_response(400, "Missing or unsupported version parameter")
    if not ACCOUNT_ID.match(account_id):
        return services.error_response(400, "Invalid account id")
    return None


# --- Login Service (agentVep) --------------------------------------------------


@sandbox_endpoint("agentVep")
@require_POST
def login(request, account_id):
    """User login. `v=1.3` and `Accept` are documented; the original app sends neither."""
    credentials = _json_object(request)
    if credentials is None or not all(
        isinstance(credentials.get(key), str) for key in ("username", "password")
    ):
        return services.error_response(400, "Body must be JSON with username and password")
    user = (
        User.objects.select_related("account")
        .filter(account__account_id=account_id, login_name=credentials["username"])
        .first()
    )
    if user is None or not user.check_password(credentials["password"]):
        return services.error_response(401, BAD_AUTHENTICATION)
    session = services.login_session_create(user=user)
    response = JsonResponse(_login_body(request, session))
    response.set_cookie(SESSION_COOKIE, session.session_id, httponly=True)
    return response


def _login_body(request, session) -> dict:
    user, account = session.user, session.account
    return {
        "csrf": session.csrf,
        "wsuk": session.wsuk,
        "config": {
            "loginName": user.login_name,
            "userId": user.user_id,
            "userPrivileges": user.privileges,
            "serverCurrentTime": int(session.created_at.timestamp() * 1000),
            "timeDiff": 0,
            "serverTimeZoneName": "UTC",
            "serverTimeGMTDiff": 0,
            "isLPA": user.is_lpa,
            "isAdmin": user.is_admin,
            "accountTimeZoneId": "UTC",
        },
        "csdsCollectionResponse": {"baseURIs": services.base_uris(account, request.get_host())},
        "accountData": {
            "agentGroupsData": {"items": [{"id": -1, "deleted": False, "name": "Main Group"}], "revision": 1}
        },
        "sessionTTl": str(account.session_ttl_ms),
        "bearer": session.bearer,
    }


@sandbox_endpoint("agentVep")
@require_POST
def refresh(request, account_id):
    """Keep a session alive: cookie `Session_id` plus the csrf from login."""
    session, error = _session_from_request(request, account_id)
    if error:
        return error
    services.login_session_refresh(session=session)
    return HttpResponse(status=200)


@sandbox_endpoint("agentVep")
@require_POST
def logout(request, account_id):
    session, error = _session_from_request(request, account_id)
    if error:
        return error
    services.login_session_end(session=session)
    return HttpResponse(status=200)


def _session_from_request(request, account_id):
    session = services.login_session_for_cookie(
        account_id=account_id, session_id=request.COOKIES.get(SESSION_COOKIE, "")
    )
    if session is None:
        return None, services.error_response(401, BAD_AUTHENTICATION)
    body = _json_object(request) or {}
    if body.get("csrf") != session.csrf:
        return None, services.error_response(401, CSRF_INVALID, internal_code=10)
    return session, None


def _json_object(request) -> dict | None:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
