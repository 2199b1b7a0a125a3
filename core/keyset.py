"""Keyset pagination: pages and chunks that stay right while rows are added.

An offset ("page 3") shifts when a webhook arrives between two requests, so a
client would see a row twice or miss one. A keyset page instead says "the rows
after this one" in a fixed order on immutable columns (received_at, id), so
rows added meanwhile never move the rows still to come (docs/API.md). The same
walk, chunk by chunk, lets exports stream any number of rows in bounded memory.

A cursor is the last row's key, as base64url JSON: opaque to clients, checked
strictly when it comes back (a stranger controls it).
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

MAX_CURSOR_LENGTH = 200


class InvalidCursorError(ValueError):
    """The cursor was not made by this site for this list."""


@dataclass(frozen=True)
class Keyset:
    """An order on one or two immutable fields: `fields` in sort order, `descending` for newest first."""

    fields: tuple[str, ...]
    descending: bool = True

    def ordered(self, queryset: QuerySet) -> QuerySet:
        sign = "-" if self.descending else ""
        return queryset.order_by(*(f"{sign}{field}" for field in self.fields))

    def after(self, queryset: QuerySet, key: tuple) -> QuerySet:
        """The rows that come strictly after the row whose key is `key`."""
        beyond = "lt" if self.descending else "gt"
        condition, equal = Q(), {}
        for field, value in zip(self.fields, key, strict=True):
            condition |= Q(**equal, **{f"{field}__{beyond}": value})
            equal[field] = value
        return queryset.filter(condition)

    def key_of(self, row) -> tuple:
        return tuple(getattr(row, field) for field in self.fields)

    def page(self, queryset: QuerySet, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
        """Up to `limit` rows after `cursor` (from the start without one), and the next cursor
        (None when no row follows)."""
        rows = self.rows_after(queryset, key=self.decode(cursor) if cursor else None, size=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (self.encode(self.key_of(rows[-1])) if more else None)

    def rows_after(self, queryset: QuerySet, *, key: tuple | None, size: int) -> list:
        """The next `size` rows after the row whose key is `key` (from the start for None):
        an export calls it again with the last row's key until it returns nothing."""
        if key is not None:
            queryset = self.after(queryset, key)
        return list(self.ordered(queryset)[:size])

    # --- Cursors ---

    def encode(self, key: tuple) -> str:
        values = [value.isoformat() if isinstance(value, datetime) else value for value in key]
        return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()

    def decode(self, cursor: str) -> tuple:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidCursorError("The cursor is too long.")
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        except (ValueError, UnicodeEncodeError, binascii.Error):
            raise InvalidCursorError("The cursor is not one this API gave.") from None
        if not isinstance(values, list) or len(values) != len(self.fields):
            raise InvalidCursorError("The cursor is not one this API gave.")
        return tuple(_key_value(field, value) for field, value in zip(self.fields, values, strict=True))


def _key_value(field: str, value):
    """A key value as the database compares it: ids are integers, times aware datetimes."""
    if field.endswith("_at"):
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return moment
        raise InvalidCursorError("The cursor is not one this API gave.")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    raise InvalidCursorError("The cursor is not one this API gave.")
