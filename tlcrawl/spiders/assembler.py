"""Reassemble a thread from pages that arrive in any order.

Pages of a thread are downloaded concurrently, but the quote pipeline needs each thread's posts in
page order (a post can only quote earlier posts) and a signal when the thread is complete. A
`ThreadAssembler` holds parsed pages until every earlier page is in (or has failed for good), then
releases them in order; memory is bounded by the largest thread, not the whole crawl.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tlcrawl.items import PostItem


@dataclass
class ThreadAssembler:
    thread_id: int
    pages: int
    _waiting: dict[int, list[PostItem]] = field(default_factory=dict)
    _failed: set[int] = field(default_factory=set)
    _next_page: int = 1

    def add_page(self, page: int, posts: list[PostItem]) -> Iterator[PostItem]:
        """Record a parsed page; yield every post that can now be released in order."""
        if page < self._next_page or page in self._waiting:
            return  # a page answered twice (retry after truncation): the first copy counts
        self._waiting[page] = posts
        yield from self._release()

    def fail_page(self, page: int) -> Iterator[PostItem]:
        """A page that could not be fetched: stop waiting for it."""
        if page >= self._next_page:
            self._failed.add(page)
        yield from self._release()

    @property
    def complete(self) -> bool:
        return self._next_page > self.pages

    @property
    def failed_pages(self) -> list[int]:
        return sorted(self._failed)

    def _release(self) -> Iterator[PostItem]:
        while not self.complete:
            page = self._next_page
            if page in self._waiting:
                posts = self._waiting.pop(page)
                yield from posts
            elif page not in self._failed:
                return
            self._next_page += 1
