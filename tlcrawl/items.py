"""Items yielded by the spider: forums, threads, posts and users, one dataclass for each, plus two
partial updates (a thread's checkpoint, a post's deletion). COLLECTIONS below says where each goes.

Field names are the stored field names (``_id`` included), so a feed export (``-O items.jsonl``) and
the database hold the same shapes. See ``docs/data-contract.md`` for every field's meaning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tlcrawl.storage.schema import FORUMS, POSTS, THREADS, TOMBSTONES, USERS


@dataclass
class ForumItem:
    _id: str
    name: str
    url: str
    forum_id: int | None = None
    # When a crawl last read this forum's whole index and stored every thread in it complete. An
    # incremental crawl stops reading the index at the first unchanged page only once it is set.
    synced_at: datetime | None = None


@dataclass
class ThreadItem:
    _id: int
    forum: str
    title: str
    url: str
    author: str | None = None
    replies: int | None = None
    views: int | None = None
    pages: int | None = None
    locked: bool = False
    sticky: bool = False
    first_post_at: datetime | None = None
    last_post_at: datetime | None = None
    # False when a page failed or stayed cut short: an incremental crawl comes back to the thread.
    complete: bool = True
    # Pages 1..pages_stored are durably stored (a resume checkpoint; see ThreadProgressItem).
    pages_stored: int | None = None
    crawled_at: datetime | None = None
    # The WARC file and record of the page this was read from (tlcrawl.warc); None: no capture.
    source: dict[str, str] | None = None


@dataclass
class ThreadProgressItem:
    """A thread's checkpoint while its pages are stored: pages 1..pages_stored are durable.

    Written to the thread's document after the posts (and users) of those pages, and marking the
    thread not complete until its ThreadItem arrives, so that a crawl killed at any point resumes
    the thread from its checkpoint.
    """

    _id: int
    pages_stored: int
    complete: bool = False
    # Known once post #1 is stored; a crawl resumed past page 1 never sees it again.
    author: str | None = None
    first_post_at: datetime | None = None
    # Where the thread is, so that a later crawl can resume it without its index row.
    forum: str | None = None
    url: str | None = None


@dataclass
class PostItem:
    _id: int
    thread_id: int
    forum: str
    page: int
    number: int
    url: str
    author: str
    posted_at: datetime
    edited_at: datetime | None = None
    html: str = ""
    text: str = ""
    # Each quote: {author, quoted_at, text, parent_id, confidence, quotes}; see the data contract.
    quotes: list[dict[str, Any]] = field(default_factory=list)
    reply_to: list[int] = field(default_factory=list)
    signature: str | None = None
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    tl_plus: bool = False
    content_hash: str | None = None
    # When a crawl found the post gone from its page (a tombstone: the data is kept); None while
    # the post is on the site. Written by PostDeletedItem, cleared when the post is seen again.
    deleted_at: datetime | None = None
    crawled_at: datetime | None = None
    # The WARC file and record of the page this was read from (tlcrawl.warc); None: no capture.
    source: dict[str, str] | None = None


@dataclass
class PostDeletedItem:
    """A stored post that a crawl found gone from its thread: its document gets `deleted_at`."""

    _id: int
    thread_id: int
    deleted_at: datetime


@dataclass
class UserItem:
    _id: str
    profile_url: str
    country: str | None = None
    post_count: int | None = None
    joined: str | None = None
    first_post_at: datetime | None = None
    last_post_at: datetime | None = None


def walk_quotes(quotes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """A post's quotes (PostItem.quotes, the stored shape) depth first: each quote, then the
    quotes nested in it."""
    for quote in quotes:
        yield quote
        yield from walk_quotes(quote.get("quotes") or [])


# Where the writer files each item type: its MongoDB collection, or TOMBSTONES (an update of
# `posts`, never an insert).
COLLECTIONS: dict[type, str] = {
    ForumItem: FORUMS,
    ThreadItem: THREADS,
    ThreadProgressItem: THREADS,
    PostItem: POSTS,
    PostDeletedItem: TOMBSTONES,
    UserItem: USERS,
}


# --- Release order ------------------------------------------------------------------------------
# Scrapy runs a callback's items through the pipelines concurrently, and items of two callbacks
# interleave, so a thread's items could reach the quote resolver (which needs earlier posts
# first) and the writer (whose order makes crashes safe) out of the order the spider released
# them in. The spider stamps each thread's items with their place in that order; the
# ReleaseOrderPipeline lets them through in it. The stamp is not a field: never stored or exported.
_RELEASE_STAMP = "_release_stamp"


@dataclass(frozen=True)
class ReleaseStamp:
    thread_id: int
    position: int  # 0, 1, 2, ... in release order
    last: bool = False  # nothing of this thread follows


def stamp(item: Any, release: ReleaseStamp) -> Any:
    item.__dict__[_RELEASE_STAMP] = release
    return item


def stamp_of(item: Any) -> ReleaseStamp | None:
    return getattr(item, _RELEASE_STAMP, None)


# A forum's sync mark vouches for every thread of it this crawl stored complete. Those threads'
# items may still be on their way through the pipelines (an archive lookup can hold a thread
# back) when the mark is released, so it carries how many complete threads must reach storage
# before it (MongoWriterPipeline holds it until then). Not a field either.
_SYNC_AFTER = "_sync_after_threads"


def sync_after(forum: ForumItem, threads: int) -> ForumItem:
    forum.__dict__[_SYNC_AFTER] = threads
    return forum


def sync_after_of(item: Any) -> int | None:
    return getattr(item, _SYNC_AFTER, None)
