"""Every WebSocket route of the project; all of them live under /ws/."""

from django.urls import path

from accounts.consumers import SessionConsumer

websocket_urlpatterns = [
    path("ws/session/", SessionConsumer.as_asgi()),
]
