"""`scrapy crawl threads`: forum list → subforum indexes → the pages of every thread.

Crawling only: which page to request next and with which arguments. Parsing lives in
`tlcrawl.parsing` (pure functions), a thread's state in `ThreadState`, refresh planning in
`tlcrawl.spiders.refresh`; cleaning, quote resolution and storage are item pipelines.

Arguments (`-a name=value`): base_url, forums (comma-separated slugs), thread_url, max_threads,
max_index_pages, incremental (refresh and resume: fetch only what the archive lacks),
recheck_days (also re-fetch pages with posts from the last N days), render (auto|always|never).
See the README for details.
"""

from __future__ import annotations

import asyncio
import math
import operator
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import scrapy
from pymongo.errors import PyMongoError
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import Response
from twisted.python.failure import Failure

from tlcrawl import defaults
from tlcrawl.items import (
    ForumItem,
    PostDeletedItem,
    PostItem,
    ThreadItem,
    ThreadProgressItem,
    UserItem,
    sync_after,
)
from tlcrawl.parsing import urls
from tlcrawl.parsing.forum_index import IndexRow, parse_forum_index
from tlcrawl.parsing.forum_list import parse_forum_list
from tlcrawl.parsing.thread_page import ParsedPost, ThreadPage, parse_thread_page
from tlcrawl.spiders.arguments import (
    SpiderArgumentError,
    check_spider_arguments,
    flag,
    forum_slugs,
    refuse_arguments,
    unknown_forums_message,
    whole_number,
)
from tlcrawl.spiders.forum_progress import ForumProgress
from tlcrawl.spiders.refresh import plan_threads, resumable_row
from tlcrawl.spiders.thread_state import (
    POSTS_PER_PAGE,
    WHOLE_THREAD,
    PageItems,
    RefreshPlan,
    ThreadState,
)
from tlcrawl.storage import archive
from tlcrawl.storage.client import open_client
from tlcrawl.warc import source_of

# Pages of started threads outrank the first pages of new threads, which outrank index pages: a
# started thread finishes (and frees its memory) before new ones start.
THREAD_PAGE_PRIORITY = 10
NEW_THREAD_PRIORITY = 5
# How often a page that came back cut short (fewer posts than the thread must have there) is
# fetched again before its posts are taken as they are.
INCOMPLETE_PAGE_RETRIES = 2
# Pages a thread may have beyond what its reply count allows (a post or two may arrive while it
# is crawled); a pager claiming more is capped (stat bounds/thread_pages_capped).
EXTRA_PAGES_ALLOWED = 2


_DOCUMENT_END = re.compile(rb"</html\s*>", re.IGNORECASE)


def document_is_whole(body: bytes) -> bool:
    """A page whose download was cut short lacks its closing `</html>`, even when lxml's
    recovery makes the rest look fine (a post cut in half still parses as a post). Anything
    after `</html>` (a trailing script or comment) does not matter."""
    return bool(_DOCUMENT_END.search(body))


# The PostItem fields a ParsedPost holds under the same name, copied as they are. One attrgetter
# reads them all (this runs for every post), and fails loudly should a name change.
_AS_PARSED = (
    "number",
    "url",
    "author",
    "posted_at",
    "edited_at",
    "html",
    "text",
    "signature",
    "links",
    "images",
    "videos",
    "tl_plus",
    "content_hash",
)
_read_as_parsed = operator.attrgetter(*_AS_PARSED)


class ThreadsSpider(scrapy.Spider):
    name = "threads"

    def __init__(
        self,
        base_url: str | None = None,
        forums: str | None = None,
        thread_url: str | None = None,
        max_threads: str | None = None,
        max_index_pages: str | None = None,
        incremental: str | None = None,
        recheck_days: str | None = None,
        render: str | None = None,
        **kwargs,
    ):
        check_spider_arguments(locals(), extra=kwargs)  # the named arguments above, and the rest
        super().__init__(**kwargs)
        self.base_url_arg = base_url
        self.forum_filter = forum_slugs(forums) if forums else set()
        self.thread_url = thread_url
        self.max_threads = whole_number(max_threads, "max_threads")
        self.max_index_pages = whole_number(max_index_pages, "max_index_pages")
        self.recheck_days = whole_number(recheck_days, "recheck_days", minimum=0)
        self.render = render  # None: the TLCRAWL_RENDER setting decides (tlcrawl.rendering)
        self.incremental = flag(incremental, "incremental") or bool(self.recheck_days)
        self.archive_db = None  # the stored archive, when MONGODB_URI is set
        self.threads: dict[int, ThreadState] = {}
        self.forums: dict[str, ForumProgress] = {}
        self.synced: set[str] = set()  # forums an incremental crawl may stop reading early
        self.forums_sent: set[str] = set()
        self.threads_scheduled = 0
        self.threads_seen: set[int] = set()  # ids only: a finished thread's state is freed
        # Listed threads waiting to start, and how many have started and not finished.
        self.waiting: deque[tuple[IndexRow, RefreshPlan]] = deque()
        self.active = 0
        self.site_now: datetime | None = None  # the newest last post seen: the site's clock

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        if crawler.settings.get("JOBDIR"):
            # Scrapy's JOBDIR keeps the scheduler's queue, not the threads waiting in the spider
            # nor what the writer had buffered: a resume from it would silently lose threads.
            raise SpiderArgumentError(
                "-s JOBDIR= is not supported: to resume an interrupted crawl, run it again with "
                "-a incremental=1 (it fetches only what the archive lacks)"
            )
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.incremental and not crawler.settings.get("MONGODB_URI"):
            raise SpiderArgumentError(
                "-a incremental=1 compares with the stored crawl: set MONGODB_URI"
            )
        if spider.render:
            # This crawl's argument beats `-s TLCRAWL_RENDER`; tlcrawl.rendering reads the setting.
            crawler.settings.set("TLCRAWL_RENDER", spider.render, priority="cmdline")
        return spider

    # --- start -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.base_url_arg:
            return self.base_url_arg.rstrip("/")
        if self.thread_url:
            return urls.origin(self.thread_url)
        return self.settings.get("TLCRAWL_BASE_URL", defaults.BASE_URL).rstrip("/")

    @property
    def threads_in_flight(self) -> int:
        return self.settings.getint("TLCRAWL_THREADS_IN_FLIGHT", defaults.THREADS_IN_FLIGHT)

    @property
    def max_thread_pages(self) -> int:
        return self.settings.getint("TLCRAWL_MAX_THREAD_PAGES", defaults.MAX_THREAD_PAGES)

    async def start(self):
        self._open_archive()
        if self.thread_url:
            yield self._first_thread_request(self.thread_url)
        else:
            yield scrapy.Request(urls.forum_list_url(self.base_url), callback=self.parse_forum_list)

    def _open_archive(self) -> None:
        uri = self.settings.get("MONGODB_URI")
        if uri:  # an incremental crawl always has one (from_crawler)
            database = self.settings.get("MONGODB_DATABASE", defaults.MONGODB_DATABASE)
            self.archive_db = open_client(uri)[database]

    async def _archive(self, query, *args, url: str, default=None):
        """Run an archive query off the reactor; on a database error, count it and use `default`."""
        try:
            return await asyncio.to_thread(query, self.archive_db, *args)
        except PyMongoError as error:
            self._problem("archive/unavailable", url, f"{query.__name__}: {error}")
            return default

    def thread_request(self, url: str) -> scrapy.Request:
        """A thread's first page, from any URL of it (tlcrawl.warc.reparse starts threads)."""
        return self._first_thread_request(url)

    def _first_thread_request(self, url: str) -> scrapy.Request:
        """Any URL form of a thread: a thread page goes straight to page 1; a post permalink or a
        legacy URL is requested as given and its redirect lands on the right page."""
        ref = urls.parse_thread_url(url)
        if ref is None:
            raise ValueError(f"-a thread_url= is not a thread or post URL: {url!r}")
        if ref.forum:
            return self._thread_page_request(url, 1)
        return scrapy.Request(url, callback=self.parse_thread_page, priority=THREAD_PAGE_PRIORITY)

    # --- forum list and subforum indexes -----------------------------------------------------

    async def parse_forum_list(self, response: Response):
        forums = parse_forum_list(response.text, response.url)
        if not forums:
            self._problem("forum_list/empty", response.url, "no subforum links on the forum list")
        wanted = [
            forum for forum in forums if not self.forum_filter or forum.slug in self.forum_filter
        ]
        unknown = self.forum_filter - {forum.slug for forum in forums}
        if forums and unknown:
            message = unknown_forums_message(unknown, [forum.slug for forum in forums])
            raise refuse_arguments(self.crawler, message)
        if self.incremental and wanted:
            slugs = [forum.slug for forum in wanted]
            self.synced = await self._archive(
                archive.synced_forums, slugs, url=response.url, default=set()
            )
        for forum in wanted:
            item = ForumItem(
                _id=forum.slug, name=forum.name, url=forum.url, forum_id=forum.forum_id
            )
            self.forums_sent.add(forum.slug)
            reads_all = not self.incremental or forum.slug not in self.synced
            self.forums[forum.slug] = ForumProgress(item, reads_all=reads_all)
            yield item
            if not reads_all:
                await self._resume_incomplete(forum.slug, response.url)
        for request in self._dispatch():
            yield request

    async def _resume_incomplete(self, forum: str, url: str) -> None:
        """Queue the threads a crawl left incomplete in a synced forum, from their checkpoints.

        The index pass may stop before their rows (at the first page showing no change: an
        interrupted refresh completed the threads listed above them), so they do not wait for it.
        """
        stored = await self._archive(archive.incomplete_threads, forum, url=url, default=[])
        rows = [resumable_row(thread_id, forum, thread_url) for thread_id, thread_url in stored]
        plans = await self._plans(rows, url)
        for row in rows:
            if (plan := plans.get(row.thread_id, WHOLE_THREAD)) is not None:
                self.crawler.stats.inc_value("refresh/incomplete_resumed")
                self._enqueue_thread(row, plan, self.forums[forum])

    def _index_request(self, forum: str, page: int) -> scrapy.Request:
        return scrapy.Request(
            urls.forum_index_page_url(self.base_url, forum, page),
            callback=self.parse_forum_index,
            errback=self.on_index_page_error,
            meta={"forum": forum, "index_page": page},
        )

    async def parse_forum_index(self, response: Response):
        index = parse_forum_index(response.text, response.url)
        for problem in index.problems:
            self._problem("index/problems", response.url, problem)
        if not index.rows:
            self._problem("index/no_rows", response.url, "subforum index page lists no threads")
        progress = self.forums.get(response.meta.get("forum", index.forum))
        page = response.meta.get("index_page", index.page)
        if index.error and progress is not None:  # unreadable: its threads wait for a later crawl
            self.crawler.stats.inc_value("index/failed")
            progress.page_failed(page)
        rows = [row for row in index.rows if row.thread_id not in self.threads_seen]
        self._advance_clock(rows)
        plans = await self._plans(rows, response.url)
        changed = False
        for row in rows:
            plan = plans.get(row.thread_id, WHOLE_THREAD)
            if plan is None:
                self.crawler.stats.inc_value("threads/unchanged_skipped")
                continue
            changed = changed or not row.sticky
            self._enqueue_thread(row, plan, progress)
        if progress is not None:
            pages = None if index.error else index.pages
            limit = self.max_index_pages
            if pages is not None and limit is not None and limit < pages:
                pages, progress.clean = limit, False  # the pass never covers the whole index
            progress.page_read(page, pages, len(index.rows), changed)
            if not self.incremental:  # for the progress line's estimate of the time left
                expected = sum(forum.threads_expected for forum in self.forums.values())
                self.crawler.stats.set_value("threads/expected", expected)
        for request in self._dispatch():
            yield request
        for item in self._forum_synced(progress):
            yield item

    def on_index_page_error(self, failure: Failure):
        request = failure.request
        self._problem("index/failed", request.url, f"gave up: {failure.getErrorMessage()}")
        progress = self.forums.get(request.meta.get("forum"))
        if progress is not None:
            progress.page_failed(request.meta["index_page"])
        yield from self._dispatch()
        yield from self._forum_synced(progress)

    def _advance_clock(self, rows: list[IndexRow]) -> None:
        times = [row.last_post_at for row in rows if row.last_post_at is not None]
        if times:
            self.site_now = max([*times, self.site_now] if self.site_now else times)

    async def _plans(self, rows: list[IndexRow], url: str) -> dict:
        """Each row's refresh plan (None: unchanged); every row whole outside incremental crawls."""
        if not self.incremental or not rows:
            return {}
        since = None
        if self.recheck_days and self.site_now is not None:
            since = self.site_now - timedelta(days=self.recheck_days)
        plans = await self._archive(plan_threads, rows, since, url=url)
        if plans is None:  # no way to tell what changed: crawl them all
            self._problem("incremental/db_unavailable", url, "crawling every row")
            return {}
        return plans

    def _enqueue_thread(self, row: IndexRow, plan: RefreshPlan, progress) -> None:
        self.threads_seen.add(row.thread_id)
        if self.max_threads is not None and self.threads_scheduled >= self.max_threads:
            if progress is not None:
                progress.clean = False
            return
        self.threads_scheduled += 1
        self.crawler.stats.inc_value("threads/known")
        if progress is not None:
            progress.threads_pending.add(row.thread_id)
        self.waiting.append((row, plan))

    def _dispatch(self) -> Iterator[scrapy.Request]:
        """Start waiting threads while fewer than TLCRAWL_THREADS_IN_FLIGHT are in flight; read
        the next index page of each forum when few threads wait. Called whenever a thread ends or
        an index page is read: what a crash can cost is bounded by the threads in flight."""
        while self.waiting and self.active < self.threads_in_flight:
            row, plan = self.waiting.popleft()
            self.active += 1
            self.crawler.stats.max_value("threads/max_in_flight", self.active)
            self.threads[row.thread_id] = ThreadState(
                row.thread_id, row.url, forum=row.forum, index_row=row, plan=plan
            )
            if plan.start_page > 1:
                self.crawler.stats.inc_value("refresh/threads_from_page")
            yield self._thread_page_request(row.url, plan.start_page, priority=NEW_THREAD_PRIORITY)
        if len(self.waiting) >= self.threads_in_flight:
            return
        for progress in self.forums.values():
            if progress.wants_page:
                progress.reading = True
                yield self._index_request(progress.item._id, progress.next_page)

    def _thread_ended(self, state: ThreadState) -> None:
        """A listed thread finished or was given up: make room, and settle its forum."""
        if state.index_row is not None:
            self.active -= 1
        progress = self.forums.get(state.forum or "")
        if progress is not None:
            progress.clean = progress.clean and not state.incomplete
            if not state.incomplete:
                progress.threads_completed += 1
            progress.threads_pending.discard(state.thread_id)

    def _forum_synced(self, progress: ForumProgress | None) -> Iterator[ForumItem]:
        if progress is not None and progress.mark_synced():
            self.crawler.stats.inc_value("forums/synced")
            synced = replace(progress.item, synced_at=datetime.now(UTC))
            yield sync_after(synced, progress.threads_completed)

    # --- thread pages ------------------------------------------------------------------------

    def _thread_page_request(
        self,
        canonical_url: str,
        page: int,
        refetch: bool = False,
        priority: int = THREAD_PAGE_PRIORITY,
        meta: dict | None = None,
    ):
        return scrapy.Request(
            urls.thread_page_url(canonical_url, page),
            callback=self.parse_thread_page,
            errback=self.on_thread_page_error,
            priority=priority,
            dont_filter=refetch,
            meta={"thread_page": page, "thread_url": canonical_url, **(meta or {})},
        )

    async def parse_thread_page(self, response: Response):
        parsed = parse_thread_page(response.text, response.url)
        for problem in parsed.problems:
            self._problem("thread_page/problems", response.url, problem)
        if parsed.thread_id is None or parsed.forum is None:
            self._problem("thread_page/not_a_thread", response.url, "no thread id in the URL")
            return
        state = self._thread_state(parsed)
        if state is None:
            self.crawler.stats.inc_value("thread_page/after_finish")
            return
        page = response.meta.get("thread_page", parsed.page)
        if parsed.error:  # nothing on it could be read: a failed page, not an empty one
            self.crawler.stats.inc_value("thread_page/unreadable")
            async for output in self._page_lost(state, page):
                yield output
            return
        if not state.started:
            state.source = source_of(response.meta)
            for request in self._start_thread(state, parsed, page):
                yield request
        if page != parsed.page:  # posts were deleted since the pager was read: no such page now
            self._problem(
                "thread_page/incomplete", response.url, f"asked for page {page}, got {parsed.page}"
            )
            async for item in self._release(state, state.fail_page(page)):
                yield item
            return
        if parsed.skipped_posts:  # a post is lost: come back next time, tombstone nothing now
            state.uncertain = state.incomplete = True
            self.crawler.stats.inc_value("posts/missing_field", parsed.skipped_posts)
        if not parsed.posts:
            self._problem("thread_page/no_posts", response.url, "thread page without posts")
        if response.meta.get("probe") and state.search is not None:
            async for output in self._probed(state, page, parsed, response):
                yield output
            return
        if not state.matches_archive(page, [post.post_id for post in parsed.posts]):
            self.crawler.stats.inc_value("refresh/pages_moved")
            state.begin_search(page)
            async for output in self._search_step(state):
                yield output
        whole = document_is_whole(response.body)
        # A page cut short may have cut its last post too: that one is never kept.
        items = self._page_items(parsed, response, whole)
        shown = len(parsed.posts) + parsed.skipped_posts  # a skipped post is there, not cut
        if not whole or self._looks_cut_short(state, page, shown):
            state.partial[page] = items  # what is kept if every refetch fails
            retry = self._refetch(state, page, len(parsed.posts), response.url)
            if retry is not None:
                yield retry
                return
            if not whole and parsed.posts:
                self._problem("posts/dropped_cut_short", response.url, "the last post may be cut")
        state.partial.pop(page, None)
        async for item in self._release(state, state.add_page(page, items)):
            yield item

    async def _probed(self, state: ThreadState, page: int, parsed: ThreadPage, response):
        """A page looked at to find where the pages moved: does it start as stored?"""
        skip = (page - 1) * POSTS_PER_PAGE
        stored = await self._archive(
            archive.live_posts, state.thread_id, skip, 1, url=response.url, default=None
        )
        if stored is None:  # no archive to compare with: the whole thread
            state.search = None
            for output in self._whole_thread(state):
                yield output
            return
        same = bool(parsed.posts and stored) and parsed.posts[0].post_id == stored[0]._id
        items = None
        if document_is_whole(response.body) and not self._looks_cut_short(
            state, page, len(parsed.posts) + parsed.skipped_posts
        ):
            items = self._page_items(parsed, response)
        state.probed(page, (stored[0]._id, stored[0].number) if same else None, items)
        async for output in self._search_step(state):
            yield output

    async def _search_step(self, state: ThreadState):
        """Ask for the next page of the search, or start the thread where the pages moved."""
        probe = state.next_probe()
        if probe is not None:
            self.crawler.stats.inc_value("refresh/pages_probed")
            yield self._thread_page_request(state.url, probe, meta={"probe": True})
            return
        pages = state.end_search()
        self.logger.info("Pages moved from page %d on: %s", state.plan.start_page, state.url)
        for page in pages:
            yield self._thread_page_request(state.url, page, refetch=page in state.probed_pages)
        async for item in self._release(state, state.release_ready()):
            yield item

    def _whole_thread(self, state: ThreadState) -> Iterator[scrapy.Request]:
        for page in state.fetch_whole():
            yield self._thread_page_request(state.url, page, refetch=page in state.probed_pages)

    async def on_thread_page_error(self, failure: Failure):
        request = failure.request
        page, canonical = request.meta["thread_page"], request.meta["thread_url"]
        self._problem("thread_page/failed", request.url, f"gave up: {failure.getErrorMessage()}")
        if failure.check(DownloadCancelledError):  # larger than DOWNLOAD_MAXSIZE
            self.crawler.stats.inc_value("bounds/page_too_large")
        ref = urls.parse_thread_url(canonical)
        state = self.threads.get(ref.thread_id) if ref else None
        if state is None:
            return
        if request.meta.get("probe") and state.search is not None:  # fetch it all instead
            state.search = None
            for output in self._whole_thread(state):
                yield output
            return
        partial = state.partial.pop(page, None)
        if partial is not None:  # a refetch of a cut-short page failed: keep its whole posts
            state.incomplete = state.uncertain = True
            async for item in self._release(state, state.add_page(page, partial)):
                yield item
            return
        async for output in self._page_lost(state, page):
            yield output

    async def _page_lost(self, state: ThreadState, page: int):
        """A page that failed for good: the thread goes on without it, or, if its first page
        never came (nothing is known beyond the index row), is given up for this crawl."""
        if state.started:
            async for output in self._release(state, state.fail_page(page)):
                yield output
            return
        del self.threads[state.thread_id]
        self.crawler.stats.inc_value("threads/incomplete")
        state.incomplete = True
        self._thread_ended(state)
        for output in [*self._dispatch(), *self._forum_synced(self.forums.get(state.forum or ""))]:
            yield output

    def _thread_state(self, parsed: ThreadPage) -> ThreadState | None:
        """The thread's state; None for a page of a thread this crawl has finished already."""
        state = self.threads.get(parsed.thread_id)
        if state is None and parsed.thread_id in self.threads_seen:
            return None
        if state is None:  # reached without an index row (thread_url, or a redirect)
            self.threads_seen.add(parsed.thread_id)
            self.crawler.stats.inc_value("threads/known")
            state = ThreadState(parsed.thread_id, parsed.url, forum=parsed.forum)
            self.threads[parsed.thread_id] = state
        return state

    def _start_thread(self, state: ThreadState, parsed: ThreadPage, page: int) -> Iterator:
        """The first page of a thread to arrive tells how many pages it has: request the rest."""
        state.url, state.forum, state.title = parsed.url, parsed.forum, parsed.title
        state.replies, state.locked = parsed.replies, parsed.locked
        if parsed.forum not in self.forums_sent:  # thread_url crawls have no forum list
            self.forums_sent.add(parsed.forum)
            yield ForumItem(
                _id=parsed.forum,
                name=parsed.forum_name or parsed.forum,
                url=urls.forum_url(self.base_url, parsed.forum),
            )
        for other in state.start(self._bounded_pages(parsed)):
            if other != page:
                yield self._thread_page_request(parsed.url, other)

    def _bounded_pages(self, parsed: ThreadPage) -> int:
        """The pager's page count, unless the reply count (or the setting) says it cannot be."""
        allowed = self.max_thread_pages
        if parsed.replies is not None:
            allowed = min(allowed, math.ceil((parsed.replies + 1) / POSTS_PER_PAGE))
            allowed += EXTRA_PAGES_ALLOWED
        if parsed.pages > allowed:
            self._problem(
                "bounds/thread_pages_capped",
                parsed.url or "",
                f"pager says {parsed.pages} pages, {allowed} allowed",
            )
            return allowed
        return parsed.pages

    def _looks_cut_short(self, state: ThreadState, page: int, found: int) -> bool:
        expected = state.expected_posts(page)
        return expected is not None and found < expected

    def _refetch(self, state: ThreadState, page: int, found: int, url: str):
        tries = state.refetches.get(page, 0)
        if tries >= INCOMPLETE_PAGE_RETRIES:
            state.incomplete = state.uncertain = True
            self._problem("thread_page/incomplete", url, f"still cut short after {tries} refetches")
            return None
        state.refetches[page] = tries + 1
        self.crawler.stats.inc_value("thread_page/refetched")
        self.logger.warning("Page cut short (%d posts), fetching again: %s", found, url)
        return self._thread_page_request(state.url, page, refetch=True)

    # --- items -------------------------------------------------------------------------------

    def _page_items(self, parsed: ThreadPage, response: Response, whole: bool = True) -> PageItems:
        """The page's posts and users; a page cut short may have cut its last post: not kept."""
        kept = parsed.posts[: None if whole else -1]
        items = PageItems([self._post_item(parsed, post) for post in kept], _page_users(kept))
        for post in items.posts:  # the WARC record the page was read from (tlcrawl.warc)
            post.source = source_of(response.meta)
        return items

    def _post_item(self, page: ThreadPage, post: ParsedPost) -> PostItem:
        # Every field was read in the page's one parse; CleanPostsPipeline only normalises.
        return PostItem(
            _id=post.post_id,
            thread_id=page.thread_id,
            forum=page.forum,
            page=page.page,
            quotes=[quote.to_dict() for quote in post.quotes],
            **dict(zip(_AS_PARSED, _read_as_parsed(post), strict=True)),
        )

    async def _release(self, state: ThreadState, pages: list[PageItems]):
        """Pass on released pages in order: each page's posts, then the users they summarise;
        then the thread's checkpoint; when the thread is complete, its tombstones and ThreadItem
        (and its forum's sync mark when it was the forum's last thread). Every item is stamped
        with its place in this order, which the pipelines keep (see items.stamp)."""
        items: list = []
        for page in pages:
            self.crawler.stats.inc_value("posts/yielded", len(page.posts))
            items += [*page.posts, *page.users]
        if pages and state.stored_through:
            first = state.first_post
            items.append(
                ThreadProgressItem(
                    _id=state.thread_id,
                    pages_stored=state.stored_through,
                    author=first.author if first else None,
                    first_post_at=first.posted_at if first else None,
                    forum=state.forum,
                    url=state.url,
                )
            )
        state.stamp_items(items)  # now: while the await below runs, other pages may be released
        if state.complete:
            tail = [*await self._tombstones(state), self._finish_thread(state)]
            self._thread_ended(state)
            tail += self._forum_synced(self.forums.get(state.forum or ""))
            state.stamp_items(tail, last=True)
            items += tail
            items += self._dispatch()
        for item in items:
            yield item

    async def _tombstones(self, state: ThreadState) -> list[PostDeletedItem]:
        """Stored posts the crawl no longer found where they were: gone from the site."""
        if self.archive_db is None or state.incomplete or state.uncertain:
            return []
        stored = await self._archive(
            archive.live_ids_from,
            state.thread_id,
            state.plan.start_number,
            url=state.url,
            default=set(),
        )
        gone = sorted(stored - state.seen)
        self.crawler.stats.inc_value("posts/tombstoned", len(gone))
        now = datetime.now(UTC)
        return [PostDeletedItem(_id=i, thread_id=state.thread_id, deleted_at=now) for i in gone]

    def _finish_thread(self, state: ThreadState) -> ThreadItem:
        del self.threads[state.thread_id]
        stats = self.crawler.stats
        stats.inc_value("threads/incomplete" if state.incomplete else "threads/completed")
        if state.failed:
            stats.inc_value("threads/with_failed_pages")
        row, first = state.index_row, state.first_post
        if state.replies is not None and state.plan.whole:
            announced, missing = state.replies + 1, state.replies + 1 - len(state.seen)
            stats.inc_value("threads/posts_announced", announced)
            if missing > 0:
                stats.inc_value("threads/posts_missing", missing)
                stats.inc_value("threads/short")
        return ThreadItem(
            _id=state.thread_id,
            forum=state.forum,
            title=state.title,
            url=state.url,
            author=first.author if first else (row.author if row else None),
            replies=state.replies,
            views=row.views if row else None,
            pages=state.pages,
            locked=state.locked or bool(row and row.locked),
            sticky=bool(row and row.sticky),
            first_post_at=first.posted_at if first else None,
            last_post_at=state.last_post.posted_at if state.last_post else None,
            complete=not state.incomplete,
            pages_stored=state.stored_through,
            source=state.source,
        )

    def _problem(self, stat: str, url: str, message: str) -> None:
        self.crawler.stats.inc_value(stat)
        self.logger.warning("%s: %s (%s)", stat, message, url)

    def closed(self, reason: str) -> None:
        if self.archive_db is not None:
            self.archive_db.client.close()
        for state in self.threads.values():
            self._problem("threads/incomplete", state.url, "crawl ended before all pages were in")
        if self.waiting:  # listed, never started (the crawl was stopped): the next one does them
            self.crawler.stats.inc_value("threads/not_started", len(self.waiting))
            self.logger.warning("%d listed threads were never started", len(self.waiting))


def _page_users(posts: list[ParsedPost]) -> list[UserItem]:
    """One UserItem per author of a page's `posts`, with the first and last of their times there.

    Profile fields come from the latest post; the writer merges times with $min/$max, so each
    page's users are one summary among many and no crawl-wide map of users is kept.
    """
    users: dict[str, UserItem] = {}
    for post in posts:
        user = users.get(post.author)
        if user is None:
            user = users[post.author] = UserItem(
                _id=post.author,
                profile_url=post.profile_url,
                first_post_at=post.posted_at,
                last_post_at=post.posted_at,
            )
        user.first_post_at = min(user.first_post_at, post.posted_at)
        user.last_post_at = max(user.last_post_at, post.posted_at)
        user.country, user.post_count, user.joined = post.country, post.post_count, post.joined
    return list(users.values())
