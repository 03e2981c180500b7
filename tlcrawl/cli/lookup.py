"""Turn what the user typed (a thread or post id or URL, a user name, a forum slug) into what the
archive holds, forgiving case and suggesting close matches; anything else ends the command."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from tlcrawl import queries
from tlcrawl.cli.support import NOT_FOUND, USAGE, did_you_mean, err_console, fail
from tlcrawl.parsing import urls
from tlcrawl.storage.schema import POSTS

THREAD_FORMS = "a thread id or any thread or post URL (…/forum/<slug>/<id>-<title>, "
THREAD_FORMS += "viewmessage.php?topic_id=N, viewpost.php?post_id=N)"
POST_FORMS = "a post id, a post URL (viewpost.php?post_id=N) or a thread URL ending in #N"


@dataclass(frozen=True)
class Target:
    """What a thread or post argument names: a thread, or a post (by id, or by number)."""

    thread_id: int | None = None
    post_id: int | None = None
    number: int | None = None  # a post number in `thread_id` (the `#N` of a thread URL)
    page: int | None = None  # a thread URL's `?page=N` (beyond the first)

    @property
    def names_post(self) -> bool:
        return self.post_id is not None or self.number is not None


def _id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def parse_thread_arg(text: str) -> Target:
    """A thread argument: a bare number is a thread id; a post URL names the post's thread."""
    if (thread_id := _id(text)) is not None:
        return Target(thread_id=thread_id)
    ref = urls.parse_typed_link(text)
    if ref is None:
        fail(f"not {THREAD_FORMS}: {text!r}", USAGE)
    if ref.is_post:
        return Target(post_id=ref.post_id)
    page = ref.page if ref.page > 1 else None
    return Target(thread_id=ref.thread_id, number=ref.anchor, page=page)


def parse_post_arg(text: str) -> Target:
    """A post argument: a bare number is a post id; a thread URL must point at a post (`#N`)."""
    if (post_id := _id(text)) is not None:
        return Target(post_id=post_id)
    ref = urls.parse_typed_link(text)
    if ref is None or (not ref.is_post and ref.anchor is None):
        fail(f"not {POST_FORMS}: {text!r}", USAGE)
    if ref.is_post:
        return Target(post_id=ref.post_id)
    return Target(thread_id=ref.thread_id, number=ref.anchor)


def find_post(db: Database, target: Target) -> dict:
    """The post a target names, or exit 1."""
    if target.post_id is not None:
        post = queries.get_post(db, target.post_id)
        if post is None:
            fail(f"post {target.post_id} not found", NOT_FOUND)
        return post
    post = queries.post_by_number(db, target.thread_id, target.number)
    if post is None:
        fail(f"post #{target.number} of thread {target.thread_id} not found", NOT_FOUND)
    return post


def thread_of(db: Database, target: Target) -> int:
    """The thread id a thread argument names (a post URL is looked up in the archive)."""
    if target.thread_id is not None:
        return target.thread_id
    return find_post(db, target)["thread_id"]


def user_name(db: Database, typed: str) -> str:
    """The archived user name `typed` means: itself, else the one name equal ignoring case;
    exit 1 with close names when there is none."""
    if queries.get_user(db, typed) or db[POSTS].find_one({"author": typed}, {"_id": 1}):
        return typed
    candidates = queries.user_names_like(db, typed)
    same = [name for name in candidates if name.lower() == typed.lower()]
    if len(same) == 1:
        err_console().print(f"note: showing user {same[0]!r}", highlight=False, markup=False)
        return same[0]
    fail(f"user {typed!r} not found{did_you_mean(typed, candidates)}", NOT_FOUND)


def forum_slug(db: Database, typed: str | None) -> str | None:
    """The forum slug `typed` means (case forgiven); exit 1 with close slugs when unknown."""
    if typed is None:
        return None
    slugs = queries.forum_slugs(db)
    if typed in slugs:
        return typed
    same = [slug for slug in slugs if slug.lower() == typed.lower()]
    if len(same) == 1:
        return same[0]
    hint = did_you_mean(typed, slugs) or f" (forums: {', '.join(slugs) or 'none archived'})"
    fail(f"forum {typed!r} not found{hint}", NOT_FOUND)
