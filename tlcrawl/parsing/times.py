"""Times as the forum writes them, converted to timezone-aware UTC datetimes.

Post headers are GMT (`December 06 2023 02:50 GMT`); quote headers carry the quoted post's time
in KST, UTC+9 with no daylight saving (`On December 06 2023 12:01 name wrote:`); "Last Edited"
notes are `2023-12-06 04:01:08`, read as GMT; subforum index rows show `10:56 Apr 21 2012`, GMT.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

KST_OFFSET = timedelta(hours=9)

_POST_TIME = re.compile(r"([A-Z][a-z]+ \d{1,2} \d{4} \d{1,2}:\d{2})(?:\s*GMT)?")
_RELATIVE = re.compile(r"^\s*\d+\s+(second|minute|hour|day)s?\s+ago\s*$", re.IGNORECASE)
_EDIT_TIME = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")


def _parse(text: str, fmt: str) -> datetime:
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


def is_relative_time(text: str) -> bool:
    """True for `5 minutes ago` style texts, whose absolute time is in the link's title."""
    return bool(_RELATIVE.match(text))


def parse_post_time(text: str, title: str | None = None) -> datetime:
    """A post header time in GMT; for `N minutes ago` the absolute time is taken from `title`."""
    source = title if is_relative_time(text) and title else text
    match = _POST_TIME.search(source or "")
    if not match:
        raise ValueError(f"not a post time: {text!r} (title {title!r})")
    return _parse(match.group(1), "%B %d %Y %H:%M")


def parse_quote_time(text: str) -> datetime:
    """A quote header time (`December 06 2023 12:01`, KST) converted to UTC."""
    kst = _parse(text.strip(), "%B %d %Y %H:%M")
    return kst - KST_OFFSET


def parse_edit_time(text: str) -> datetime:
    """The time in a `Last Edited: 2023-12-06 04:01:08` note, read as GMT."""
    match = _EDIT_TIME.search(text)
    if not match:
        raise ValueError(f"not an edit time: {text!r}")
    return _parse(match.group(1), "%Y-%m-%d %H:%M:%S")


def parse_index_time(text: str) -> datetime:
    """A subforum index `last post` time (`10:56 Apr 21 2012`), read as GMT."""
    return _parse(" ".join(text.split()), "%H:%M %b %d %Y")
