"""Messaging history (Messaging Interactions API), to restore a conversation
after a reload (docs/LIVEPERSON.md, 'Messaging history').

https://developers.liveperson.com/messaging-interactions-api-methods-get-conversation-by-conversation-id.html
"""

from liveperson import errors, transport

SERVICE = "msgHist"
# LivePerson asks every caller to name itself (at most 20 characters).
SOURCE = "ConnectorSiteChat"
CONTENT = [
    "campaign",
    "messageRecords",
    "agentParticipants",
    "agentParticipantsLeave",
    "agentParticipantsActive",
    "consumerParticipants",
    "transfers",
    "messageScores",
    "messageStatuses",
    "dialogs",
]


def search_conversation(*, base_uri: str, account_id: str, bearer: str, conversation_id: str) -> dict | None:
    """The conversation's history record (`conversationHistoryRecords[0]`), or None
    when LivePerson has none (204, or an empty list).

    https://developers.liveperson.com/messaging-interactions-api-methods-get-conversation-by-conversation-id.html
    """
    account = transport.account_path(account_id)
    path = f"/messaging_history/api/account/{account}/conversations/conversation/search"
    response = transport.request(
        "POST",
        transport.service_url(base_uri, path),
        service=SERVICE,
        params={"offset": "0", "limit": "100", "sort": "start:desc", "source": SOURCE},
        headers={
            "Authorization": f"Bearer {bearer}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        json={"conversationId": conversation_id, "contentToRetrieve": CONTENT},
    )
    if response.status_code == 204 or not response.content:
        return None
    body = transport.json_body(response, service=SERVICE)
    records = body.get("conversationHistoryRecords") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise errors.UnexpectedResponseError(
            f"{SERVICE}: answer has no conversationHistoryRecords", service=SERVICE
        )
    return records[0] if records and isinstance(records[0], dict) else None
