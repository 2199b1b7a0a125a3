"""JSON as HTML the reader can fold: every object and array is a <details>, every
value a <span> classed by its type for the colours (static/webhooks/webhooks.css).

Rendered on the server, not by a JavaScript viewer: the CSP allows no inline
style or script, <details> folds without any script (and inside the events page's
side pane, which is fetched HTML), and every text goes through `escape`.
A document of more than MAX_NODES values is not worth folding by hand: the
caller shows it as indented text instead (None).
"""

import json

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_NODES = 5000
# Levels below this one start folded: a notification down to its changes' events shows at once.
OPEN_LEVELS = 6


class _TooLarge(Exception):
    pass


def json_html(value) -> SafeString | None:
    """The value as a foldable tree, or None when it is too large (or too deep) to render."""
    parts: list[str] = []
    budget = [MAX_NODES]
    try:
        _value(value, 0, parts, budget)
    except (_TooLarge, RecursionError):
        return None
    return mark_safe(f'<div class="json-tree" data-testid="json-tree">{"".join(parts)}</div>')  # noqa: S308 - every text escaped above


def _value(value, level: int, parts: list[str], budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    if isinstance(value, dict):
        _container(
            value.items(), "{", "}", f"{len(value)} key{'s' if len(value) != 1 else ''}", level, parts, budget
        )
    elif isinstance(value, list):
        items = ((None, item) for item in value)
        _container(
            items, "[", "]", f"{len(value)} item{'s' if len(value) != 1 else ''}", level, parts, budget
        )
    else:
        parts.append(_scalar(value))


def _container(items, opening: str, closing: str, size: str, level: int, parts, budget) -> None:
    items = list(items)
    if not items:
        parts.append(f'<span class="json-punct">{opening}{closing}</span>')
        return
    is_open = " open" if level < OPEN_LEVELS else ""
    parts.append(
        f'<details{is_open}><summary><span class="json-punct">{opening}</span>'
        f'<span class="json-size">{size}</span></summary><ul>'
    )
    for key, item in items:
        parts.append("<li>")
        if key is not None:
            parts.append(f'<span class="json-key">{escape(_quoted(str(key)))}</span>: ')
        _value(item, level + 1, parts, budget)
        parts.append("</li>")
    parts.append(f'</ul><span class="json-punct">{closing}</span></details>')


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _scalar(value) -> str:
    if value is None:
        return '<span class="json-null">null</span>'
    if isinstance(value, bool):
        return f'<span class="json-bool">{"true" if value else "false"}</span>'
    if isinstance(value, int | float):
        return f'<span class="json-number">{escape(json.dumps(value))}</span>'
    return f'<span class="json-string">{escape(_quoted(str(value)))}</span>'


def _quoted(text: str) -> str:
    """The string as JSON writes it, non-ASCII kept readable."""
    return json.dumps(text, ensure_ascii=False)
