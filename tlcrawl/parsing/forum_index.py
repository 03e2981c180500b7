"""A subforum index page (`/forum/<slug>/[?currentpage=N]`) → its thread rows and page count.

Rows are the `tr`s of `table.solid` that hold a thread link. Cells are read relative to the topic
cell (the one with the thread link): icon before it; author, replies, views, last post after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TypeVar

from tlcrawl.parsing import times, urls
from tlcrawl.parsing.dom import (
    HtmlElement,
    current_page_marker,
    forum_ref,
    has_class,
    load_html,
    read_int,
    text_of,
    thread_ref,
)

T = TypeVar("T")

_STICKY_PREFIX = "Sticky:"
_COUNT = re.compile(r"^[0-9][0-9,]*$")
_LAST_POST = re.compile(r"\d{1,2}:\d{2} [A-Z][a-z]{2} \d{1,2} \d{4}")


@dataclass
class IndexRow:
    thread_id: int
    forum: str
    title: str
    url: str  # canonical page-1 URL on the crawl base
    author: str | None
    replies: int | None
    views: int | None
    sticky: bool
    locked: bool
    last_post_at: datetime | None


@dataclass
class ForumIndexPage:
    forum: str | None
    page: int
    pages: int
    rows: list[IndexRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None  # as ThreadPage.error: set when nothing could be read


def parse_forum_index(html: str | bytes, url: str) -> ForumIndexPage:
    """Parse one subforum index page fetched from `url`; never raises, whatever the input.

    A row with a thread link is always kept (the thread is what matters); its unreadable cells
    are None and reported in `problems`. A row that cannot be read at all is reported and
    skipped; the page keeps the others.
    """
    try:
        return _parse_forum_index(html, url)
    except Exception as error:  # a bug meeting odd markup: fail this page, keep the crawl
        problem = f"page not parsed: {type(error).__name__}: {error}"[:500]
        return ForumIndexPage(None, 1, 1, [], [problem], error=problem)


def _parse_forum_index(html: str | bytes, url: str) -> ForumIndexPage:
    root = load_html(html)
    scope = (root.xpath("//div[@id='main-content']") or [root])[0]
    forum, url_page = forum_ref(url, url) or (None, 1)
    problems = [] if forum else [f"not a subforum URL: {url}"]
    page, pages = _pager(scope, url, url_page)
    rows = []
    for index, row in enumerate(scope.xpath(f".//table[{has_class('solid')}]//tr"), start=1):
        try:
            link = _thread_link(row, url)
            if link is not None:  # else a heading or spacer row
                rows.append(_row(row, link, url, problems))
        except Exception as error:  # any failure loses this row only
            problems.append(f"row {index}: unreadable ({type(error).__name__}: {error})"[:300])
    return ForumIndexPage(forum, page, pages, rows, problems)


def _pager(scope: HtmlElement, url: str, url_page: int) -> tuple[int, int]:
    """(current page, total pages) from `div.pagination` links `?currentpage=N`."""
    current: int | None = None
    seen = [1, url_page]
    for block in scope.xpath(f".//div[{has_class('pagination')}]"):
        for href in block.xpath(".//a/@href"):
            parsed = forum_ref(href, url)
            if parsed:
                seen.append(parsed[1])
        current = current_page_marker(block) or current
    page = current or url_page
    return page, max([*seen, page])


def _thread_link(row: HtmlElement, url: str) -> tuple[HtmlElement, urls.ThreadRef] | None:
    """The row's topic link: a titled thread link that is not the `?page=last` shortcut."""
    for link in row.xpath(".//a[@href]"):
        ref = thread_ref(link.get("href"), url)
        if ref and ref.canonical_url and not ref.last_page and not ref.view_all and text_of(link):
            return link, ref
    return None


def _row(
    row: HtmlElement, link: tuple[HtmlElement, urls.ThreadRef], url: str, problems: list[str]
) -> IndexRow:
    element, ref = link
    title = text_of(element)
    cells = row.xpath("./td | ./th")
    topic = next((i for i, cell in enumerate(cells) if element in cell.iter("a")), -1)
    # Cells after the topic: author, replies, views, last post; missing ones read as None.
    after = [*cells[topic + 1 : topic + 5], *[None] * 4][:4] if topic >= 0 else [None] * 4
    report = partial(_read_cell, label=f"thread {ref.thread_id}", problems=problems)
    icons = _icon_alts(cells[topic - 1]) if topic > 0 else set()
    topic_text = text_of(cells[topic]) if topic >= 0 else title
    author = report(_author, after[0], "author")
    replies = report(_count, after[1], "replies")
    views = report(_count, after[2], "views")
    last_post_at = report(_last_post, after[3], "last post")
    return IndexRow(
        thread_id=ref.thread_id,
        forum=ref.forum,
        title=title.removeprefix(_STICKY_PREFIX).strip(),
        url=urls.canonical_thread_url(element.get("href"), url),
        author=author,
        replies=replies,
        views=views,
        sticky=topic_text.startswith(_STICKY_PREFIX) or "Sticky" in icons,
        locked="Locked" in icons,
        last_post_at=last_post_at,
    )


def _read_cell(
    read: Callable[[HtmlElement], T],
    cell: HtmlElement | None,
    what: str,
    *,
    label: str,
    problems: list[str],
) -> T | None:
    """`read(cell)`; a missing or unreadable cell is noted in `problems` and reads as None."""
    if cell is None:
        problems.append(f"{label}: no {what} cell")
        return None
    try:
        return read(cell)
    except ValueError as error:
        problems.append(f"{label}: unreadable {what} ({error})")
        return None


def _icon_alts(cell: HtmlElement) -> set[str]:
    return {alt.strip() for alt in cell.xpath(".//img/@alt")}


def _author(cell: HtmlElement) -> str:
    name = text_of(cell)
    if not name:
        raise ValueError("empty")
    return name


def _count(cell: HtmlElement) -> int:
    label = text_of(cell)
    count = read_int(label.replace(",", "")) if _COUNT.match(label) else None
    if count is None:
        raise ValueError(repr(label[:40]))
    return count


def _last_post(cell: HtmlElement) -> datetime:
    """`10:56 Apr 21 2012<br>name` → the GMT time; the br may leave no space before the name."""
    match = _LAST_POST.search(text_of(cell))
    if not match:
        raise ValueError(repr(text_of(cell)[:60]))
    return times.parse_index_time(match.group(0))
