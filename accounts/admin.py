from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import LoginAttempt, User
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
