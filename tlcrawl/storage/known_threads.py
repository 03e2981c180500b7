"""What an earlier crawl stored about threads, for incremental recrawls.

A subforum index row shows each thread's reply count and last post time. A thread whose stored
document has the same `replies` and `last_post_at` has no new posts since it was crawled, so an
incremental crawl (`-a incremental=1`) skips it. Edits that add no post are not seen this way: a
full crawl picks them up (and keeps the previous versions in `history`).
"""

from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from tlcrawl.storage.schema import THREADS

ThreadMark = tuple[int | None, datetime | None]  # (replies, last_post_at)


def stored_thread_marks(db: Database, thread_ids: list[int]) -> dict[int, ThreadMark]:
    """`(replies, last_post_at)` of the stored threads among `thread_ids` (one query)."""
    cursor = db[THREADS].find({"_id": {"$in": thread_ids}}, {"replies": 1, "last_post_at": 1})
    return {doc["_id"]: (doc.get("replies"), doc.get("last_post_at")) for doc in cursor}


def is_unchanged(
    stored: ThreadMark | None, replies: int | None, last_post_at: datetime | None
) -> bool:
    """True when the index row shows exactly what was stored: no post added or removed since."""
    if stored is None or replies is None:
        return False
    stored_replies, stored_last = stored
    same_last = last_post_at is None or stored_last is None or stored_last == last_post_at
    return stored_replies == replies and same_last
