"""Every WebSocket route of the project; all of them live under /ws/."""

from django.urls import path

from accounts.consumers import SessionConsumer
from chat.consumers import ChatConsumer
from webhooks.consumers import AccountDeliveriesConsumer, ConversationEventsConsumer, ForwardConsumer

websocket_urlpatterns = [
    path("ws/session/", SessionConsumer.as_asgi()),
    path("ws/events/", AccountDeliveriesConsumer.as_asgi()),
    path("ws/forward/", ForwardConsumer.as_asgi()),
    path("ws/conversations/<int:pk>/events/", ConversationEventsConsumer.as_asgi()),
    path("ws/chat/<int:pk>/", ChatConsumer.as_asgi()),
]
