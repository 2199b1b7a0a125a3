"""Read-only admin for what the webhook endpoint stored, kept quick on big tables:
no exact COUNT(*) of a whole table, no SELECT DISTINCT for filters, exact-match
search that can use the indexes."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from webhooks import selectors
from webhooks.forms import EVENT_TYPES, OTHER_EVENT_TYPE
from webhooks.models import Conversation, Delivery, Event

# Under this many rows a real COUNT(*) is cheap enough and exact.
ESTIMATE_THRESHOLD = 10_000
NOTIFICATION_TYPES = ["ms.MessagingEventNotification", "cqm.ExConversationChangeNotification"]


def estimated_row_count(model, *, using: str = "default") -> int:
    """PostgreSQL's estimate of a table's rows (pg_class.reltuples); -1 when never analysed."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [model._meta.db_table]
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] is not None else -1


class EstimatedCountPaginator(Paginator):
    """Pages a big unfiltered table by PostgreSQL's estimate instead of counting it."""

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and connections[queryset.db].vendor == "postgresql":
            estimate = estimated_row_count(queryset.model, using=queryset.db)
            if estimate > ESTIMATE_THRESHOLD:
                return estimate
        return super().count


class _ChoicesFilter(admin.SimpleListFilter):
    """A filter with fixed choices: no SELECT DISTINCT over the whole table."""

    values: list[str] = []

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.values]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class NotificationTypeFilter(_ChoicesFilter):
    title = "notification type"
    parameter_name = "notification_type"
    values = NOTIFICATION_TYPES


class EventTypeFilter(_ChoicesFilter):
    title = "event type"
    parameter_name = "event_type"
    values = [*EVENT_TYPES, OTHER_EVENT_TYPE]

    def queryset(self, request, queryset):
        if self.value() == OTHER_EVENT_TYPE:
            return queryset.exclude(event_type__in=EVENT_TYPES)
        return super().queryset(request, queryset)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Webhook records are evidence: nobody adds, changes or deletes them here."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    search_help_text = "Exact value of one of the searched fields."

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        # Exact matches use the indexes; icontains would scan every row.
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{field: term})
        return queryset.filter(condition), False


def _pre(value) -> str:
    return format_html('<pre class="payload">{}</pre>', value)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "status",
        "reason",
        "account_id",
        "client_id",
        "notification_type",
        "event_count",
        "signature_valid",
    ]
    list_filter = ["accepted", "reason", NotificationTypeFilter]
    search_fields = ["account_id", "client_id", "reason", "notification_type"]
    list_select_related = False  # no foreign keys to follow
    fields = [
        "received_at",
        "account_id",
        "client_id",
        "method",
        "status",
        "accepted",
        "reason",
        "signature_algorithm",
        "signature_valid",
        "notification_type",
        "event_count",
        "body_truncated",
        "headers_pretty",
        "body_pretty",
    ]
    readonly_fields = ["headers_pretty", "body_pretty"]

    @admin.display(description="Headers (masked)")
    def headers_pretty(self, obj):
        return _pre(selectors.pretty_json(obj.headers))

    @admin.display(description="Body")
    def body_pretty(self, obj):
        return _pre(selectors.body_pretty(obj.body)[0])


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = [
        "conversation_id",
        "account_id",
        "client_id",
        "first_event_at",
        "last_event_at",
        "last_seq",
    ]
    search_fields = ["conversation_id", "account_id", "client_id"]
    list_select_related = False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "event_type",
        "seq",
        "conversation",
        "account_id",
        "client_id",
        "delivery_id",
    ]
    list_filter = [EventTypeFilter, NotificationTypeFilter]
    search_fields = ["account_id", "client_id", "conversation__conversation_id", "event_type", "dedupe_key"]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation", "delivery"]
    fields = [
        "received_at",
        "account_id",
        "client_id",
        "conversation",
        "seq",
        "delivery",
        "notification_type",
        "event_type",
        "dialog_id",
        "dedupe_key",
        "payload_pretty",
    ]
    readonly_fields = ["payload_pretty"]

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return _pre(selectors.pretty_json(obj.payload))
