"""Shared pieces of the Django admin."""


class ReadOnlyAdminMixin:
    """Records kept as evidence or mirrored from elsewhere: viewed in the admin, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
