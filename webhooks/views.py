from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from webhooks import exports, selectors
from webhooks.forms import ConversationFilterForm, DeliveryFilterForm

PAGE_SIZE = 50


def _filter_form(request, form_class, names: dict[str, str]):
    account_id = request.user.lp_account_id
    apps = selectors.app_choices(account_id=account_id, names=names)
    return form_class(request.GET or None, apps=apps)


# --- Deliveries -----------------------------------------------------------------------


@login_required
def delivery_list(request):
    account_id = request.user.lp_account_id
    names = selectors.app_names(account_id=account_id)
    form = _filter_form(request, DeliveryFilterForm, names)
    filters = form.filters()
    deliveries = selectors.delivery_list(account_id=account_id, filters=filters)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.delivery_rows(page.object_list, names=names)
    # New deliveries are added in place only where they would appear on reload
    # (page 1, filtered or not: the rows view applies the same filters); elsewhere
    # they are counted from the account's newest one, not this page's.
    live = page.number == 1
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "filtered": bool(filters),
        "live": live,
        "newest_id": (
            max((row.pk for row in rows), default=selectors.newest_delivery_id(account_id=account_id))
            if live
            else selectors.newest_delivery_id(account_id=account_id)
        ),
        "app_names": names,
    }
    return render(request, "webhooks/delivery_list.html", context)


@login_required
def delivery_rows(request):
    """The rows of the (filtered) list after ?after_id=, newest first, for the live
    events page (static/webhooks/deliveries.js); data-more says a next batch waits."""
    account_id = request.user.lp_account_id
    names = selectors.app_names(account_id=account_id)
    form = _filter_form(request, DeliveryFilterForm, names)
    after = request.GET.get("after_id", "")
    after_id = int(after) if after.isdigit() and len(after) < 19 else 0
    batch, more = selectors.delivery_rows_after(
        account_id=account_id, filters=form.filters(), after_id=after_id
    )
    rows = selectors.delivery_rows(batch, names=names)
    return render(request, "webhooks/delivery_rows.html", {"rows": rows, "more": more})


@login_required
def delivery_export(request):
    """The list as filtered on the page, every row (not only this page's), as JSON lines."""
    account_id = request.user.lp_account_id
    form = _filter_form(request, DeliveryFilterForm, selectors.app_names(account_id=account_id))
    filename = f"deliveries-{account_id}.jsonl"
    return exports.deliveries_jsonl(account_id=account_id, filters=form.filters(), filename=filename)


@login_required
def delivery_detail(request, pk):
    deliveries = selectors.deliveries_for(account_id=request.user.lp_account_id)
    delivery = get_object_or_404(deliveries, pk=pk)
    body, body_is_json = selectors.body_pretty(delivery.body)
    events = selectors.delivery_events_related(
        selectors.delivery_events_described(delivery=delivery), account_id=delivery.account_id
    )
    context = {
        "delivery": delivery,
        "app_name": selectors.app_names(account_id=delivery.account_id).get(delivery.client_id, ""),
        "headers": selectors.header_rows(delivery.headers),
        "body": body,
        "body_is_json": body_is_json,
        "body_tree": selectors.body_tree(delivery.body) if body_is_json else None,
        "curl": exports.delivery_curl(delivery),
        "events": events,
    }
    return render(request, "webhooks/delivery_detail.html", context)


# --- Conversations --------------------------------------------------------------------


@login_required
def conversation_list(request):
    account_id = request.user.lp_account_id
    names = selectors.app_names(account_id=account_id)
    form = _filter_form(request, ConversationFilterForm, names)
    filters = form.filters()
    conversations = selectors.conversation_list(account_id=account_id, filters=filters)
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.conversation_rows(page.object_list, account_id=account_id, names=names)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "filtered": bool(filters),
        # Page 1 follows the account's deliveries and refreshes the rows of their
        # conversations (conversations.js); the others keep their order.
        "live": page.number == 1,
        "newest_delivery_id": selectors.newest_delivery_id(account_id=account_id),
    }
    return render(request, "webhooks/conversation_list.html", context)


MAX_LIVE_CONVERSATIONS = 50


@login_required
def conversation_rows(request):
    """The rows of ?ids=<pk>,<pk>... as the (filtered) list shows them, newest activity
    first, for the live conversations page (static/webhooks/conversations.js)."""
    account_id = request.user.lp_account_id
    names = selectors.app_names(account_id=account_id)
    form = _filter_form(request, ConversationFilterForm, names)
    ids = request.GET.get("ids", "").split(",")[:MAX_LIVE_CONVERSATIONS]
    pks = [int(pk) for pk in ids if pk.isdigit() and len(pk) < 19]
    conversations = selectors.conversation_rows_for(account_id=account_id, filters=form.filters(), pks=pks)
    rows = selectors.conversation_rows(conversations, account_id=account_id, names=names)
    return render(request, "webhooks/conversation_rows.html", {"rows": rows})


@login_required
def conversation_detail(request, pk):
    conversations = selectors.conversations_for(account_id=request.user.lp_account_id)
    conversation = get_object_or_404(conversations, pk=pk)
    before = request.GET.get("before", "")
    before_seq = int(before) if before.isdigit() else None
    events = selectors.conversation_timeline(conversation=conversation, before_seq=before_seq)
    names = selectors.app_names(account_id=conversation.account_id)
    # The header says what a row of the list says: state, demo chat (and app).
    (conversation,) = selectors.conversation_rows(
        [conversation], account_id=conversation.account_id, names=names
    )
    context = {
        "conversation": conversation,
        "app_name": conversation.app_name,
        "events": events,
        "earlier": events[0].seq if events and events[0].seq and events[0].seq > 1 else None,
        # Only the newest part of the timeline grows live.
        "live": before_seq is None,
        "last_seq": events[-1].seq if events else 0,
    }
    return render(request, "webhooks/conversation_detail.html", context)


@login_required
def conversation_export(request, pk):
    """Every event of the conversation, in order, as JSON lines."""
    conversations = selectors.conversations_for(account_id=request.user.lp_account_id)
    conversation = get_object_or_404(conversations, pk=pk)
    filename = f"conversation-{conversation.pk}-events.jsonl"
    return exports.conversation_events_jsonl(conversation=conversation, filename=filename)
