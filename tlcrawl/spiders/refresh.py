"""Which pages of a listed thread a refresh (or a resume) must fetch, from what the archive holds.

A subforum index row shows each thread's reply count and last post time. A thread stored
`complete` with the same two values has no new post: it is skipped, unless `recheck_days` asks
for the pages holding recent posts (edits cluster soon after posting). Otherwise the crawl starts
at the page of the last stored post it can trust (the checkpoint of a thread stopped halfway),
and checks there that the page still starts with the stored post (see `RefreshPlan`).
"""

from __future__ import annotations

import math
from datetime import datetime

from pymongo.database import Database

from tlcrawl.parsing.forum_index import IndexRow
from tlcrawl.spiders.thread_state import POSTS_PER_PAGE, WHOLE_THREAD, RefreshPlan
from tlcrawl.storage import archive
from tlcrawl.storage.archive import StoredThread


def page_of(position: int) -> int:
    """The thread page that shows the post at `position` (1-based, live posts)."""
    return max(1, math.ceil(position / POSTS_PER_PAGE))


def is_unchanged(stored: StoredThread | None, row: IndexRow) -> bool:
    """True when the index row shows exactly what was stored: no post added or removed since."""
    if stored is None or row.replies is None or not stored.complete:
        return False
    same_last = row.last_post_at is None or stored.last_post_at == row.last_post_at
    return stored.replies == row.replies and same_last


def resume_page(stored: StoredThread | None, live_posts: int, users_stored: bool) -> int:
    """The page of the last stored post (1: fetch the whole thread).

    Posts are written in page order, so the stored ones are the thread's first `live_posts` (the
    check at that page catches a gap). The checkpoint's pages are known to have their users
    stored too; pages after it are released again unless `users_stored` says their posts' users
    are there (a crash between a page's posts and its users).
    """
    if stored is None or live_posts == 0:
        return 1
    last = page_of(live_posts)
    if users_stored:
        return last
    return max(1, min(last, (stored.pages_stored or 0) + 1))


def plan_thread(
    db: Database, row: IndexRow, stored: StoredThread | None, recheck_since: datetime | None
) -> RefreshPlan | None:
    """The plan for one listed thread; None when nothing needs fetching."""
    changed = not is_unchanged(stored, row)
    recheck = None
    if recheck_since is not None and row.last_post_at and row.last_post_at >= recheck_since:
        recheck = archive.first_position_since(db, row.thread_id, recheck_since)
    if not changed and recheck is None:
        return None
    page = None
    if changed:
        live = archive.count_live_posts(db, row.thread_id)
        checkpoint = (stored.pages_stored or 0) if stored else 0
        users_stored = page_of(live) > checkpoint + 1 and archive.users_cover_posts(
            db, row.thread_id, checkpoint * POSTS_PER_PAGE
        )
        page = resume_page(stored, live, users_stored)
    if recheck is not None:
        page = min(page or page_of(recheck), page_of(recheck))
    if row.replies is not None:  # the thread may have shrunk since (deletions)
        page = min(page, page_of(row.replies + 1))
    if page == 1:
        return WHOLE_THREAD
    expected = archive.live_posts(db, row.thread_id, (page - 1) * POSTS_PER_PAGE, POSTS_PER_PAGE)
    if not expected:
        return WHOLE_THREAD
    return RefreshPlan(page, tuple(post._id for post in expected), expected[0].number)


def resumable_row(thread_id: int, forum: str, url: str) -> IndexRow:
    """An index row for a thread known from its checkpoint alone: none of the index's facts, so
    it plans as a changed thread and its ThreadItem leaves the stored ones as they are."""
    return IndexRow(
        thread_id=thread_id,
        forum=forum,
        title="",
        url=url,
        author=None,
        replies=None,
        views=None,
        sticky=False,
        locked=False,
        last_post_at=None,
    )


def plan_threads(
    db: Database, rows: list[IndexRow], recheck_since: datetime | None
) -> dict[int, RefreshPlan | None]:
    """Plans for an index page's rows (one query for the thread documents, then per thread)."""
    stored = archive.stored_threads(db, [row.thread_id for row in rows])
    return {
        row.thread_id: plan_thread(db, row, stored.get(row.thread_id), recheck_since)
        for row in rows
    }
