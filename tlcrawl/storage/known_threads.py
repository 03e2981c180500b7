"""What an earlier crawl stored about threads, for incremental recrawls.

A subforum index row shows each thread's reply count and last post time. A thread whose stored
document has the same `replies` and `last_post_at`, and was stored `complete`, has no new posts
since it was crawled, so an incremental crawl (`-a incremental=1`) skips it. Edits that add no
post are not seen this way: a full crawl picks them up (and keeps previous versions in `history`).
"""

from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from tlcrawl.storage.schema import THREADS

ThreadMark = tuple[int | None, datetime | None, bool]  # (replies, last_post_at, complete)


def stored_thread_marks(db: Database, thread_ids: list[int]) -> dict[int, ThreadMark]:
    """`(replies, last_post_at, complete)` of the stored threads among `thread_ids` (one query)."""
    fields = {"replies": 1, "last_post_at": 1, "complete": 1}
    cursor = db[THREADS].find({"_id": {"$in": thread_ids}}, fields)
    return {
        doc["_id"]: (doc.get("replies"), doc.get("last_post_at"), doc.get("complete", True))
        for doc in cursor
    }


def is_unchanged(
    stored: ThreadMark | None, replies: int | None, last_post_at: datetime | None
) -> bool:
    """True when the index row shows exactly what was stored: no post added or removed since."""
    if stored is None or replies is None:
        return False
    stored_replies, stored_last, complete = stored
    same_last = last_post_at is None or stored_last == last_post_at
    return complete and stored_replies == replies and same_last
