"""HTTP surface of the sandbox's Account Config (`accountConfigReadWrite`):
feature grants and the App Install API, shaped like LivePerson's
(docs/LIVEPERSON.md, 'Async Messaging feature check' and 'App Install API').

Every call needs `Authorization: Bearer <bearer>` of a live login session of
the account in the path, and `v=1.0`. Writes to an existing installation need
`If-Match: <ac-revision>`; the original app also sends
`X-HTTP-Method-Override: PUT`, which turns a POST into a PUT.
"""

import json
import re
from functools import wraps

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse

from sandbox import app_install, services
from sandbox.views import sandbox_endpoint

SERVICE = "accountConfigReadWrite"
REVISION_HEADER = "ac-revision"
NOT_AUTHORIZED = "Not authorized: missing, invalid or expired bearer token"


@sandbox_endpoint(SERVICE)
def feature_grants(request, account_id):
    """The account's features; the app reads `Common.Async_Messaging`."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    session, error = _authorized(request, account_id)
    if error:
        return error
    return JsonResponse(app_install.feature_grants(account=session.account))


@sandbox_endpoint(SERVICE)
def installations(request, account_id):
    """List (GET) or create (POST) the account's installations."""
    method = _method(request)
    if method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    session, error = _authorized(request, account_id)
    if error:
        return error
    if method == "GET":
        body = [i.as_json() for i in app_install.installation_list(account=session.account)]
        return _with_revision(JsonResponse(body, safe=False), session.account.revision)
    return _create(session.account, _json(request))


@sandbox_endpoint(SERVICE)
def installation(request, account_id, client_id):
    """Read (GET), replace (PUT) or delete (DELETE) one installation."""
    method = _method(request)
    if method not in ("GET", "PUT", "DELETE"):
        return HttpResponseNotAllowed(["GET", "PUT", "DELETE"])
    session, error = _authorized(request, account_id)
    if error:
        return error
    if method == "GET":
        return _read(session.account, client_id)
    if_match = request.headers.get("If-Match", "").strip()
    if not if_match:
        return services.error_response(428, "If-Match with the ac-revision is required")
    if method == "PUT":
        return _update(session.account, client_id, _json(request), if_match)
    return _delete(session.account, client_id, if_match)


# --- Services called, their errors answered ---------------------------------------


def _app_install_errors(call):
    @wraps(call)
    def answered(*args):
        try:
            return call(*args)
        except app_install.InstallationInvalidError as error:
            return services.error_response(400, str(error))
        except app_install.InstallationNotFoundError:
            return services.error_response(404, "Installation not found")
        except app_install.RevisionMismatchError as error:
            return _with_revision(services.error_response(412, str(error)), error.revision)

    return answered


@_app_install_errors
def _create(account, data):
    installation, revision = app_install.installation_create(account=account, data=data)
    return _with_revision(_written(account, installation, status=201), revision)


@_app_install_errors
def _read(account, client_id):
    installation = app_install.installation_get(account=account, client_id=client_id)
    return _with_revision(JsonResponse(installation.as_json()), account.revision)


@_app_install_errors
def _update(account, client_id, data, if_match):
    installation, revision = app_install.installation_update(
        account=account, client_id=client_id, data=data, if_match=if_match
    )
    return _with_revision(_written(account, installation, status=200), revision)


def _written(account, installation, *, status: int) -> HttpResponse:
    """A create's or update's answer: the installation, or with the account's
    `install_answer` "empty" nothing (docs/LIVEPERSON.md, 'Response bodies')."""
    if account.install_answer == "empty":
        return HttpResponse(status=status)
    return JsonResponse(installation.as_json(), status=status)


@_app_install_errors
def _delete(account, client_id, if_match):
    revision = app_install.installation_delete(account=account, client_id=client_id, if_match=if_match)
    return _with_revision(JsonResponse({}), revision)


# --- Helpers --------------------------------------------------------------------


def _authorized(request, account_id):
    """The caller's login session, or the 401/400 LivePerson would answer."""
    scheme, _, bearer = request.headers.get("Authorization", "").strip().partition(" ")
    session = None
    if scheme.lower() == "bearer" and bearer.strip():
        session = services.login_session_for_bearer(account_id=account_id, bearer=bearer.strip())
    if session is None:
        return None, services.error_response(401, NOT_AUTHORIZED)
    if not version_supported(request.GET.get("v", "")):
        return None, services.error_response(400, "Missing or unsupported v parameter")
    return session, None


def version_supported(value: str) -> bool:
    """Version 1 of the API however it is written, "1.0" (what the original app sends) or
    "1" (docs/LIVEPERSON.md, 'App Install API'); no source says which others LivePerson takes."""
    return re.fullmatch(r"1(\.0+)?", value) is not None


def _method(request) -> str:
    override = request.headers.get("X-HTTP-Method-Override", "").strip().upper()
    return "PUT" if request.method in ("POST", "PUT") and override == "PUT" else request.method


def _json(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None  # validation answers "Body must be a JSON object"


def _with_revision(response, revision: int):
    response[REVISION_HEADER] = str(revision)
    return response
