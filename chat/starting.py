"""Opening a consumer conversation through the Send API, the server making every
LivePerson call.

The functions here are synchronous and make HTTP calls: consumers run them off
the event loop, and never inside a transaction.
"""

import logging
import secrets
from dataclasses import dataclass, field

from django.utils.crypto import salted_hmac

from chat import actions, console, sdes, tokens
from chat.exceptions import ChatError, ConversationOpenError, liveperson_call
from chat.installations import installation_for
from chat.models import ChatConversation
from liveperson import recording, send_api
from webhooks import conversations as webhook_conversations
from webhooks.models import Conversation as WebhookConversation

logger = logging.getLogger(__name__)


FEATURES = [
    "AUTO_MESSAGES",
    "RICH_CONTENT",
    "QUICK_REPLIES",
    "MULTI_DIALOG",
    "MARKDOWN_HYPERLINKS",
    "FILE_SHARING",
    "PHOTO_SHARING",
    "CO_BROWSE",
    "CO_APP",
    "SECURE_FORMS",
]
# A post-conversation survey needs these (docs/LIVEPERSON.md, 'Post-conversation survey').
SURVEY_FEATURES = ["RICH_CONTENT", "QUICK_REPLIES", "MULTI_DIALOG"]
TTR_TYPES = ("", "NORMAL", "URGENT", "PRIORITIZED")
CONSUMER_ID_SALT = "chat.starting.consumer_id"


@dataclass
class StartOptions:
    """What the user chooses before opening a conversation (docs/LIVEPERSON.md:
    'Connector authorization: headers on Send API calls' and 'Send API: CONVERSATION')."""

    consumer_name: str
    features: list[str]
    campaign_id: str = ""
    engagement_id: str = ""
    skill_id: str = "-1"
    # When set, the conversation is opened on this skill: its last skill decides the
    # survey (docs/LIVEPERSON.md, 'Post-conversation survey').
    survey_skill_id: str = ""
    ttr: str = ""
    # Consumer info for the agent (chat.sdes.FIELDS names to values), sent as SDEs.
    consumer_info: dict[str, str] = field(default_factory=dict)
    # A consumer never seen before, instead of the user's returning one (consumer_id).
    new_consumer: bool = False


def conversation_start(
    *, user, lp, client_id: str, options: StartOptions, first_message: str
) -> ChatConversation:
    """Open a conversation as a new consumer of the app, then send the first message
    at once (AUTO_MESSAGES wants it within 10 s:
    docs/LIVEPERSON.md, 'Connector authorization: headers on Send API calls').

    Raises ChatError (refused app, bad options, LivePerson failing). A failed first
    message does not undo the conversation: it shows in the requests console.
    """
    if lp is None or lp.account_id != user.lp_account_id:
        raise ChatError("Log in with a LivePerson account to chat.")
    installation = installation_for(user, client_id)
    _check_options(options)
    features = _features(options)
    ext_consumer_id = (
        f"connector-site-{secrets.token_hex(20)}"
        if options.new_consumer
        else consumer_id(user=user, client_id=installation.client_id)
    )
    jws_holder: dict[str, str] = {}

    def jws(app_token: str, refresh: bool) -> str:
        if refresh or "token" not in jws_holder:
            jws_holder["token"] = tokens.consumer_jws(
                installation, ext_consumer_id=ext_consumer_id, app_token=app_token
            )
        return jws_holder["token"]

    def call(auth):
        return send_api.open_conversation(
            base_uri=tokens.base_uri(installation.account_id, send_api.SERVICE),
            account_id=installation.account_id,
            auth=auth,
            user_profile=sdes.user_profile(name=options.consumer_name, values=options.consumer_info),
            request_conversation=_request_conversation(installation.account_id, options, features),
        )

    with recording.recording() as exchanges:
        try:
            opened = liveperson_call(
                lambda: tokens.with_auth(installation, jws=jws, features=features, call=call)
            )
        except ChatError as exc:
            _offer_open_conversation(user=user, ext_consumer_id=ext_consumer_id, error=exc)
            raise
    conversation = ChatConversation(
        user=user,
        account_id=installation.account_id,
        installation=installation,
        conversation_id=opened.conversation_id,
        main_dialog_id=opened.conversation_id,  # MAIN dialogId = conversationId (docs/LIVEPERSON.md)
        dialog_id=opened.conversation_id,
        consumer_name=options.consumer_name,
        ext_consumer_id=ext_consumer_id,
        features=features,
        campaign_id=options.campaign_id,
        engagement_id=options.engagement_id,
        skill_id=options.skill_id or "-1",
        survey_skill_id=options.survey_skill_id,
        ttr=options.ttr,
    )
    conversation.consumer_jws = jws_holder["token"]
    conversation.save()
    console.record(conversation, exchanges)
    events_conversation(conversation)
    if first_message.strip():
        try:
            actions.conversation_send_text(conversation=conversation, text=first_message)
        except ChatError as exc:
            logger.warning("first message of chat %s failed: %s", conversation.pk, exc.message)
    return conversation


def consumer_id(*, user, client_id: str) -> str:
    """The app's external id for this user as a consumer: the same every time, so the
    user returns as the same LivePerson consumer (one open conversation at a time:
    docs/LIVEPERSON.md, 'Returning consumer'). Keyed, so it names no user of this site."""
    digest = salted_hmac(CONSUMER_ID_SALT, f"{user.pk}:{client_id}", algorithm="sha256").hexdigest()
    return f"connector-site-{digest[:40]}"


def _offer_open_conversation(*, user, ext_consumer_id: str, error: ChatError) -> None:
    """When LivePerson refuses to open a conversation and this consumer has one open here,
    raise ConversationOpenError naming it, so the user can resume it."""
    open_one = (
        ChatConversation.objects.filter(user=user, ext_consumer_id=ext_consumer_id)
        .exclude(state="CLOSE", stage="CLOSE")
        .order_by("-created_at")
        .first()
    )
    if open_one is not None:
        message = (
            f"{error.message} This consumer already has an open conversation with the app: "
            "resume it, or start as a new consumer."
        )
        raise ConversationOpenError(message, open_one) from None


def _check_options(options: StartOptions) -> None:
    unknown = sorted(set(options.features) - set(FEATURES))
    if unknown:
        raise ChatError(f"Unknown features: {', '.join(unknown)}.")
    if options.ttr not in TTR_TYPES:
        raise ChatError("TTR is NORMAL, URGENT or PRIORITIZED.")
    if not options.consumer_name.strip():
        raise ChatError("Give the consumer a name.")
    if options.survey_skill_id and survey_features_missing(options.features):
        raise ChatError(survey_features_message(options.features))


def survey_features_missing(features: list[str]) -> list[str]:
    """What a survey needs that `features` lacks: without MULTI_DIALOG, RICH_CONTENT and
    QUICK_REPLIES, LivePerson runs no survey, or one the consumer cannot answer
    (docs/LIVEPERSON.md, 'Features')."""
    return [name for name in SURVEY_FEATURES if name not in features]


def survey_features_message(features: list[str]) -> str:
    missing = survey_features_missing(features)
    return (
        f"A survey needs the features {', '.join(SURVEY_FEATURES)}: tick {', '.join(missing)}, "
        "or leave the survey skill empty."
    )


def _features(options: StartOptions) -> list[str]:
    """The chosen features, in the form's order."""
    return [name for name in FEATURES if name in options.features]


def _request_conversation(account_id: str, options: StartOptions, features: list[str]) -> dict:
    body = {
        "ttrDefName": options.ttr or None,
        "channelType": "MESSAGING",
        "brandId": account_id,
        "skillId": options.survey_skill_id or options.skill_id or "-1",
        "conversationContext": {
            "visitorId": "",
            "sessionId": "",
            "interactionContextId": "2",
            "type": "SharkContext",
            "lang": "en-US",
            "features": features,
        },
    }
    if options.campaign_id or options.engagement_id:
        body["campaignInfo"] = {"campaignId": options.campaign_id, "engagementId": options.engagement_id}
    return body


def events_conversation(conversation: ChatConversation) -> WebhookConversation:
    """The webhooks app's row for this conversation, created if no webhook came yet,
    so that the chat's sockets can join its group before the first event."""
    return webhook_conversations.conversation_ensure(
        account_id=conversation.account_id,
        conversation_id=conversation.conversation_id,
        client_id=conversation.installation.client_id,
    )
