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

# The three layouts, read with a regex and datetime() rather than strptime, which cost more than
# all other fields of a post (the month names are the forum's English ones, whatever the locale).
_MONTHS = (
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
)
_MONTH_NUMBERS = {name: n for n, name in enumerate(_MONTHS, 1)} | {
    name[:3]: n for n, name in enumerate(_MONTHS, 1)
}
_DATE = r"(?P<day>\d{1,2})\s+(?P<year>\d{4})"
_CLOCK = r"(?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
_LONG = re.compile(rf"(?P<month>\w+)\s+{_DATE}\s+{_CLOCK}")  # December 06 2023 02:50
_INDEX = re.compile(rf"{_CLOCK}\s+(?P<month>\w+)\s+{_DATE}")  # 10:56 Apr 21 2012
_ISO = re.compile(  # 2023-12-06 04:01:08
    rf"(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})\s+{_CLOCK}:(?P<second>\d{{1,2}})"
)


def _parse(text: str, layout: re.Pattern, month_names: bool) -> datetime:
    """A UTC datetime from `text` in `layout`; ValueError for anything else or an invalid date."""
    match = layout.fullmatch(text)
    if not match:
        raise ValueError(f"time data {text[:80]!r} does not match {layout.pattern[:40]!r}")
    parts = match.groupdict()
    month = _MONTH_NUMBERS.get(parts["month"].lower()) if month_names else int(parts["month"])
    if month is None:
        raise ValueError(f"not a month: {parts['month'][:40]!r}")
    return datetime(
        int(parts["year"]),
        month,
        int(parts["day"]),
        int(parts["hour"]),
        int(parts["minute"]),
        int(parts.get("second") or 0),
        tzinfo=UTC,
    )


def is_relative_time(text: str) -> bool:
    """True for `5 minutes ago` style texts, whose absolute time is in the link's title."""
    return bool(_RELATIVE.match(text))


def parse_post_time(text: str, title: str | None = None) -> datetime:
    """A post header time in GMT; for `N minutes ago` the absolute time is taken from `title`."""
    source = title if is_relative_time(text) and title else text
    match = _POST_TIME.search(source or "")
    if not match:
        raise ValueError(f"not a post time: {text!r} (title {title!r})")
    return _parse(match.group(1), _LONG, month_names=True)


def parse_quote_time(text: str) -> datetime:
    """A quote header time (`December 06 2023 12:01`, KST) converted to UTC."""
    kst = _parse(text.strip(), _LONG, month_names=True)
    return kst - KST_OFFSET


def parse_edit_time(text: str) -> datetime:
    """The time in a `Last Edited: 2023-12-06 04:01:08` note, read as GMT."""
    match = _EDIT_TIME.search(text)
    if not match:
        raise ValueError(f"not an edit time: {text!r}")
    return _parse(match.group(1), _ISO, month_names=False)


def parse_index_time(text: str) -> datetime:
    """A subforum index `last post` time (`10:56 Apr 21 2012`), read as GMT."""
    return _parse(" ".join(text.split()), _INDEX, month_names=True)
