"""`scrapy crawl threads`: forum list → subforum indexes → every page of every thread.

Crawling only: which page to request next and with which arguments. Parsing lives in
`tlcrawl.parsing` (pure functions); cleaning, quote resolution and storage are item pipelines.

Arguments (`-a name=value`): base_url, forums (comma-separated slugs), thread_url, max_threads,
max_index_pages, incremental (skip threads unchanged since the stored crawl), render
(auto|always|never). See the README for details.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field, replace
from urllib.parse import urlsplit

import scrapy
from pymongo.errors import PyMongoError
from scrapy.http import Response
from twisted.python.failure import Failure

from tlcrawl import defaults
from tlcrawl.items import ForumItem, PostItem, ThreadItem, UserItem
from tlcrawl.parsing import urls
from tlcrawl.parsing.forum_index import IndexRow, parse_forum_index
from tlcrawl.parsing.forum_list import parse_forum_list
from tlcrawl.parsing.thread_page import ParsedPost, ThreadPage, parse_thread_page
from tlcrawl.spiders.assembler import ThreadAssembler
from tlcrawl.storage.client import open_client
from tlcrawl.storage.known_threads import is_unchanged, stored_thread_marks

POSTS_PER_PAGE = 20
# Pages of started threads outrank the first pages of new threads, which outrank index pages: a
# started thread finishes (and frees its memory) before new ones start.
THREAD_PAGE_PRIORITY = 10
NEW_THREAD_PRIORITY = 5
# How often a page that came back cut short (fewer posts than the thread must have there) is
# fetched again before its posts are taken as they are.
INCOMPLETE_PAGE_RETRIES = 2


_DOCUMENT_END = re.compile(rb"</html\s*>", re.IGNORECASE)


def document_is_whole(body: bytes) -> bool:
    """A page whose download was cut short lacks its closing `</html>`, even when lxml's
    recovery makes the rest look fine (a post cut in half still parses as a post). Anything
    after `</html>` (a trailing script or comment) does not matter."""
    return bool(_DOCUMENT_END.search(body))


@dataclass
class ThreadState:
    """What the spider knows about one thread while its pages are in flight."""

    thread_id: int
    url: str
    index_row: IndexRow | None = None
    assembler: ThreadAssembler | None = None
    first_page: ThreadPage | None = None
    last_post: PostItem | None = None
    first_post: PostItem | None = None
    refetches: dict[int, int] = field(default_factory=dict)
    partial: dict[int, list[PostItem]] = field(default_factory=dict)  # cut-short pages' posts
    incomplete: bool = False  # a page failed or stayed cut short: the next crawl must come back
    authors: set[str] = field(default_factory=set)


def _bool_arg(value: str | bool | None) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _int_arg(value: str | int | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"-a {name}= takes a whole number, got {value!r}") from None
    if number < 1:
        raise ValueError(f"-a {name}= must be at least 1, got {number}")
    return number


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
        render: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.base_url_arg = base_url
        self.forum_filter = {slug.strip() for slug in (forums or "").split(",") if slug.strip()}
        self.thread_url = thread_url
        self.max_threads = _int_arg(max_threads, "max_threads")
        self.max_index_pages = _int_arg(max_index_pages, "max_index_pages")
        if render not in (None, "auto", "always", "never"):
            raise ValueError(f"-a render= takes auto, always or never, got {render!r}")
        self.render = render  # None: the TLCRAWL_RENDER setting decides (tlcrawl.rendering)
        self.incremental = _bool_arg(incremental)
        self.stored_db = None  # the database an incremental crawl compares index rows with
        self.threads: dict[int, ThreadState] = {}
        self.users: dict[str, UserItem] = {}
        self.users_sent: dict[str, tuple] = {}  # what was last yielded per user, to skip repeats
        self.forums_sent: set[str] = set()
        self.threads_scheduled = 0
        self.threads_seen: set[int] = set()  # ids only: a finished thread's state is freed
        self.threads_assembling = 0  # threads with pages held in memory (stat: max_in_flight)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
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
            parts = urlsplit(self.thread_url)
            return f"{parts.scheme}://{parts.netloc}"
        return self.settings.get("TLCRAWL_BASE_URL", defaults.BASE_URL).rstrip("/")

    async def start(self):
        if self.incremental:
            self._open_stored_db()
        if self.thread_url:
            yield self._first_thread_request(self.thread_url)
        else:
            yield scrapy.Request(f"{self.base_url}/forum/", callback=self.parse_forum_list)

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

    def parse_forum_list(self, response: Response):
        forums = parse_forum_list(response.text, response.url)
        if not forums:
            self._problem("forum_list/empty", response.url, "no subforum links on the forum list")
        wanted = [
            forum for forum in forums if not self.forum_filter or forum.slug in self.forum_filter
        ]
        for missing in self.forum_filter - {forum.slug for forum in forums}:
            self._problem("forum_list/unknown_slug", response.url, f"no subforum {missing!r}")
        for forum in wanted:
            self.forums_sent.add(forum.slug)
            yield ForumItem(_id=forum.slug, name=forum.name, url=forum.url, forum_id=forum.forum_id)
            yield scrapy.Request(
                urls.forum_index_page_url(self.base_url, forum.slug, 1),
                callback=self.parse_forum_index,
            )

    async def parse_forum_index(self, response: Response):
        index = parse_forum_index(response.text, response.url)
        for problem in index.problems:
            self._problem("index/problems", response.url, problem)
        if not index.rows:
            self._problem("index/no_rows", response.url, "subforum index page lists no threads")
        if index.page == 1:  # first, so that nothing below can keep the other pages from the crawl
            last = (
                index.pages
                if self.max_index_pages is None
                else min(index.pages, self.max_index_pages)
            )
            for page in range(2, last + 1):
                yield scrapy.Request(
                    urls.forum_index_page_url(self.base_url, index.forum, page),
                    callback=self.parse_forum_index,
                )
        for row in await self._rows_to_crawl(index.rows, response.url):
            for request in self._schedule_thread(row):
                yield request

    def _open_stored_db(self) -> None:
        uri = self.settings.get("MONGODB_URI")
        if not uri:
            raise ValueError("-a incremental=1 compares with the stored crawl: set MONGODB_URI")
        self.stored_db = open_client(uri)[
            self.settings.get("MONGODB_DATABASE", defaults.MONGODB_DATABASE)
        ]

    async def _rows_to_crawl(self, rows: list[IndexRow], url: str) -> list[IndexRow]:
        """All rows; in an incremental crawl, only threads with posts added since stored."""
        if self.stored_db is None or not rows:
            return rows
        ids = [row.thread_id for row in rows]
        try:
            stored = await asyncio.to_thread(stored_thread_marks, self.stored_db, ids)
        except PyMongoError as error:  # no way to tell what changed: crawl them all
            self._problem("incremental/db_unavailable", url, f"crawling every row: {error}")
            return rows
        changed = [
            row
            for row in rows
            if not is_unchanged(stored.get(row.thread_id), row.replies, row.last_post_at)
        ]
        self.crawler.stats.inc_value("threads/unchanged_skipped", len(rows) - len(changed))
        return changed

    def _schedule_thread(self, row: IndexRow) -> Iterator[scrapy.Request]:
        if row.thread_id in self.threads_seen:
            return  # a thread listed twice (a sticky, or one that moved up between index pages)
        self.threads_seen.add(row.thread_id)
        if self.max_threads is not None and self.threads_scheduled >= self.max_threads:
            return
        self.threads_scheduled += 1
        self.threads[row.thread_id] = ThreadState(row.thread_id, row.url, index_row=row)
        yield self._thread_page_request(row.url, 1, priority=NEW_THREAD_PRIORITY)

    # --- thread pages ------------------------------------------------------------------------

    def _thread_page_request(
        self,
        canonical_url: str,
        page: int,
        refetch: bool = False,
        priority: int = THREAD_PAGE_PRIORITY,
    ):
        return scrapy.Request(
            urls.thread_page_url(canonical_url, page),
            callback=self.parse_thread_page,
            errback=self.on_thread_page_error,
            priority=priority,
            dont_filter=refetch,
            meta={"thread_page": page, "thread_url": canonical_url},
        )

    def parse_thread_page(self, response: Response):
        parsed = parse_thread_page(response.text, response.url)
        for problem in parsed.problems:
            self._problem("thread_page/problems", response.url, problem)
        if parsed.thread_id is None or parsed.forum is None:
            self._problem("thread_page/not_a_thread", response.url, "no thread id in the URL")
            return
        state = self._thread_state(parsed)
        if state.assembler is None:
            yield from self._start_thread(state, parsed)
        page = response.meta.get("thread_page", parsed.page)
        if page != parsed.page:  # posts were deleted since the pager was read: no such page now
            self._give_up_page(state, response.url, f"asked for page {page}, got {parsed.page}")
            yield from self._release(state, state.assembler.fail_page(page))
            return
        if not parsed.posts:
            self._problem("thread_page/no_posts", response.url, "thread page without posts")
        whole = document_is_whole(response.body)
        # A page cut short may have cut its last post too: that one is never kept.
        posts = [self._post_item(parsed, post) for post in parsed.posts[: None if whole else -1]]
        if not whole or self._looks_cut_short(state, parsed):
            state.partial[page] = posts  # what is kept if every refetch fails
            retry = self._refetch(state, page, len(parsed.posts), response.url)
            if retry is not None:
                yield retry
                return
            if not whole and parsed.posts:
                self._problem("posts/dropped_cut_short", response.url, "the last post may be cut")
        state.partial.pop(page, None)
        yield from self._release(state, state.assembler.add_page(page, posts))

    def on_thread_page_error(self, failure: Failure):
        request = failure.request
        page, canonical = request.meta["thread_page"], request.meta["thread_url"]
        self._problem("thread_page/failed", request.url, f"gave up: {failure.getErrorMessage()}")
        ref = urls.parse_thread_url(canonical)
        state = self.threads.get(ref.thread_id) if ref else None
        if state is None:
            return
        if state.assembler is None:  # page 1 never came: nothing is known beyond the index row
            del self.threads[state.thread_id]
            return
        state.incomplete = True
        partial = state.partial.pop(page, None)
        if partial is not None:  # a refetch of a cut-short page failed: keep its whole posts
            yield from self._release(state, state.assembler.add_page(page, partial))
        else:
            yield from self._release(state, state.assembler.fail_page(page))

    def _give_up_page(self, state: ThreadState, url: str, why: str) -> None:
        state.incomplete = True
        self._problem("thread_page/incomplete", url, why)

    def _thread_state(self, parsed: ThreadPage) -> ThreadState:
        state = self.threads.get(parsed.thread_id)
        if state is None:  # reached without an index row (thread_url, or a redirect)
            state = ThreadState(parsed.thread_id, parsed.url)
            self.threads[parsed.thread_id] = state
        return state

    def _start_thread(self, state: ThreadState, parsed: ThreadPage) -> Iterator[scrapy.Request]:
        """The first page of a thread to arrive tells how many pages it has: request the rest."""
        state.url = parsed.url
        state.first_page = parsed
        state.assembler = ThreadAssembler(parsed.thread_id, parsed.pages)
        self.threads_assembling += 1
        self.crawler.stats.max_value("threads/max_in_flight", self.threads_assembling)
        if parsed.forum not in self.forums_sent:  # thread_url crawls have no forum list
            self.forums_sent.add(parsed.forum)
            yield ForumItem(
                _id=parsed.forum,
                name=parsed.forum_name or parsed.forum,
                url=urls.forum_url(self.base_url, parsed.forum),
            )
        for page in range(1, parsed.pages + 1):
            if page != parsed.page:
                yield self._thread_page_request(parsed.url, page)

    def _expected_posts(self, state: ThreadState, page: int) -> int | None:
        first = state.first_page
        if first is None or first.replies is None:
            return POSTS_PER_PAGE if page < (first.pages if first else 1) else None
        if page < first.pages:
            return POSTS_PER_PAGE
        return first.replies + 1 - POSTS_PER_PAGE * (first.pages - 1)

    def _looks_cut_short(self, state: ThreadState, parsed: ThreadPage) -> bool:
        expected = self._expected_posts(state, parsed.page)
        return expected is not None and len(parsed.posts) < expected

    def _refetch(self, state: ThreadState, page: int, found: int, url: str):
        tries = state.refetches.get(page, 0)
        if tries >= INCOMPLETE_PAGE_RETRIES:
            self._give_up_page(state, url, f"still cut short after {tries} refetches")
            return None
        state.refetches[page] = tries + 1
        self.crawler.stats.inc_value("thread_page/refetched")
        self.logger.warning("Page cut short (%d posts), fetching again: %s", found, url)
        return self._thread_page_request(state.url, page, refetch=True)

    # --- items -------------------------------------------------------------------------------

    def _post_item(self, page: ThreadPage, post: ParsedPost) -> PostItem:
        self._note_user(post)
        return PostItem(
            _id=post.post_id,
            thread_id=page.thread_id,
            forum=page.forum,
            page=page.page,
            number=post.number,
            url=urls.post_url(self.base_url, post.post_id),
            author=post.author,
            posted_at=post.posted_at,
            edited_at=post.edited_at,
            html=post.html,
            signature=post.signature_html,  # turned into text by CleanPostsPipeline
            tl_plus=post.tl_plus,
        )

    def _note_user(self, post: ParsedPost) -> None:
        user = self.users.get(post.author)
        if user is None:
            user = UserItem(
                _id=post.author,
                profile_url=post.profile_url or urls.profile_url(self.base_url, post.author),
            )
            user.first_post_at = user.last_post_at = post.posted_at
            self.users[post.author] = user
        user.country = post.country
        user.post_count = post.post_count
        user.joined = post.joined
        user.first_post_at = min(user.first_post_at, post.posted_at)
        user.last_post_at = max(user.last_post_at, post.posted_at)

    def _release(self, state: ThreadState, posts: Iterator[PostItem]):
        """Pass on posts in page order; when the thread is complete, its thread and user items."""
        for post in posts:
            state.first_post = state.first_post or post
            state.last_post = post
            state.authors.add(post.author)
            self.crawler.stats.inc_value("posts/yielded")
            yield post
        if state.assembler.complete:
            yield from self._finish_thread(state)
            yield from self._changed_users(state.authors)

    def _changed_users(self, names: set[str]) -> Iterator[UserItem]:
        """User items whose data changed since last yielded (the writer merges with $min/$max)."""
        for name in sorted(names):
            user = self.users[name]
            snapshot = astuple(user)
            if self.users_sent.get(name) != snapshot:
                self.users_sent[name] = snapshot
                yield replace(user)

    def _finish_thread(self, state: ThreadState) -> Iterator[ThreadItem]:
        del self.threads[state.thread_id]
        self.threads_assembling -= 1
        self.crawler.stats.inc_value("threads/completed")
        if state.assembler.failed_pages:
            self.crawler.stats.inc_value("threads/with_failed_pages")
        first, row = state.first_page, state.index_row
        first_post = state.first_post
        yield ThreadItem(
            _id=state.thread_id,
            forum=first.forum,
            title=first.title,
            url=first.url,
            author=first_post.author
            if first_post and first_post.number == 1
            else (row.author if row else None),
            replies=first.replies,
            views=row.views if row else None,
            pages=first.pages,
            locked=first.locked or bool(row and row.locked),
            sticky=bool(row and row.sticky),
            first_post_at=first_post.posted_at if first_post and first_post.number == 1 else None,
            last_post_at=state.last_post.posted_at if state.last_post else None,
            complete=not state.incomplete,
        )

    def _problem(self, stat: str, url: str, message: str) -> None:
        self.crawler.stats.inc_value(stat)
        self.logger.warning("%s: %s (%s)", stat, message, url)

    def closed(self, reason: str) -> None:
        if self.stored_db is not None:
            self.stored_db.client.close()
        for state in self.threads.values():
            self._problem("threads/incomplete", state.url, "crawl ended before all pages were in")
