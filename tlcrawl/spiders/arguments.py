"""The `threads` spider's arguments (`-a name=value`), checked before the first request.

A mistyped argument must never widen a crawl: `-a thread=622006` (for `thread_url`) would otherwise
be ignored and start a crawl of the whole site, which takes days. Every problem raises
`SpiderArgumentError` with one sentence that says what to do; `scrapy crawl` prints it as its last
line and exits 2 (tlcrawl/commands/crawl.py).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from scrapy.exceptions import CloseSpider

from tlcrawl import defaults
from tlcrawl.parsing import urls

logger = logging.getLogger(__name__)

_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False}
_FLAGS |= {"no": False, "off": False, "": False}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class SpiderArgumentError(ValueError):
    """A spider argument that cannot be crawled with; the message says what to do instead."""

    exit_code = 2


def check_spider_arguments(given: Mapping[str, object], extra: Mapping[str, object]) -> None:
    """Check the spider's arguments: `given` its named parameters (the spider's `locals()` on
    entry to __init__), `extra` the names it has no parameter for."""
    valid = [name for name in given if name not in ("self", "kwargs", "__class__")]
    check_names(extra, valid)
    for name in valid:
        check = VALUE_CHECKS.get(name)
        if check is not None and given[name] is not None:
            check(given[name], name)


def check_names(extra: Iterable[str], valid: Iterable[str]) -> None:
    valid = list(valid)
    for name in extra:
        if name.startswith("_"):  # Scrapyd's own arguments (_job, _version)
            continue
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
        hint = f"did you mean -a {close[0]}=? " if close else ""
        raise SpiderArgumentError(
            f"unknown argument -a {name}=; {hint}the arguments are: {', '.join(valid)}"
        )


def _is_web_address(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_site_url(value: object, name: str = "base_url") -> None:
    value = str(value)
    if not _is_web_address(value):
        raise SpiderArgumentError(
            f"-a base_url= takes the site's address, like https://tl.net; got {value!r}"
        )


def check_thread_url(value: object, name: str = "thread_url") -> None:
    value = str(value)
    if not _is_web_address(value) or urls.parse_thread_url(value) is None:
        raise SpiderArgumentError(
            "-a thread_url= takes a thread or post address, like "
            f"https://tl.net/forum/games/622006-title or .../viewpost.php?post_id=N; got {value!r}"
        )


def forum_slugs(value: object, name: str = "forums") -> set[str]:
    slugs = {slug.strip() for slug in str(value).split(",") if slug.strip()}
    bad = sorted(slug for slug in slugs if not _SLUG.match(slug))
    if not slugs or bad:
        raise SpiderArgumentError(
            "-a forums= takes comma-separated subforum slugs as in the site's addresses, like "
            f"games,brood-war; got {value!r}"
        )
    return slugs


def whole_number(value: object, name: str, minimum: int = 1) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise SpiderArgumentError(f"-a {name}= takes a whole number, got {value!r}") from None
    if number < minimum:
        raise SpiderArgumentError(f"-a {name}= must be at least {minimum}, got {number}")
    return number


def render_mode(value: object, name: str = "render") -> None:
    if value not in defaults.RENDER_MODES:
        raise SpiderArgumentError(
            f"-a {name}= takes {', '.join(defaults.RENDER_MODES)}; got {value!r}"
        )


def flag(value: object, name: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    try:
        return _FLAGS[str(value).strip().lower()]
    except KeyError:
        raise SpiderArgumentError(f"-a {name}= takes 1 or 0, got {value!r}") from None


# The checks of the arguments the spider has; an argument without one is taken as given.
VALUE_CHECKS = {
    "base_url": check_site_url,
    "forums": forum_slugs,
    "thread_url": check_thread_url,
    "max_threads": whole_number,
    "max_index_pages": whole_number,
    "recheck_days": lambda value, name: whole_number(value, name, minimum=0),
    "incremental": flag,
    "render": render_mode,
}


def unknown_forums_message(unknown: Iterable[str], known: Iterable[str]) -> str:
    """The refusal of `-a forums=` slugs that the forum list does not have."""
    known = sorted(known)
    hints = []
    for slug in sorted(unknown):
        close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
        hints.append(f"{slug!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return (
        f"-a forums=: no subforum {', '.join(hints)} on the forum list; "
        f"the subforums are: {','.join(known)}"
    )


def refuse_arguments(crawler, message: str) -> CloseSpider:
    """Stop a crawl whose arguments turn out wrong once the site has answered (an unknown forum
    slug): the message goes to the stats, where the crawl's verdict finds it (exit status 2)."""
    crawler.stats.set_value("arguments/refused", message)
    logger.error("Refused: %s", message)
    return CloseSpider("bad_arguments")
