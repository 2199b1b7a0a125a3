"""HTTP surface of the sandbox's Connector API services: Sentinel, IdP, the Send
API (asyncMessagingEnt), swift and messaging history (docs/LIVEPERSON.md:
the 'Connector authorization' and 'Send API' sections, 'Messaging history').
Paths and answers as LivePerson's; the logic lives in sandbox.connector_auth,
sandbox.send_api, sandbox.swift and sandbox.msghist.
"""

import json

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.http import require_POST

from sandbox import connector_auth, msghist, send_api, services, swift
from sandbox.views import sandbox_endpoint

GRANT_TYPE = "client_credentials"


# --- Sentinel (docs/LIVEPERSON.md, 'Connector authorization: AppJWT') ------------


@sandbox_endpoint("sentinel")
@require_POST
def app_token(request, account_id):
    """AppJWT for client credentials: in a form body (documented) or all in the
    query string (what the original app sends)."""
    params = {**request.GET.dict(), **request.POST.dict()}
    if params.get("grant_type") != GRANT_TYPE:
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    token = connector_auth.app_jwt_issue(
        account_id=account_id,
        client_id=params.get("client_id", ""),
        client_secret=params.get("client_secret", ""),
    )
    if token is None:
        return _oauth_error(401, "invalid_client", "Bad client credentials")
    return JsonResponse({"access_token": token, "token_type": "Bearer"})


def _oauth_error(status: int, error: str, description: str) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


# --- IdP (docs/LIVEPERSON.md, 'Connector authorization: ConsumerJWS') --------------


@sandbox_endpoint("idp")
@require_POST
def consumer_token(request, account_id):
    """ConsumerJWS for the app's consumer (`ext_consumer_id`); 201 like LivePerson."""
    try:
        installation = connector_auth.installation_for_app_jwt(
            account_id=account_id, authorization=request.headers.get("Authorization", "")
        )
    except connector_auth.ConnectorAuthError as refusal:
        return _auth_error(refusal)
    body = _json(request)
    ext_consumer_id = body.get("ext_consumer_id") if isinstance(body, dict) else None
    if not isinstance(ext_consumer_id, str) or not ext_consumer_id or len(ext_consumer_id) > 256:
        return _bad_request("Body must be JSON with ext_consumer_id (1-256 characters)")
    token = connector_auth.consumer_jws_issue(installation=installation, ext_consumer_id=ext_consumer_id)
    return JsonResponse({"token": token}, status=201)


# --- Send API (docs/LIVEPERSON.md, 'Send API: CONVERSATION' and 'Send API: SEND') ---


@sandbox_endpoint("asyncMessagingEnt")
@require_POST
def conversation(request, account_id):
    """CONVERSATION: open a conversation from an array of requests."""
    return _send_api_call(request, account_id, send_api.conversation_request, "items")


@sandbox_endpoint("asyncMessagingEnt")
@require_POST
def send(request, account_id):
    """SEND: one request on an open conversation."""
    return _send_api_call(request, account_id, send_api.send_request, "request")


def _send_api_call(request, account_id, call, body_name):
    try:
        caller = connector_auth.send_api_caller(
            account_id=account_id,
            authorization=request.headers.get("Authorization", ""),
            on_behalf=request.headers.get("X-LP-ON-BEHALF", ""),
        )
        properties = send_api.client_properties_parse(request.headers.get("Client-Properties", ""))
        body = _json(request)
        answer = call(caller=caller, properties=properties, **{body_name: body})
    except connector_auth.ConnectorAuthError as refusal:
        return _auth_error(refusal)
    except send_api.RequestInvalidError as error:
        return _bad_request(str(error))
    if body_name == "request":  # SEND, in the account's answer shape
        answer = send_api.answer_shaped(caller.account, body, answer)
        if answer is None:
            return HttpResponse(status=200)
    return JsonResponse(answer, safe=False)


def _auth_error(refusal: connector_auth.ConnectorAuthError) -> JsonResponse:
    """The body of docs/LIVEPERSON.md, 'Connector authorization: error responses'."""
    body = {"title": refusal.title, "details": refusal.details, "errorCode": refusal.error_code}
    return JsonResponse({"kind": "resp", "code": 401, "body": body, "type": ".ReqBody$ErrorResp"}, status=401)


def _bad_request(details: str) -> JsonResponse:
    """A refused request, in the same shape as the authorization errors (docs/LIVEPERSON.md)."""
    body = {"title": "Bad request", "details": details}
    return JsonResponse({"kind": "resp", "code": 400, "body": body, "type": ".ReqBody$ErrorResp"}, status=400)


# --- swift (docs/LIVEPERSON.md, 'Send API: file sharing') ------------------------


@sandbox_endpoint("swift")
def swift_object(request, object_path):
    """PUT stores, GET serves a file, each under a temp URL signed for that method."""
    if request.method not in ("PUT", "GET"):
        return HttpResponseNotAllowed(["PUT", "GET"])
    relative_path = f"/v1/{object_path}"
    try:
        swift.temp_url_check(
            request.method,
            relative_path,
            sig=request.GET.get("temp_url_sig", ""),
            expires=request.GET.get("temp_url_expires", ""),
        )
        if request.method == "PUT":
            return _swift_put(request, relative_path)
        content, content_type = swift.file_get(relative_path=relative_path)
    except swift.SwiftError as error:
        return HttpResponse(str(error), status=error.status, content_type="text/plain")
    return HttpResponse(content, content_type=content_type)


def _swift_put(request, relative_path):
    # Read the stream, not request.body: Django refuses bodies over
    # DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), and files may have 3 MB.
    swift.file_put(
        relative_path=relative_path,
        stream=request,
        content_length=int(request.headers.get("Content-Length") or 0),
    )
    return HttpResponse(status=201)


# --- Messaging history (docs/LIVEPERSON.md, 'Messaging history') ------------------------


@sandbox_endpoint("msgHist")
@require_POST
def conversation_search(request, account_id):
    """A conversation's record by id; `source` is required (docs/LIVEPERSON.md, 'Messaging
    history'), `v`, offset and limit are optional."""
    authorization = request.headers.get("Authorization", "")
    bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    session = services.login_session_for_bearer(account_id=account_id, bearer=bearer) if bearer else None
    if session is None:
        return services.error_response(401, "Not authorized: missing, invalid or expired bearer token")
    source = request.GET.get("source", "")
    if not source:
        return services.error_response(400, "source is required")
    if len(source) > 20:
        return services.error_response(400, "source is limited to 20 characters")
    try:
        body = msghist.conversation_search(
            account=session.account,
            body=_json(request),
            offset=_int_param(request, "offset", 0),
            limit=min(_int_param(request, "limit", 100), 100),
        )
    except msghist.SearchInvalidError as error:
        return services.error_response(400, str(error))
    return JsonResponse(body)


def _int_param(request, name: str, default: int) -> int:
    value = request.GET.get(name, "")
    if not value.isdigit():
        if value:
            raise msghist.SearchInvalidError(f"{name} must be a non-negative number")
        return default
    return int(value)


def _json(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None
