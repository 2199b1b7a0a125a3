from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        # The events and conversations pages link to the demo chat of a conversation.
        from chat import selectors
        from webhooks import related

        related.register(selectors.related_chats)
