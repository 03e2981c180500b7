"""What the archive already holds, read by the spider (to plan refreshes) and the quote pipeline.

Every function is one indexed query (blocking: callers run them off the reactor with
`asyncio.to_thread`). "Live" posts are those without a tombstone (`deleted_at` null or absent),
in thread order (`number`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from tlcrawl.storage.schema import FORUMS, POSTS, THREADS, USERS

LIVE = {"deleted_at": None}


@dataclass(frozen=True)
class StoredThread:
    """A thread document's crawl state."""

    replies: int | None
    last_post_at: datetime | None
    complete: bool
    pages_stored: int | None  # pages 1..pages_stored are durably stored


@dataclass(frozen=True)
class StoredPost:
    """What quote resolution and page checks need of a stored post."""

    _id: int
    number: int
    author: str | None = None
    posted_at: datetime | None = None
    text: str = ""
    edited: bool = False


def stored_threads(db: Database, thread_ids: list[int]) -> dict[int, StoredThread]:
    fields = {"replies": 1, "last_post_at": 1, "complete": 1, "pages_stored": 1, "pages": 1}
    found = {}
    for doc in db[THREADS].find({"_id": {"$in": thread_ids}}, fields):
        complete = doc.get("complete", True)
        # Archives from before checkpoints: a complete thread had all of its pages stored.
        pages_stored = doc.get("pages_stored", doc.get("pages") if complete else 0)
        found[doc["_id"]] = StoredThread(
            doc.get("replies"),
            doc.get("last_post_at"),
            complete,
            pages_stored,
        )
    return found


def synced_forums(db: Database, slugs: list[str]) -> set[str]:
    """The forums whose whole index a crawl has read and stored."""
    query = {"_id": {"$in": slugs}, "synced_at": {"$ne": None}}
    return {doc["_id"] for doc in db[FORUMS].find(query, {"_id": 1})}


def incomplete_threads(db: Database, forum: str) -> list[tuple[int, str]]:
    """(thread id, URL) of the forum's threads stored not complete, where the URL is known."""
    query = {"forum": forum, "complete": False, "url": {"$type": "string"}}
    return [(doc["_id"], doc["url"]) for doc in db[THREADS].find(query, {"url": 1})]


def count_live_posts(db: Database, thread_id: int) -> int:
    return db[POSTS].count_documents({"thread_id": thread_id, **LIVE})


def live_posts(db: Database, thread_id: int, skip: int, limit: int) -> list[StoredPost]:
    """Live posts at thread positions skip+1 .. skip+limit."""
    cursor = (
        db[POSTS]
        .find({"thread_id": thread_id, **LIVE}, {"number": 1})
        .sort("number", ASCENDING)
        .skip(skip)
        .limit(limit)
    )
    return [StoredPost(doc["_id"], doc["number"]) for doc in cursor]


def users_cover_posts(db: Database, thread_id: int, skip: int) -> bool:
    """Whether the users stored summarise the thread's live posts after the first `skip`: each
    author's first and last post times span theirs (users are written after their posts, so a
    crash may have stored posts whose users it lost)."""
    cursor = (
        db[POSTS]
        .find({"thread_id": thread_id, **LIVE}, {"author": 1, "posted_at": 1})
        .sort("number", ASCENDING)
        .skip(skip)
    )
    spans: dict[str, tuple[datetime, datetime]] = {}
    for post in cursor:
        first, last = spans.get(post["author"], (post["posted_at"], post["posted_at"]))
        spans[post["author"]] = (min(first, post["posted_at"]), max(last, post["posted_at"]))
    users = {doc["_id"]: doc for doc in db[USERS].find({"_id": {"$in": list(spans)}})}
    return all(
        author in users
        and (users[author].get("first_post_at") or last) <= first
        and (users[author].get("last_post_at") or first) >= last
        for author, (first, last) in spans.items()
    )


def live_ids_from(db: Database, thread_id: int, number: int | None) -> set[int]:
    """Ids of the live posts numbered `number` or later (all of them for None)."""
    query: dict = {"thread_id": thread_id, **LIVE}
    if number is not None:
        query["number"] = {"$gte": number}
    return {doc["_id"] for doc in db[POSTS].find(query, {"_id": 1})}


def first_position_since(db: Database, thread_id: int, since: datetime) -> int | None:
    """The thread position (1-based, live posts) of its first post posted at `since` or later."""
    query = {"thread_id": thread_id, "posted_at": {"$gte": since}, **LIVE}
    first = db[POSTS].find_one(query, {"number": 1}, sort=[("number", ASCENDING)])
    if first is None:
        return None
    before = {"thread_id": thread_id, "number": {"$lt": first["number"]}, **LIVE}
    return db[POSTS].count_documents(before) + 1


_CANDIDATE_FIELDS = {"number": 1, "author": 1, "posted_at": 1, "text": 1, "edited_at": 1}


def _stored_post(doc: dict) -> StoredPost:
    return StoredPost(
        doc["_id"],
        doc["number"],
        doc.get("author"),
        doc.get("posted_at"),
        doc.get("text") or "",
        doc.get("edited_at") is not None,
    )


def posts_in_minute(
    db: Database, thread_id: int, author: str, minute: datetime
) -> list[StoredPost]:
    """The thread's stored posts by `author` posted in `minute` (tombstoned ones included: a
    quote may well quote a post deleted since)."""
    query = {
        "thread_id": thread_id,
        "author": author,
        "posted_at": {"$gte": minute, "$lt": minute + timedelta(minutes=1)},
    }
    return [_stored_post(doc) for doc in db[POSTS].find(query, _CANDIDATE_FIELDS)]


def posts_before(db: Database, thread_id: int, before_number: int, limit: int) -> list[StoredPost]:
    """The `limit` posts of the thread just before post number `before_number`."""
    query = {"thread_id": thread_id, "number": {"$lt": before_number}}
    cursor = db[POSTS].find(query, _CANDIDATE_FIELDS).sort("number", DESCENDING).limit(limit)
    return [_stored_post(doc) for doc in cursor]
