"""Read-only admin for the demo chat: LivePerson is the source of truth, and the
encrypted tokens are never shown."""

from django.contrib import admin

from chat.models import AppToken, ChatConversation, ChatRequest
from core.admin import ReadOnlyAdminMixin


@admin.register(ChatConversation)
class ChatConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "conversation_id",
        "consumer_name",
        "account_id",
        "installation",
        "state",
        "stage",
        "created_at",
    ]
    list_filter = ["state", "stage"]
    search_fields = ["=conversation_id", "=account_id", "consumer_name"]
    list_select_related = ["installation"]
    raw_id_fields = ["user", "installation"]
    exclude = ["consumer_jws"]


@admin.register(ChatRequest)
class ChatRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "service", "method", "url", "status", "duration_ms", "error"]
    list_filter = ["service", "method"]
    search_fields = ["=conversation__conversation_id"]
    raw_id_fields = ["conversation"]


@admin.register(AppToken)
class AppTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["installation", "expires_at", "fetched_at"]
    raw_id_fields = ["installation"]
    exclude = ["token"]
