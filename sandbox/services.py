"""What the sandbox does, apart from HTTP parsing: seed data, login sessions, faults."""

import json
import secrets
import time
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpResponse, JsonResponse, QueryDict
from django.http.request import RawPostDataException
from django.utils import timezone

from sandbox.models import Account, Fault, LoginSession, RequestLog, User
from sandbox.seed import ADMIN_PRIVILEGES, AGENT_PRIVILEGES, SEED_ACCOUNTS, SERVICE_PATHS

REQUEST_LOG_KEEP = 5000
MASKED = "********"
# Masked wherever they appear in a logged body or query string (the original app
# sends client_secret in the query, docs/LIVEPERSON.md, 'Connector authorization: AppJWT';
# temp_url_sig opens a file).
SECRET_FIELDS = {"password", "client_secret", "csrf", "access_token", "token", "bearer", "temp_url_sig"}
SECRET_HEADERS = {"authorization", "cookie", "x-lp-on-behalf"}


# --- Accounts -----------------------------------------------------------------


@transaction.atomic
def sandbox_seed() -> list[Account]:
    """Create (or repair) the demo accounts and users; safe to run on every start."""
    accounts = []
    for spec in SEED_ACCOUNTS:
        account, _ = Account.objects.update_or_create(
            account_id=spec["account_id"],
            defaults={
                "name": spec["name"],
                "async_messaging": spec["async_messaging"],
                "file_sharing": spec["file_sharing"],
                "survey_skill_ids": spec["survey_skill_ids"],
            },
        )
        for user_spec in spec["users"]:
            _seed_user(account, user_spec)
        accounts.append(account)
    return accounts


def webhook_activation_set(*, seconds: int) -> int:
    """How long every sandbox account's new apps wait for their webhooks (docs/LIVEPERSON.md,
    'Webhook activation'): 0 for tests and benchmarks that need them at once."""
    return Account.objects.update(webhook_activation_seconds=seconds)


def _seed_user(account: Account, spec: dict) -> User:
    is_privileged = spec.get("is_admin", False) or spec.get("is_lpa", False)
    user, _ = User.objects.update_or_create(
        account=account,
        login_name=spec["login_name"],
        defaults={
            "user_id": spec["user_id"],
            "is_admin": spec.get("is_admin", False),
            "is_lpa": spec.get("is_lpa", False),
            "privileges": ADMIN_PRIVILEGES if is_privileged else AGENT_PRIVILEGES,
        },
    )
    if not user.check_password(spec["password"]):
        user.set_password(spec["password"])
        user.save(update_fields=["password_hash"])
    return user


def base_uris(account: Account, host: str) -> list[dict]:
    """CSDS entries for every sandbox service, on the host the caller used."""
    return [
        {"account": account.account_id, "baseURI": f"{host}/sandbox/{prefix}", "service": service}
        for service, prefix in SERVICE_PATHS.items()
    ]


# --- Login sessions -----------------------------------------------------------


def login_session_create(*, user: User) -> LoginSession:
    now = timezone.now()
    return LoginSession.objects.create(
        account=user.account,
        user=user,
        session_id=secrets.token_hex(32),
        csrf=secrets.token_hex(32),
        bearer=secrets.token_hex(32),
        created_at=now,
        expires_at=now + timedelta(milliseconds=user.account.session_ttl_ms),
    )


def login_session_for_cookie(*, account_id: str, session_id: str) -> LoginSession | None:
    """The live session behind a `Session_id` cookie, if any."""
    return _live_session(account_id, session_id=session_id)


def login_session_for_bearer(*, account_id: str, bearer: str) -> LoginSession | None:
    """The live session a bearer token belongs to (for the bearer-authenticated APIs)."""
    return _live_session(account_id, bearer=bearer)


def _live_session(account_id: str, **token) -> LoginSession | None:
    session = (
        LoginSession.objects.select_related("account", "user")
        .filter(account__account_id=account_id, **token)
        .first()
    )
    return session if session and session.is_live() else None


def login_session_refresh(*, session: LoginSession) -> None:
    session.refreshed_at = timezone.now()
    session.save(update_fields=["refreshed_at"])


def login_session_end(*, session: LoginSession) -> None:
    session.ended_at = timezone.now()
    session.save(update_fields=["ended_at"])


# --- Faults -------------------------------------------------------------------


def fault_set(
    *, service: str = Fault.ALL_SERVICES, mode: str, delay_seconds: float = 0, status: int = 500
) -> Fault:
    """Make `service` misbehave until `fault_clear`. It replaces every earlier fault:
    `slow --service agentVep` after `down` means a slow login, not a slow login with
    every other service still down (one fault at a time is what the README describes)."""
    Fault.objects.all().delete()
    return Fault.objects.create(service=service, mode=mode, delay_seconds=delay_seconds, status=status)


def fault_clear(*, service: str | None = None) -> int:
    faults = Fault.objects.all() if service is None else Fault.objects.filter(service=service)
    return faults.delete()[0]


def fault_response(service: str) -> HttpResponse | None:
    """What a faulty LivePerson answers instead of the real view, or None.

    A slow fault sleeps and then lets the real view answer.
    """
    fault = Fault.objects.filter(service__in=[service, Fault.ALL_SERVICES]).order_by("-id").first()
    if fault is None:
        return None
    if fault.mode == Fault.Mode.SLOW:
        time.sleep(fault.delay_seconds)
        return None
    if fault.mode == Fault.Mode.DOWN:
        return HttpResponse("<html><body><h1>503 Service Unavailable</h1></body></html>", status=503)
    if fault.mode == Fault.Mode.GARBAGE:
        return HttpResponse("<html><body>Maintenance</body></html>", status=200, content_type="text/html")
    response = error_response(fault.status, "Simulated failure")
    if fault.status == 429:
        response["Retry-After"] = "30"
    return response


def error_response(status: int, message: str, internal_code: int = 0) -> JsonResponse:
    """LivePerson's error body shape (Login Service docs)."""
    return JsonResponse(
        {
            "error": {
                "time": timezone.now().strftime("%b %d, %Y %I:%M:%S %p"),
                "message": message,
                "internalCode": internal_code,
                "responseStatus": _STATUS_NAMES.get(status, "ERROR"),
            }
        },
        status=status,
    )


_STATUS_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    428: "PRECONDITION_REQUIRED",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
}


# --- Request log --------------------------------------------------------------


def request_record(request, *, service: str, status: int) -> None:
    """Keep what the sandbox received, secrets masked, so tests can check it."""
    RequestLog.objects.create(
        service=service,
        method=request.method,
        path=request.path,
        query={key: _masked(key, request.GET.getlist(key)) for key in request.GET},
        headers={
            name: MASKED if name.lower() in SECRET_HEADERS else value
            for name, value in request.headers.items()
        },
        body=_logged_body(request),
        status=status,
    )
    _prune_request_log()


def _logged_body(request):
    """The body as JSON (or form fields), masked; only the size of anything else."""
    try:
        raw = request.body
    except (RawPostDataException, RequestDataTooBig):  # streamed (swift uploads) or too big
        return {"raw": f"<{request.headers.get('Content-Length', '?')} bytes, streamed>"}
    if not raw:
        return None
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        form = QueryDict(raw)
        return {key: _masked(key, form.getlist(key)) for key in form}
    try:
        return _masked(None, json.loads(raw))
    except ValueError:
        if content_type.startswith("text/") or not content_type:
            return {"raw": raw[:2000].decode("utf-8", "replace")}
        return {"raw": f"<{len(raw)} bytes of {content_type}>"}


def _masked(key, value):
    """`value` with every secret field, at any depth, replaced by MASKED."""
    if key in SECRET_FIELDS:
        return MASKED
    if isinstance(value, dict):
        return {k: _masked(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(None, v) for v in value]
    return value


def _prune_request_log() -> None:
    newest = RequestLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if newest % 500 == 0:
        RequestLog.objects.filter(id__lte=newest - REQUEST_LOG_KEEP).delete()
