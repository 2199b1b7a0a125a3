"""What other apps know about the webhook conversations, for the pages to link to.

The demo chat opened some of these conversations: it knows their consumer's name
and has a page for each. Importing it here would point an arrow from webhooks to
chat, which already depends on webhooks; so chat registers a lookup when it
starts (chat.apps), and the events and conversations pages ask through this module.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Related:
    consumer_name: str = ""
    chat_url: str = ""  # the demo chat's page of the conversation


# (account id, conversation ids) -> {conversation id: Related}
Lookup = Callable[[str, list[str]], dict[str, Related]]
_lookups: list[Lookup] = []


def register(lookup: Lookup) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


def related(*, account_id: str, conversation_ids: Iterable[str]) -> dict[str, Related]:
    """What the registered apps know of each conversation (one query per app), by id."""
    ids = sorted(set(conversation_ids))
    found: dict[str, Related] = {}
    if not account_id or not ids:
        return found
    for lookup in _lookups:
        found.update(lookup(account_id, ids))
    return found
