from django.contrib import admin

from apps_admin.models import Installation
from core.admin import ReadOnlyAdminMixin


@admin.register(Installation)
class InstallationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: LivePerson is the source of truth; the secret is never shown."""

    list_display = ["name", "client_id", "account_id", "scope", "enabled", "synced_at", "deleted_at"]
    list_filter = ["enabled", "scope", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "client_id", "account_id"]
    exclude = ["client_secret"]

    def has_delete_permission(self, request, obj=None):
        return False
