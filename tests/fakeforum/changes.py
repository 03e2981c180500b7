"""What changed in the replica's threads between two revisions, from the model (not the pages).

    before, after = build_forum(revision=0), build_forum(revision=1)
    changed = changes(before, after)   # {thread id: ThreadChange}, only threads that changed

Edits are not listed here (compare the two truths' `text`/`edited_at` for those).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakeforum.model import POSTS_PER_PAGE, Thread
from tests.fakeforum.replica import Replica


@dataclass
class ThreadChange:
    thread_id: int
    new_thread: bool  # made after `before`
    added: list[int]  # ids of posts added after `before` and still present
    deleted: list[int]  # ids of posts present in `before`, deleted since
    pages: list[int]  # pages of `after` whose posts (ids or shown numbers) differ from `before`'s
    moved: bool  # a page before `before`'s last page changed: page boundaries moved

    @property
    def first_page(self) -> int:
        return self.pages[0]


def changes(before: Replica, after: Replica) -> dict[int, ThreadChange]:
    """Threads of `after` whose posts differ from `before` (same seed and sizes, any revisions)."""
    found = {}
    for thread_id, thread in after.threads.items():
        old = before.threads.get(thread_id)
        now_pages, old_pages = page_slots(thread), page_slots(old) if old else []
        pages = [n for n, slots in enumerate(now_pages, 1) if old_pages[n - 1 : n] != [slots]]
        if not pages and len(old_pages) == len(now_pages):
            continue
        old_ids = set(old.post_ids) if old else set()
        found[thread_id] = ThreadChange(
            thread_id=thread_id,
            new_thread=old is None,
            added=[i for i in thread.post_ids if i not in old_ids],
            deleted=sorted(old_ids - set(thread.post_ids)),
            pages=pages,
            moved=any(n < len(old_pages) for n in pages),
        )
    return found


def page_slots(thread: Thread) -> list[list[tuple[int, int]]]:
    """(post id, shown number) of the present posts, page by page."""
    slots = [(pid, thread.number(i)) for i, pid in enumerate(thread.post_ids)]
    return [slots[i : i + POSTS_PER_PAGE] for i in range(0, len(slots), POSTS_PER_PAGE)] or [[]]
