"""Replaying a delivery and sending a test notification, from the pages
(webhooks.sends does the work; docs/FORWARDING.md)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from webhooks import sends


@never_cache
@login_required
@require_POST
def delivery_replay(request, pk):
    return _sent(
        request,
        title=f"Replay of delivery {pk}",
        send=lambda: sends.delivery_replay(
            user_id=request.user.pk, account_id=request.user.lp_account_id, delivery_id=pk
        ),
        back=("webhooks:delivery-detail", pk),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def app_test_notification(request, client_id):
    if request.method == "GET":
        return _page(request, title="Send a test notification", client_id=client_id)
    return _sent(
        request,
        title="Test notification",
        send=lambda: sends.test_notification_send(
            user_id=request.user.pk,
            account_id=request.user.lp_account_id,
            client_id=client_id,
            kind=request.POST.get("kind", "")[:100],
        ),
        back=("webhooks:app-test-notification", client_id),
        client_id=client_id,
    )


def _sent(request, *, title: str, send, back, client_id: str = ""):
    try:
        results, error = send(), ""
    except sends.SendError as exc:
        results, error = [], str(exc)
    return _page(request, title=title, results=results, error=error, back=back, client_id=client_id)


def _page(request, **context):
    status = 400 if context.get("error") else 200
    context["kinds"] = sends.webhook_kinds()
    return render(request, "webhooks/sends.html", context, status=status)
