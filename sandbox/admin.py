from django.contrib import admin

from connector_site.admin import ReadOnlyAdminMixin
from sandbox.models import (
    Account,
    AgentTask,
    Consumer,
    DeliveryAttempt,
    Dialog,
    Fault,
    Installation,
    MessagingConversation,
    MessagingEvent,
    Notification,
    RequestLog,
    StoredFile,
    User,
)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "account_id",
        "name",
        "async_messaging",
        "webhook_signature",
        "session_ttl_ms",
        "revision",
    ]
    search_fields = ["account_id", "name"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["login_name", "account", "is_admin", "is_lpa"]
    list_select_related = ["account"]
    exclude = ["password_hash"]


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    list_display = ["client_id", "__str__", "account", "deleted", "updated_at"]
    list_filter = ["deleted"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    search_fields = ["client_id"]


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    list_display = ["service", "mode", "delay_seconds", "status", "created_at"]


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "service", "method", "path", "status"]
    list_filter = ["service", "status"]


# What the sandbox "sent" as LivePerson: the webhook outbox and every POST of it.


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "url", "status_code", "error", "duration_ms", "succeeded"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "webhook", "conversation_id", "status", "attempts", "last_status"]
    list_filter = ["status", "webhook"]
    list_select_related = ["installation"]
    raw_id_fields = ["installation"]
    search_fields = ["=conversation_id", "=installation__client_id"]
    inlines = [DeliveryAttemptInline]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "started_at", "notification", "url", "status_code", "error", "succeeded"]
    list_filter = ["succeeded", "status_code"]
    list_select_related = ["notification"]
    raw_id_fields = ["notification"]


# Conversations of the Connector API (Send API): read-only, changed only through
# sandbox.messaging so that sequences, history and webhooks stay in step.


@admin.register(Consumer)
class ConsumerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ext_consumer_id", "lp_consumer_id", "account", "created_at"]
    list_select_related = ["account"]
    search_fields = ["=ext_consumer_id", "=lp_consumer_id"]


class DialogInline(admin.TabularInline):
    model = Dialog
    extra = 0
    can_delete = False
    fields = ["dialog_id", "dialog_type", "state", "closed_by", "closed_cause"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MessagingConversation)
class MessagingConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["conversation_id", "account", "state", "stage", "skill_id", "agent_mode", "last_sequence"]
    list_filter = ["state", "stage", "agent_mode"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "installation", "consumer"]
    search_fields = ["=conversation_id", "=consumer__ext_consumer_id"]
    inlines = [DialogInline]


@admin.register(MessagingEvent)
class MessagingEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "conversation", "sequence", "role", "__str__", "server_timestamp"]
    list_filter = ["role"]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation", "dialog"]
    search_fields = ["=conversation__conversation_id"]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["relative_path", "account", "file_type", "declared_size", "uploaded_at"]
    list_select_related = ["account"]
    exclude = ["content"]
    search_fields = ["relative_path"]


@admin.register(AgentTask)
class AgentTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "conversation", "kind", "due_at", "done_at"]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation"]
