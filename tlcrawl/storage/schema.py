"""Collection names and indexes of the archive.

`ensure_indexes` is idempotent (MongoDB treats re-creating an identical index as a no-op), so the
writer calls it at every start. The text index on `posts.text` is optional: servers without text
search (secantusdb, used for tests and local runs) refuse it with code 67, and the archive works
without it; the query tool asks `server_supports_text_index` before using `$text`.
"""

from __future__ import annotations

import logging

from pymongo import ASCENDING, DESCENDING, TEXT, IndexModel
from pymongo.database import Database
from pymongo.errors import OperationFailure

logger = logging.getLogger(__name__)

FORUMS = "forums"
THREADS = "threads"
POSTS = "posts"
USERS = "users"
# Not a collection: the writer's name for tombstone updates of `posts` (PostDeletedItem).
TOMBSTONES = "posts:deleted"
# The order a flush writes in: a thread's checkpoint and completeness after its posts and users
# (and a forum's sync mark after its threads), so a crash between two writes never marks
# something stored that is not.
WRITE_ORDER = (POSTS, TOMBSTONES, USERS, THREADS, FORUMS)


def collection_of(kind: str) -> str:
    """The collection a writer batch key writes to."""
    return POSTS if kind == TOMBSTONES else kind


COLLECTIONS = (FORUMS, THREADS, POSTS, USERS)  # the archive
# Not part of the archive: one summary per crawl, which the next crawl's checks compare with
# (tlcrawl.monitoring.history).
CRAWLS = "crawls"

TEXT_INDEX_NAME = "posts_text"
THREAD_ORDER_INDEX = "thread_id_1_number_1"
CANNOT_CREATE_INDEX = 67  # the server error code for an index type it does not support

INDEXES: dict[str, list[IndexModel]] = {
    POSTS: [
        # "Posts of thread X in order". Not unique: a deleted post keeps its number as a tombstone,
        # and where the site renumbers after a deletion a live post takes that number; identity is
        # the post id.
        IndexModel([("thread_id", ASCENDING), ("number", ASCENDING)], name=THREAD_ORDER_INDEX),
        # Quote parents looked up in the archive: a thread's posts by author and posted minute.
        IndexModel([("thread_id", ASCENDING), ("author", ASCENDING), ("posted_at", ASCENDING)]),
        IndexModel([("author", ASCENDING), ("posted_at", DESCENDING)]),
        IndexModel([("reply_to", ASCENDING)]),  # "who replied to post X"
        IndexModel([("quotes.parent_id", ASCENDING)]),  # "who quotes post X"
    ],
    THREADS: [
        IndexModel([("forum", ASCENDING), ("last_post_at", DESCENDING)]),
        # A synced forum's threads left incomplete, which an incremental crawl resumes first.
        IndexModel([("forum", ASCENDING), ("complete", ASCENDING)]),
    ],
    USERS: [IndexModel([("last_post_at", DESCENDING)])],  # recently active users
}


def ensure_indexes(db: Database) -> bool:
    """Create every index (a no-op when they exist); return whether the text index exists."""
    _drop_unique_thread_order(db)
    for collection, models in INDEXES.items():
        db[collection].create_indexes(models)
    return _ensure_text_index(db)


def _drop_unique_thread_order(db: Database) -> None:
    """Archives made before tombstones had (thread_id, number) unique: replace that index."""
    spec = db[POSTS].index_information().get(THREAD_ORDER_INDEX)
    if spec and spec.get("unique"):
        logger.info("Replacing the unique %s index with a plain one", THREAD_ORDER_INDEX)
        db[POSTS].drop_index(THREAD_ORDER_INDEX)


def _ensure_text_index(db: Database) -> bool:
    try:
        db[POSTS].create_indexes([IndexModel([("text", TEXT)], name=TEXT_INDEX_NAME)])
    except OperationFailure as exc:
        if exc.code != CANNOT_CREATE_INDEX:
            raise
        logger.warning(
            "This MongoDB server does not support text indexes (%s); the archive works without "
            "one, but full-text search falls back to slower regex matching.",
            exc.details.get("errmsg") if exc.details else exc,
        )
        return False
    return True


def server_supports_text_index(db: Database) -> bool:
    """Whether `posts` has a text index, i.e. whether `$text` queries work on this database."""
    indexes = db[POSTS].index_information()
    return any(TEXT in dict(spec["key"]).values() for spec in indexes.values())
