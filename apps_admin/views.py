from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import already_told, liveperson_view, session_expired
from accounts.lp_session import lp_session_get
from apps_admin import manifest, services
from apps_admin.forms import InstallationForms
from liveperson import errors

PAGE_SIZE = 20
# Each key ends with the client id, unique: rows equal on the column (apps created in the
# same second, LivePerson's epoch seconds) keep one order from one load to the next.
SORT_KEYS = {
    "name": lambda row: (row.name.lower(), row.client_id),
    "description": lambda row: (row.description.lower(), row.client_id),
    "client_id": lambda row: (row.client_id,),
    "enabled": lambda row: (row.enabled, row.client_id),
    "demo": lambda row: (row.demo, row.client_id),
    "created": lambda row: (row.created.timestamp() if row.created else 0, row.client_id),
}


# --- List ---------------------------------------------------------------------------


@login_required
def installation_list(request):
    lp = lp_session_get(request)
    context = {"rows": [], "error": "", "async_messaging": None, "query": request.GET.get("q", "").strip()}
    if lp is not None:
        demo_url = services.demo_endpoint(request)
        try:
            context["rows"] = services.installation_list(lp=lp, demo_url=demo_url)
            context["async_messaging"] = services.account_async_messaging(lp=lp)
        except errors.UnauthorizedError:
            return session_expired(request)
        except errors.LivePersonError as exc:
            # The last known list, marked stale; the error once (a failed change that
            # led here has said it already).
            context["rows"], context["stale_since"] = services.installation_list_last_known(
                account_id=lp.account_id, demo_url=demo_url
            )
            context["stale"] = True
            context["error"] = "" if already_told(request) else errors.user_message(exc, writing=False)
    rows = [row for row in context["rows"] if context["query"].lower() in row.name.lower()]
    sort = request.GET.get("sort", "-created")
    if sort.lstrip("-") not in SORT_KEYS:
        sort = "-created"
    rows = sorted_rows(rows, sort)
    context.update(
        page=Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        sort=sort,
        total=len(context["rows"]),
        liveperson=lp is not None,
        columns=[
            ("name", "Name"),
            ("description", "Description"),
            ("client_id", "Client ID"),
            ("enabled", "Enabled"),
            ("demo", "Demo"),
            ("created", "Created"),
        ],
    )
    return render(request, "apps_admin/list.html", context)


def sorted_rows(rows: list, sort: str) -> list:
    """`rows` by the column `sort` names ('-' first: descending), ties by client id."""
    return sorted(rows, key=SORT_KEYS[sort.lstrip("-")], reverse=sort.startswith("-"))


# --- Create and view ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@liveperson_view
def installation_create(request, lp):
    forms = InstallationForms(request.POST or None)
    demo_url = services.demo_endpoint(request)
    if request.method == "POST" and forms.is_valid():
        edit = forms.to_edit()
        try:
            created = services.installation_create(
                lp=lp,
                name=edit.name,
                description=edit.description,
                edit=edit,
                demo_url=demo_url if forms.demo else "",
            )
        except errors.LivePersonError as exc:
            if not services.is_refused_name(exc):
                raise
            forms.basic.add_error("name", services.NAME_TAKEN)
        else:
            messages.success(request, f"App “{edit.name}” installed. Keep its client secret safe.")
            return redirect("apps_admin:detail", client_id=created["client_id"])
    return render(
        request,
        "apps_admin/create.html",
        {"forms": forms, "demo_endpoint": demo_url},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@liveperson_view
def installation_detail(request, lp, client_id):
    current = services.installation_get(lp=lp, client_id=client_id).data
    webhooks = manifest.webhooks_of(current)
    demo_url = services.demo_endpoint(request)
    retention = (webhooks.get("retry") or {}).get("retention_time") or 0
    demo = manifest.is_demo(current, demo_url)
    return render(
        request,
        "apps_admin/detail.html",
        {
            "app": current,
            "client_id": client_id,
            "demo": demo,
            "webhooks": [
                (
                    manifest.WEBHOOK_LABELS[kind],
                    webhooks.get(kind) or {},
                    manifest.header_names(webhooks.get(kind) or {}),
                    manifest.max_retries_label(webhooks.get(kind) or {}, retention),
                )
                for kind in manifest.WEBHOOK_TYPES
            ],
            "retention": manifest.retention_label(retention),
            "restorable": demo
            and bool(services.endpoints_before_demo(account_id=lp.account_id, client_id=client_id)),
        },
    )


@never_cache
@require_POST
@liveperson_view
def installation_secret(request, lp, client_id):
    """The client secret, only on an explicit reveal or copy (never in the page)."""
    secret = services.installation_secret(account_id=lp.account_id, client_id=client_id)
    return JsonResponse({"client_secret": secret})


# --- Edit ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@liveperson_view
def installation_edit(request, lp, client_id):
    current = services.installation_get(lp=lp, client_id=client_id)
    forms = InstallationForms(request.POST or None, installation=current.data, revision=current.revision)
    status = 200
    if request.method == "POST" and forms.is_valid():
        try:
            services.installation_update(
                lp=lp, client_id=client_id, revision=forms.revision, edit=forms.to_edit()
            )
        except errors.ConflictError:
            latest = services.installation_get(lp=lp, client_id=client_id)
            forms = InstallationForms(installation=latest.data, revision=latest.revision)
            messages.warning(
                request,
                "Someone else changed this app while you were editing. Nothing was saved: "
                "below are its current values. Make your changes again and save.",
            )
            status = 409
        else:
            messages.success(request, "App saved.")
            return redirect("apps_admin:detail", client_id=client_id)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "apps_admin/edit.html",
        {"forms": forms, "client_id": client_id, "app": current.data},
        status=status,
    )


# --- Actions ------------------------------------------------------------------------------


@require_POST
@liveperson_view
def installation_enable(request, lp, client_id):
    services.installation_set_enabled(lp=lp, client_id=client_id, enabled=True)
    messages.success(request, "App enabled.")
    return _back(request, client_id)


@require_POST
@liveperson_view
def installation_disable(request, lp, client_id):
    services.installation_set_enabled(lp=lp, client_id=client_id, enabled=False)
    messages.success(request, "App disabled: LivePerson stops sending its webhooks.")
    return _back(request, client_id)


def _back(request, client_id: str):
    """To the page the action was started from (the list's actions menu), else the app's."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("apps_admin:detail", client_id=client_id)


@require_http_methods(["GET", "POST"])
@liveperson_view
def installation_demo(request, lp, client_id):
    """GET: what demo mode would replace, to confirm; POST: switch."""
    demo_url = services.demo_endpoint(request)
    if request.method == "GET":
        current = services.installation_get(lp=lp, client_id=client_id).data
        return render(
            request,
            "apps_admin/demo.html",
            {
                "app": current,
                "client_id": client_id,
                "demo_url": demo_url,
                "routing": [
                    (manifest.WEBHOOK_LABELS[kind], route["endpoint"])
                    for kind, route in manifest.routing_of(manifest.webhooks_of(current)).items()
                ],
            },
        )
    services.installation_set_demo(lp=lp, client_id=client_id, demo_url=demo_url)
    messages.success(
        request,
        f"Demo mode on: every webhook now goes to {demo_url}. "
        "“Restore previous endpoints” on this page puts the old ones back.",
    )
    return redirect("apps_admin:detail", client_id=client_id)


@require_POST
@liveperson_view
def installation_restore(request, lp, client_id):
    if services.installation_restore_endpoints(lp=lp, client_id=client_id):
        messages.success(request, "The endpoints from before demo mode are back.")
    else:
        messages.warning(request, "No endpoints from before demo mode are known for this app.")
    return redirect("apps_admin:detail", client_id=client_id)


@require_http_methods(["GET", "POST"])
@liveperson_view
def installation_uninstall(request, lp, client_id):
    if request.method == "GET":
        current = services.installation_get(lp=lp, client_id=client_id).data
        return render(request, "apps_admin/uninstall.html", {"app": current, "client_id": client_id})
    services.installation_delete(lp=lp, client_id=client_id)
    messages.success(request, "App uninstalled.")
    return redirect("home")
