"""The ground truth: exactly the documents of docs/data-contract.md, computed from the model.

Texts come from the content nodes (never from parsing the served HTML); `html` is the body exactly
as served. `crawled_at`, `history` and quote `confidence` are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from tests.fakeforum.model import Post, Thread, sha256
from tests.fakeforum.nodes import tokens_to_text
from tests.fakeforum.pages import profile_href

if TYPE_CHECKING:
    from tests.fakeforum.replica import Replica


def iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def truth_documents(replica: Replica, base_url: str) -> Iterator[dict]:
    """Forums, then each thread followed by its posts, then the users who posted.

    In a revision K > 0, a thread's present posts are followed by the ones deleted in revisions
    1..K (`"deleted": true`); users' first/last post times count every post that ever existed."""
    base = base_url.rstrip("/")
    for forum in replica.subforums:
        yield {
            "type": "forum",
            "_id": forum.slug,
            "forum_id": forum.forum_id if forum.show_fid else None,
            "name": forum.name,
            "url": base + forum.path,
        }
    seen: dict[str, list] = {}  # author -> [first, last]
    for thread, posts in replica.all_posts():
        yield thread_document(thread, base)
        for post in posts:
            document = post_document(replica, post, base)
            if post.deleted_in is not None:  # as last shown, before the revision deleting it
                document["deleted"] = True
            yield document
            span = seen.setdefault(post.author, [post.posted_at, post.posted_at])
            span[0], span[1] = min(span[0], post.posted_at), max(span[1], post.posted_at)
    for name in sorted(seen):
        yield user_document(replica, name, seen[name], base)


def thread_document(thread: Thread, base: str) -> dict:
    return {
        "type": "thread",
        "_id": thread.id,
        "forum": thread.forum,
        "title": thread.title,
        "url": base + thread.path,
        "author": thread.authors[0],
        "replies": thread.replies,
        "views": thread.views,
        "pages": thread.pages,
        "locked": thread.locked,
        "sticky": thread.sticky,
        "first_post_at": iso(thread.times[0]),
        "last_post_at": iso(thread.times[-1]),
    }


def post_document(replica: Replica, post: Post, base: str) -> dict:
    text = post.text()
    quotes = [q.truth() for q in post.quotes()]
    reply_to = list(dict.fromkeys(q["parent_id"] for q in quotes if q["parent_id"] is not None))
    user = replica.users[post.author]
    return {
        "type": "post",
        "_id": post.id,
        "thread_id": post.thread.id,
        "forum": post.thread.forum,
        "page": post.page,
        "number": post.number,
        "url": f"{base}/forum/viewpost.php?post_id={post.id}",
        "author": post.author,
        "posted_at": iso(post.posted_at),
        "edited_at": iso(post.edited_at),
        "html": post.html(),
        "text": text,
        "quotes": quotes,
        "reply_to": reply_to,
        "signature": signature_text(user.signature),
        "links": absolute(base, post.media("link")),
        "images": absolute(base, post.media("image")),
        "videos": post.media("video"),
        "tl_plus": post.tl_plus,
        "content_hash": sha256(text),
    }


def absolute(base: str, urls: list[str]) -> list[str]:
    return list(dict.fromkeys(urljoin(base + "/", u) for u in urls))


def signature_text(nodes) -> str | None:
    if not nodes:
        return None
    tokens = [t for n in nodes for t in n.tokens()]
    return tokens_to_text(tokens) or None


def user_document(replica: Replica, name: str, span: list, base: str) -> dict:
    user = replica.users[name]
    return {
        "type": "user",
        "_id": name,
        "country": user.country[0] if user.country else None,
        "post_count": user.post_count,
        "joined": user.joined,
        "profile_url": base + profile_href(name),
        "first_post_at": iso(span[0]),
        "last_post_at": iso(span[1]),
    }
