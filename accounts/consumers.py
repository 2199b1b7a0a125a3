from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.services import session_group_name


class SessionConsumer(AsyncJsonWebsocketConsumer):
    """Tells every open tab of a login session when that session ends
    (logout in another tab, or LivePerson's session expiring)."""

    group: str | None = None

    # --- Socket handlers ---

    async def connect(self):
        user = self.scope["user"]
        if user.is_anonymous:
            await self.close()
            return
        self.group = session_group_name(self.scope["session"].session_key)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(
            {"type": "session.state", "account_id": user.lp_account_id, "login_name": user.lp_login_name}
        )

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- Group handlers ---

    async def session_ended(self, event):
        await self.send_json({"type": "session.ended", "reason": event["reason"]})
        await self.close()
