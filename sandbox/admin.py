import secrets

from django import forms
from django.contrib import admin
from django.utils import timezone

from core.admin import ReadOnlyAdminMixin
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
        "sequence_scope",
        "state_field_close",
        "update_ts",
        "file_sharing",
        "auto_messages",
        "webhook_activation_seconds",
        "install_answer",
        "send_answer",
        "session_ttl_ms",
        "revision",
    ]
    search_fields = ["account_id", "name"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["login_name", "account", "is_admin", "is_lpa"]
    list_select_related = ["account"]
    exclude = ["password_hash"]


# An installation's client secret is write-only here: the page shows its last
# characters, never the secret itself, not even in a hidden or read-only field.


def _new_client_secret() -> str:
    """A secret as the App Install API issues one (app_install.installation_create)."""
    return secrets.token_urlsafe(48)


def _masked(secret: str) -> str:
    """The last 4 characters tell two secrets apart and give away little of a long one."""
    if len(secret) < 16:
        return "set, too short to show any of it" if secret else "-"
    return "****" + secret[-4:]


class InstallationForm(forms.ModelForm):
    new_client_secret = forms.CharField(
        required=False,
        max_length=Installation._meta.get_field("client_secret").max_length,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current secret (a new installation gets a random one).",
    )

    class Meta:
        model = Installation
        fields = ["account", "client_id", "client_id_issued_at", "data", "deleted"]


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    form = InstallationForm
    list_display = ["client_id", "__str__", "account", "deleted", "updated_at"]
    list_filter = ["deleted"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    search_fields = ["client_id"]
    fields = [
        "account",
        "client_id",
        "client_secret_hint",
        "new_client_secret",
        "client_id_issued_at",
        "data",
        "deleted",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["client_secret_hint", "created_at", "updated_at"]
    actions = ["rotate_client_secret"]

    @admin.display(description="Client secret")
    def client_secret_hint(self, obj):
        return _masked(obj.client_secret if obj else "")

    def save_model(self, request, obj, form, change):
        secret = form.cleaned_data["new_client_secret"]
        if secret or not obj.client_secret:
            obj.client_secret = secret or _new_client_secret()
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description="Rotate the client secret of the selected installations")
    def rotate_client_secret(self, request, queryset):
        for installation in queryset:
            installation.client_secret = _new_client_secret()
            installation.updated_at = timezone.now()
            installation.save(update_fields=["client_secret", "updated_at"])
        self.message_user(request, f"Rotated the client secret of {len(queryset)} installation(s).")


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
    fields = ["dialog_id", "dialog_type", "state", "closed_by", "closed_cause", "last_sequence"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MessagingConversation)
class MessagingConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["conversation_id", "account", "state", "stage", "skill_id", "agent_mode"]
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
