"""Items yielded by the spider, one dataclass per MongoDB collection.

Field names are the stored field names (``_id`` included), so a feed export (``-O posts.jsonl``) and
the database hold the same shapes. See ``docs/data-contract.md`` for every field's meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tlcrawl.storage.schema import FORUMS, POSTS, THREADS, USERS


@dataclass
class ForumItem:
    _id: str
    name: str
    url: str
    forum_id: int | None = None


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
    crawled_at: datetime | None = None


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
    crawled_at: datetime | None = None


@dataclass
class UserItem:
    _id: str
    profile_url: str
    country: str | None = None
    post_count: int | None = None
    joined: str | None = None
    first_post_at: datetime | None = None
    last_post_at: datetime | None = None


# The MongoDB collection each item type is written to.
COLLECTIONS: dict[type, str] = {
    ForumItem: FORUMS,
    ThreadItem: THREADS,
    PostItem: POSTS,
    UserItem: USERS,
}
