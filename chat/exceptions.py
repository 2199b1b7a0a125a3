"""The chat's one exception, and LivePerson's failures turned into it."""

from chat import tokens
from liveperson import errors


class ChatError(Exception):
    """A chat action that did not happen; the message is safe to show (no secret)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ChatUnconfirmedError(ChatError):
    """LivePerson did not answer in time: the request may have been carried out all the
    same (a message may still arrive), so it must be checked before calling it failed
    (chat.reconcile)."""


class ConversationOpenError(ChatError):
    """LivePerson refused a new conversation while the consumer has an open one with the
    app (one at a time: docs/LIVEPERSON.md, 'Returning consumer'); `conversation` is that
    one as this site knows it, to resume."""

    def __init__(self, message: str, conversation):
        super().__init__(message)
        self.conversation = conversation


def liveperson_call(call):
    """Run LivePerson calls; failures become a ChatError with a message for people."""
    try:
        return call()
    except tokens.MissingSecretError:
        raise ChatError(
            "This site does not know the app's client secret: open the app's page once to record it."
        ) from None
    except (errors.TimedOutError, errors.AnswerUnreadableError) as exc:
        raise ChatUnconfirmedError(errors.user_message(exc)) from None
    except errors.LivePersonError as exc:
        raise ChatError(errors.user_message(exc)) from None
