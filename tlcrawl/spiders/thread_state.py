"""One thread's crawl state: which pages it needs, which arrived or failed, what to release.

Pages of a thread are downloaded concurrently, but the quote pipeline needs each thread's posts in
page order (a post can only quote earlier posts), and a resume checkpoint must only ever cover
pages whose posts went out before it. A `ThreadState` holds parsed pages until every earlier page
is in (or has failed for good) and releases them in order, starting at `start_page`: page 1 for a
new thread, the page of the last stored post for a refresh or a resume. Every method updates the
state at once and returns plain lists; the spider turns them into requests and items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tlcrawl.items import PostItem, ReleaseStamp, UserItem, stamp
from tlcrawl.parsing.forum_index import IndexRow

POSTS_PER_PAGE = 20


@dataclass
class PageItems:
    """What one thread page yields: its posts, and its authors with their times there."""

    posts: list[PostItem]
    users: list[UserItem] = field(default_factory=list)


@dataclass(frozen=True)
class RefreshPlan:
    """Where a crawl picks a thread up: `start_page`, and what the archive holds there.

    `expected` are the ids of the stored posts at the top of `start_page`; if the page shows
    another first post, posts were deleted before it and the pages moved: the whole thread is
    fetched instead. Posts stored from `start_number` on that the crawl does not see again are
    tombstoned (all stored posts when `start_number` is None).
    """

    start_page: int = 1
    expected: tuple[int, ...] = ()
    start_number: int | None = None

    @property
    def whole(self) -> bool:
        return self.start_page == 1 and self.start_number is None


WHOLE_THREAD = RefreshPlan()


@dataclass
class ThreadState:
    thread_id: int
    url: str  # canonical page-1 URL
    forum: str | None = None
    index_row: IndexRow | None = None
    plan: RefreshPlan = WHOLE_THREAD
    pages: int | None = None  # known once a page arrived
    replies: int | None = None
    title: str = ""
    locked: bool = False
    refetches: dict[int, int] = field(default_factory=dict)
    partial: dict[int, PageItems] = field(default_factory=dict)  # cut-short pages' items
    failed: set[int] = field(default_factory=set)
    incomplete: bool = False  # a page failed or stayed cut short: the next crawl must come back
    uncertain: bool = False  # a post may be missing from a page: no tombstones this time
    seen: set[int] = field(default_factory=set)  # ids of the posts released
    first_post: PostItem | None = None  # post #1, when page 1 was fetched
    last_post: PostItem | None = None
    source: dict | None = None  # WARC record of the first page to arrive (tlcrawl.warc)
    # While pages are being searched for where they moved: (lo, hi), page lo still starts with
    # the post stored there and page hi does not. Nothing is released meanwhile.
    search: tuple[int, int] | None = None
    probed_pages: set[int] = field(default_factory=set)
    _stored_numbers: dict[int, int] = field(default_factory=dict)  # probed page -> 1st number
    _waiting: dict[int, PageItems] = field(default_factory=dict)
    _next_page: int = 0  # the next page to release; 0 until the first page arrives
    _stamped: int = 0  # items released so far (see items.stamp)

    @property
    def started(self) -> bool:
        return self._next_page > 0

    @property
    def complete(self) -> bool:
        return self.started and self.pages is not None and self._next_page > self.pages

    @property
    def stored_through(self) -> int:
        """The resume checkpoint: pages 1..N released with none failed since the start page."""
        released = self._next_page - 1
        if self.failed:
            released = min(released, min(self.failed) - 1)
        return max(0, min(released, self.pages or released))

    def start(self, pages: int) -> list[int]:
        """The first page arrived with the page count: the pages this crawl needs."""
        self.pages = pages
        self._next_page = min(self.plan.start_page, pages)
        return list(range(self._next_page, pages + 1))

    def matches_archive(self, page: int, post_ids: list[int]) -> bool:
        """Whether `page` starts with the post stored there: no page boundary moved before it."""
        if page != self.plan.start_page or not self.plan.expected:
            return True
        return bool(post_ids) and post_ids[0] == self.plan.expected[0]

    def fetch_whole(self) -> list[int]:
        """Release from page 1; return the pages still to request."""
        return self._restart_at(1, WHOLE_THREAD)

    def begin_search(self, page: int) -> None:
        """`page` does not start with the post stored there: posts were deleted before it."""
        self.search = (1, page)

    def next_probe(self) -> int | None:
        """The page to look at next (binary search), or None once the search is over."""
        lo, hi = self.search
        return (lo + hi) // 2 if hi - lo > 1 else None

    def probed(
        self, page: int, stored_first: tuple[int, int] | None, items: PageItems | None
    ) -> None:
        """A probed page arrived; `stored_first` is (id, number) of the post stored at its top
        when the page still starts with it, else None. Whole pages are kept for release."""
        lo, hi = self.search
        self.probed_pages.add(page)
        if stored_first is not None:
            self.search = (page, hi)
            self._stored_numbers[page] = stored_first[1]
        else:
            self.search = (lo, page)
        if items is not None:
            self._waiting.setdefault(page, items)

    def end_search(self) -> list[int]:
        """Pages before `lo` are as stored: release from page lo; return the pages to request."""
        lo = self.search[0]
        number = self._stored_numbers.get(lo)
        plan = RefreshPlan(lo, (), number) if lo > 1 and number is not None else WHOLE_THREAD
        return self._restart_at(plan.start_page, plan)

    def _restart_at(self, page: int, plan: RefreshPlan) -> list[int]:
        first = self._next_page
        self.search, self.plan, self._next_page = None, plan, page
        for earlier in [p for p in self._waiting if p < page]:
            del self._waiting[earlier]
        return [p for p in range(page, first) if p not in self._waiting]

    def release_ready(self) -> list[PageItems]:
        return self._release()

    def add_page(self, page: int, items: PageItems) -> list[PageItems]:
        """Record a parsed page; return every page that can now be released, in order."""
        if page < self._next_page or page in self._waiting:
            return []  # a page answered twice (retry after truncation): the first copy counts
        self._waiting[page] = items
        return self._release()

    def fail_page(self, page: int) -> list[PageItems]:
        """A page that could not be fetched or read: stop waiting for it."""
        self.incomplete = True
        if page >= self._next_page:
            self.failed.add(page)
        return self._release()

    def stamp_items(self, items: list[Any], last: bool = False) -> None:
        """Number the thread's items in release order; `last`: nothing follows them."""
        for offset, item in enumerate(items):
            final = last and offset == len(items) - 1
            stamp(item, ReleaseStamp(self.thread_id, self._stamped + offset, final))
        self._stamped += len(items)

    def expected_posts(self, page: int) -> int | None:
        """How many posts `page` must show, from the thread's reply count (None: unknown)."""
        if self.pages is None or page < self.pages:
            return POSTS_PER_PAGE
        if self.replies is None:
            return None
        return self.replies + 1 - POSTS_PER_PAGE * (self.pages - 1)

    def _release(self) -> list[PageItems]:
        released: list[PageItems] = []
        if self.search is not None:
            return released
        while not self.complete:
            page = self._next_page
            if page in self._waiting:
                released.append(self._waiting.pop(page))
            elif page not in self.failed:
                break
            self._next_page += 1
        for post in (post for items in released for post in items.posts):
            self.seen.add(post._id)
            if post.number == 1:
                self.first_post = post
            self.last_post = post
        return released
