from django.contrib import admin

from connector_site.admin import ReadOnlyAdminMixin
from sandbox.models import Account, Fault, Installation, RequestLog, User


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["account_id", "name", "async_messaging", "session_ttl_ms", "revision"]
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
