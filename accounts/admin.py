from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import AccessToken, LoginAttempt, User
from core.admin import ReadOnlyAdminMixin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "lp_account_id",
        "lp_login_name",
        "lp_is_admin",
        "lp_is_lpa",
        "is_staff",
        "last_login",
    ]
    list_filter = ["lp_is_admin", "lp_is_lpa", "is_staff", "is_active"]
    search_fields = ["username", "lp_account_id", "lp_login_name"]
    readonly_fields = ["lp_account_id", "lp_login_name", "lp_user_id", "lp_is_admin", "lp_is_lpa"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("LivePerson", {"fields": readonly_fields}),
    ]


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "account_id",
        "login_name",
        "ip_address",
        "known_device",
        "succeeded",
        "reason",
    ]
    list_filter = ["succeeded", "reason"]
    search_fields = ["account_id", "login_name", "ip_address"]
    date_hierarchy = "created_at"


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who holds which token, for an operator; revoking is the owner's (the Tokens page)."""

    # Never the hash: nobody needs it, and it would confirm a leaked token.
    list_display = ["name", "prefix", "user", "account_id", "scope", "created_at"]
    list_display += ["last_used_at", "revoked_at"]
    fields = list_display
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "account_id", "user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
