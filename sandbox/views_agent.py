"""The sandbox agent page: open conversations, and one conversation where a person
replies as the agent. Sandbox pages are for people trying the app locally: like
the sandbox index, they need no login and exist only while SANDBOX_ENABLED is on.
"""

import json

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from sandbox import agent_desk

POLL_INTERVAL_MS = 1000


@require_GET
def conversation_list(request):
    rows = [(c, agent_desk.started_at(c)) for c in agent_desk.conversations_open()]
    return render(request, "sandbox/agent_list.html", {"conversations": rows})


@require_GET
def conversation_detail(request, conversation_id):
    conversation = _conversation_or_404(conversation_id)
    transcript = agent_desk.transcript(conversation)
    for event in transcript["events"]:
        event["pretty"] = json.dumps(event["event"], indent=2, ensure_ascii=False)
    last_id = transcript["events"][-1]["id"] if transcript["events"] else 0
    return render(
        request,
        "sandbox/agent_conversation.html",
        {
            "conversation": conversation,
            "consumer_info": transcript["conversation"]["consumerInfo"],
            "transcript": transcript,
            "last_id": last_id,
            "poll_interval_ms": POLL_INTERVAL_MS,
        },
    )


@require_GET
def conversation_events(request, conversation_id):
    """What the page polls: the conversation's state and the events after `after`."""
    conversation = _conversation_or_404(conversation_id)
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    return JsonResponse(agent_desk.transcript(conversation, after=after))


@require_POST
def reply(request, conversation_id):
    return _act(request, conversation_id, agent_desk.agent_send_text, text=request.POST.get("text", ""))


@require_POST
def private_note(request, conversation_id):
    text = request.POST.get("text", "")
    return _act(request, conversation_id, agent_desk.agent_send_private_note, text=text)


@require_POST
def chat_state(request, conversation_id):
    state = request.POST.get("chat_state", "COMPOSING")
    return _act(request, conversation_id, agent_desk.agent_chat_state, chat_state=state)


@require_POST
def mark_read(request, conversation_id):
    return _act(request, conversation_id, agent_desk.agent_mark_read)


@require_POST
def transfer(request, conversation_id):
    skill_id = request.POST.get("skill_id", "")
    return _act(request, conversation_id, agent_desk.agent_transfer, skill_id=skill_id)


@require_POST
def back_to_queue(request, conversation_id):
    return _act(request, conversation_id, agent_desk.agent_back_to_queue)


@require_POST
def resume(request, conversation_id):
    return _act(request, conversation_id, agent_desk.agent_resume)


@require_POST
def send_file(request, conversation_id):
    return _act(request, conversation_id, agent_desk.agent_send_file)


@require_POST
def close(request, conversation_id):
    return _act(request, conversation_id, agent_desk.agent_close)


@require_POST
def mode(request, conversation_id):
    return _act(request, conversation_id, agent_desk.agent_mode_set, mode=request.POST.get("mode", ""))


def _conversation_or_404(conversation_id: str):
    conversation = agent_desk.conversation_get(conversation_id)
    if conversation is None:
        raise Http404("No such conversation")
    return conversation


def _act(request, conversation_id: str, action, **fields):
    """Run one agent action; answer JSON to the page's script, else back to the page."""
    _conversation_or_404(conversation_id)
    wants_json = request.accepts("application/json") and not request.accepts("text/html")
    try:
        action(conversation_id=conversation_id, **fields)
    except agent_desk.AgentDeskError as error:
        if wants_json:
            return JsonResponse({"error": str(error)}, status=409)
        messages.error(request, str(error))
    if wants_json:
        conversation = agent_desk.conversation_get(conversation_id)
        return JsonResponse({"conversation": agent_desk.conversation_state(conversation)})
    return redirect("sandbox:agent-conversation", conversation_id=conversation_id)
