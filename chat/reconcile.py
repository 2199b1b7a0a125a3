"""Did a message arrive although LivePerson's answer to its SEND never came?

A SEND that timed out may have been carried out all the same (a slow LivePerson answers
after our timeout, and the message reaches the agent). The Send API offers no idempotency
key (docs/LIVEPERSON.md, 'Slow answers and duplicates'), so the message is recognised by
what it is: a text/plain ContentEvent of the consumer with the same text, in the
conversation, stamped no earlier than the first attempt, and not already known as
another message of ours. It is looked for in the stored webhook events first, then in
the messaging history (the only record while webhooks are not active yet).
"""

from dataclasses import dataclass

from chat import history
from chat.exceptions import ChatError
from chat.models import ChatConversation
from webhooks import conversations as webhook_conversations

MESSAGING_NOTIFICATION = "ms.MessagingEventNotification"
CONSUMER = "CONSUMER"
# LivePerson's serverTimestamp and our clock may disagree a little.
CLOCK_SLACK_MS = 5_000
RECENT_MESSAGES = 100


@dataclass(frozen=True)
class Outgoing:
    """A message the consumer sent: its text and when (our clock, epoch ms) the first
    attempt to send it started."""

    text: str
    since_ms: int


Key = tuple[str, int]  # (dialogId, sequence): sequences are per dialog


def echo_in_events(conversation: ChatConversation, outgoing: Outgoing, claimed: set[Key]) -> Key | None:
    """The (dialog, sequence) of the message among the stored webhook events, or None."""
    events = webhook_conversations.conversation_newest_events(
        account_id=conversation.account_id,
        conversation_id=conversation.conversation_id,
        notification_type=MESSAGING_NOTIFICATION,
        event_type="ContentEvent",
        limit=RECENT_MESSAGES,
    )
    candidates = []
    for event in reversed(events):  # oldest first: the first unclaimed match is ours
        change = event.get("payload") if isinstance(event.get("payload"), dict) else {}
        if _is_echo(change, outgoing):
            candidates.append((str(change.get("dialogId") or ""), change["sequence"]))
    return next((key for key in candidates if key not in claimed), None)


def echo_in_history(
    conversation: ChatConversation, outgoing: Outgoing, claimed: set[Key], *, bearer: str
) -> Key | None:
    """The (dialog, sequence) of the message in the messaging history, or None (also
    when the history cannot be read: the message is then not known to have arrived)."""
    try:
        records = history.conversation_history(conversation=conversation, bearer=bearer)
    except ChatError:
        return None
    for record in records:  # oldest first
        key = (record["dialog_id"], record["seq"])
        if (
            record["sent_by"] == "consumer"
            and record["kind"] == "text"
            and record["text"] == outgoing.text
            and isinstance(record["seq"], int)
            and (record["time"] or 0) >= outgoing.since_ms - CLOCK_SLACK_MS
            and key not in claimed
        ):
            return key
    return None


def _is_echo(change: dict, outgoing: Outgoing) -> bool:
    event = _object(change.get("event"))
    role = _object(change.get("originatorMetadata")).get("role")
    stamp = change.get("serverTimestamp")
    return (
        role == CONSUMER
        and event.get("contentType") == "text/plain"
        and event.get("message") == outgoing.text
        and isinstance(change.get("sequence"), int)
        and isinstance(stamp, int)
        and stamp >= outgoing.since_ms - CLOCK_SLACK_MS
    )


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}
