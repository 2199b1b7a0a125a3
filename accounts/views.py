from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access_tokens, services, throttle
from accounts.forms import AccessTokenCreateForm, LoginForm


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = _safe_next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    status, retry_after = 200, None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.user_login(request=request, **data)
        except services.LoginError as exc:
            form.add_error(None, exc.message)
            form.focus_password()
            status, retry_after = exc.status, exc.retry_after
        else:
            response = redirect(next_url)
            login = {"account_id": data["account_id"], "login_name": data["login_name"]}
            throttle.known_device_remember(request=request, response=response, **login)
            return response
    context = {"form": form, "next": next_url, "timeout": settings.LIVEPERSON_READ_TIMEOUT}
    response = render(request, "accounts/login.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def logout_view(request):
    services.user_logout(request=request)
    messages.info(request, "You are logged out of this site and of LivePerson.")
    return redirect(settings.LOGIN_URL)


def _safe_next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- Personal access tokens -------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's tokens and a form for a new one; a new token's raw value is in this
    response only (never in a URL, the session or a redirect)."""
    form = AccessTokenCreateForm(request.POST or None)
    created = raw = None
    if form.is_valid():
        try:
            created, raw = access_tokens.create(request.user, **form.cleaned_data)
        except access_tokens.AccessTokenError as exc:
            form.add_error(None, str(exc))
        else:
            form = AccessTokenCreateForm()
    context = {"form": form, "tokens": access_tokens.tokens_of(request.user), "created": created, "raw": raw}
    # connector_site.security_headers makes logged-in responses no-store.
    return render(request, "accounts/tokens.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, token_id):
    token = get_object_or_404(access_tokens.tokens_of(request.user), pk=token_id, revoked_at__isnull=True)
    if request.method == "POST":
        access_tokens.revoke(request.user, token.pk)
        messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
        return redirect("accounts:token-list")
    return render(request, "accounts/token_revoke.html", {"token": token})
