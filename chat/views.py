"""The demo chat's pages: the account's conversations, the start form and the chat
page. The chat itself runs over ws/chat/<pk>/ (chat.consumers) and static/chat/chat.js."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import liveperson_view
from apps_admin import services as apps_admin_services
from chat import exceptions, installations, selectors, starting
from chat.forms import ConsumerInfoForm, ConversationStartForm


@require_GET
@login_required
def conversation_list(request):
    conversations = selectors.conversations_for(user=request.user)
    return render(request, "chat/list.html", {"conversations": conversations})


@never_cache
@require_http_methods(["GET", "POST"])
@liveperson_view
def conversation_start(request, lp):
    apps = installations.demo_installations(
        user=request.user, demo_url=apps_admin_services.demo_endpoint(request)
    )
    # ?from=<pk>: a closed chat's "start a new one with the same settings".
    previous = selectors.conversation_for(pk=request.GET["from"], user=request.user) if _pk(request) else None
    initial = selectors.start_settings(previous) if previous else {"client_id": request.GET.get("app")}
    form = ConversationStartForm(request.POST or None, apps=apps, initial=initial)
    status = 400 if request.method == "POST" else 200
    resume = None  # the consumer's open conversation, when LivePerson refuses a second one
    if form.is_valid():
        try:
            conversation = starting.conversation_start(
                user=request.user,
                lp=lp,
                client_id=form.cleaned_data["client_id"],
                options=form.start_options(),
                first_message=form.cleaned_data["first_message"],
            )
        except exceptions.ConversationOpenError as exc:
            form.add_error(None, str(exc))
            resume, status = exc.conversation, 409
        except exceptions.ChatError as exc:
            form.add_error(None, str(exc))
            status = 502  # LivePerson refused or failed; the form keeps what was typed
        else:
            return redirect("chat:detail", pk=conversation.pk)
    context = {
        "form": form,
        "apps": apps,
        # Only this app's "webhooks do not point here" warning shows (start.js follows the select).
        "selected_app": _selected_app(form, apps),
        "resume": resume,
    }
    return render(request, "chat/start.html", context, status=status)


def _selected_app(form, apps) -> str:
    """The app the select shows: the chosen one, else the first."""
    ids = [app.client_id for app in apps]
    chosen = form["client_id"].value()
    return chosen if chosen in ids else (ids[0] if ids else "")


def _pk(request) -> bool:
    value = request.GET.get("from", "")
    return value.isdigit() and len(value) < 19


@never_cache
@require_GET
@login_required
def conversation_detail(request, pk):
    conversation = selectors.conversation_for(pk=pk, user=request.user)
    if conversation is None:
        raise Http404("No such conversation in your account.")
    context = {
        "conversation": conversation,
        "consumer_info_form": ConsumerInfoForm(),
        # The webhooks pages of the same conversation, and back (issue 17: linked everywhere).
        "events_conversation_pk": selectors.webhook_conversation_pk(conversation),
    }
    return render(request, "chat/detail.html", context)
