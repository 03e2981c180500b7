"""A subforum's index pass, as the spider reads it (see ForumProgress)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tlcrawl.items import ForumItem


@dataclass
class ForumProgress:
    """A subforum's index pass. Index pages are read one at a time, the next one when few listed
    threads wait to start, so memory holds a few pages of rows, not the whole index. Once every
    page is read and every listed thread stored complete, the forum is marked synced; an
    incremental crawl of a synced forum stops at the first page that shows no change."""

    item: ForumItem
    reads_all: bool = True  # False: stop at the first index page without a changed thread
    next_page: int = 1
    last_page: int | None = None  # known once an index page is read
    reading: bool = False  # an index page is in flight
    more: bool = True  # False once an incremental crawl saw an unchanged page
    threads_pending: set[int] = field(default_factory=set)  # listed, not finished
    threads_completed: int = 0  # listed threads this crawl stored complete
    clean: bool = True  # no failed page, no limit cut the pass short
    threads_listed: int = 0  # rows of the index pages read so far
    rows_per_page: int = 0  # rows on a full index page (stickies aside), once seen
    synced: bool = False  # the sync mark was given

    def page_read(self, page: int, pages: int | None, rows: int, changed: bool) -> None:
        """Index page `page` was read (`pages`: its pager's count, None if unreadable); it listed
        `rows` threads, and `changed` says whether one of them (stickies aside) changed."""
        self.reading = False
        self.next_page = page + 1
        if pages is not None:
            self.last_page = pages
        self.more = self.more and (self.reads_all or changed)
        self.threads_listed += rows
        self.rows_per_page = max(self.rows_per_page, rows)

    def page_failed(self, page: int) -> None:
        """Index page `page` could not be read: read on past it; its threads wait."""
        self.reading, self.clean = False, False
        self.next_page = max(self.next_page, page + 1)

    def mark_synced(self) -> bool:
        """True once, when every page is read and every listed thread stored complete."""
        if self.synced or not (self.done and self.clean):
            return False
        self.synced = True
        return True

    @property
    def threads_expected(self) -> int:
        """Threads this index lists: those read, and an estimate for the pages still unread."""
        unread = max(0, (self.last_page or 1) - self.next_page + 1) if self.more else 0
        return self.threads_listed + unread * self.rows_per_page

    @property
    def wants_page(self) -> bool:
        unread = self.last_page is None or self.next_page <= self.last_page
        return self.more and unread and not self.reading

    @property
    def done(self) -> bool:
        return not self.reading and not self.wants_page and not self.threads_pending
