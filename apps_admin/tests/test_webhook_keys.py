"""An app made elsewhere may key its conversation webhook as the installation page's table does,
ms.MessagingEventNotification.ExConversationChangeNotification (docs/LIVEPERSON.md,
'Installation JSON'): the apps pages read it as cqm.ExConversationChangeNotification."""

from apps_admin import manifest

ALIAS = "ms.MessagingEventNotification.ExConversationChangeNotification"
CONVERSATION = "cqm.ExConversationChangeNotification"


def _installation(webhooks: dict) -> dict:
    return {"client_name": "Elsewhere", "capabilities": {"webhooks": webhooks}}


def test_the_tables_key_reads_as_the_conversation_webhook():
    installation = _installation({ALIAS: {"endpoint": "https://hooks.example.com/conv", "headers": []}})

    assert manifest.endpoints_of(installation) == {CONVERSATION: "https://hooks.example.com/conv"}
    assert ALIAS not in manifest.webhooks_of(installation)


def test_the_cqm_key_wins_when_both_are_there():
    installation = _installation(
        {
            ALIAS: {"endpoint": "https://hooks.example.com/old"},
            CONVERSATION: {"endpoint": "https://hooks.example.com/new"},
        }
    )

    assert manifest.endpoints_of(installation) == {CONVERSATION: "https://hooks.example.com/new"}
