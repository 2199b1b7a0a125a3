"""A conversation's files: the browser uploads an image here and the server sends
it through the Send API and swift (docs/LIVEPERSON.md, 'Send API: file sharing'); downloads
come back through the server.

Async views whose LivePerson calls run in the thread pool: a slow swift then
holds up no other request (sync views all share one thread under ASGI).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from chat import actions, exceptions, files, selectors
from core.offloop import off_loop

UPLOAD_FIELD = "file"


@require_POST
@login_required
async def file_upload(request, pk: int):
    """POST /chat/<pk>/files/ (multipart "file"): {"sequence", "relative_path"} or 400 {"error"}."""
    conversation = await _conversation(request, pk)
    upload = request.FILES.get(UPLOAD_FIELD)
    if upload is None:
        return JsonResponse({"error": "Choose an image to send."}, status=400)
    if upload.size > files.MAX_BYTES:
        return JsonResponse({"error": "The file is larger than 3 MB, LivePerson's limit."}, status=400)
    try:
        sequence, relative_path = await off_loop(actions.file_send)(
            conversation=conversation, data=upload.read(), filename=upload.name or ""
        )
    except exceptions.ChatError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"sequence": sequence, "relative_path": relative_path})


@require_GET
@login_required
async def file_download(request, pk: int):
    """GET /chat/<pk>/files/download?path=<relativePath>: the file, from swift."""
    conversation = await _conversation(request, pk)
    try:
        content, content_type = await off_loop(actions.file_fetch)(
            conversation=conversation, relative_path=request.GET.get("path", "")
        )
    except exceptions.ChatError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    response = HttpResponse(content, content_type=_safe_type(content_type))
    # Shown inline as an image, never run as a page of this site.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, max-age=3600"
    return response


async def _conversation(request, pk: int):
    user = await request.auser()
    conversation = await off_loop(selectors.conversation_for)(pk=pk, user=user)
    if conversation is None:
        raise Http404("No such conversation in your account.")
    return conversation


def _safe_type(content_type: str) -> str:
    """Images as they are; anything else as a download, never as HTML."""
    kind = content_type.split(";")[0].strip().lower()
    return kind if kind in files.CONTENT_TYPES.values() else "application/octet-stream"
