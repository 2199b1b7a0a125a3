from django.contrib import admin

from apps_admin.models import Installation


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    """Read-only: LivePerson is the source of truth; the secret is never shown."""

    list_display = ["name", "client_id", "account_id", "scope", "enabled", "synced_at", "deleted_at"]
    list_filter = ["enabled", "scope", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "client_id", "account_id"]
    exclude = ["client_secret_encrypted"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
