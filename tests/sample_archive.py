"""A small, hand-built archive following docs/data-contract.md, for the query tests.

`load_sample(db)` writes it into a pymongo Database; the `sample_db` fixture (conftest.py) gives
each test its own freshly loaded database.

Thread 622006 (games, 5 posts, November 2023):
    #1 Zergling
    #2 Waxangel  quotes #1
    #3 Zergling  quotes #2 (whose quote of #1 is nested inside, not a direct quote)
    #4 Jaedong   quotes #1 and #3                  reply_to [#1, #3]
    #5 Waxangel  quotes #4, a header-only quote of Boxer (no parent), a quote with no header
Thread 119003 (sc2, 3 posts, Dec 2023 - Jan 2024):
    #1 Jaedong
    #2 Zergling  quotes #1; deleted on the site since (a tombstone: `deleted_at` set, words kept)
    #3 Waxangel  quotes post #1 of thread 622006 (a cross-thread quote) and, in a quote without
                 header, #2 (its author known only from the parent post); its text contains `.*`
Direct quotes per quoted post: 27790001 -> 3 (from 27790010, 27790042, 1190030003); 27790010,
27790016, 27790042, 1190030001, 1190030002 -> 1.
Ids, names and slugs that the README's examples use (622006, 27790001, Waxangel, games) exist in
the demo's data too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

BASE = "https://tl.net"
CRAWLED = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
CRAWLED_LATER = datetime(2024, 2, 3, 8, 30, tzinfo=UTC)
DELETED = {1190030002}  # deleted on the site after it was archived: a tombstone, words kept
DELETED_AT = datetime(2024, 2, 3, 8, 30, tzinfo=UTC)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2023) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def quote(
    author: str | None, parent_id: int | None, text: str, nested: list | None = None
) -> dict[str, Any]:
    return {
        "author": author,
        "quoted_at": None,
        "text": text,
        "parent_id": parent_id,
        "confidence": 1.0 if parent_id is not None else None,
        "quotes": nested or [],
    }


def post(
    post_id: int,
    thread_id: int,
    forum: str,
    number: int,
    author: str,
    posted_at: datetime,
    text: str,
    quotes: list[dict[str, Any]] = (),
) -> dict[str, Any]:
    reply_to: list[int] = []
    for q in quotes:
        if q["parent_id"] is not None and q["parent_id"] not in reply_to:
            reply_to.append(q["parent_id"])
    html = "".join(f"<p>{line}</p>" for line in text.split("\n"))
    return {
        "_id": post_id,
        "thread_id": thread_id,
        "forum": forum,
        "page": 1,
        "number": number,
        "url": f"{BASE}/forum/viewpost.php?post_id={post_id}",
        "author": author,
        "posted_at": posted_at,
        "edited_at": None,
        "html": html,
        "text": text,
        "quotes": list(quotes),
        "reply_to": reply_to,
        "signature": None,
        "links": [],
        "images": [],
        "videos": [],
        "tl_plus": False,
        "deleted_at": DELETED_AT if post_id in DELETED else None,
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        "crawled_at": CRAWLED_LATER if thread_id == 119003 else CRAWLED,
    }


FORUMS = [
    {"_id": "games", "forum_id": 12, "name": "General Games", "url": f"{BASE}/forum/games/"},
    {"_id": "sc2", "forum_id": None, "name": "StarCraft 2", "url": f"{BASE}/forum/sc2/"},
]

POSTS = [
    post(
        27790001, 622006, "games", 1, "Zergling", at(11, 28, 10),
        "What are you playing?\nMe: Factorio.",
    ),
    post(
        27790010, 622006, "games", 2, "Waxangel", at(11, 28, 11),
        "Elden Ring again.",
        [quote("Zergling", 27790001, "What are you playing?")],
    ),
    post(
        27790016, 622006, "games", 3, "Zergling", at(11, 28, 12, 30),
        "Which build?",
        [
            quote(
                "Waxangel", 27790010, "Elden Ring again.",
                [quote("Zergling", 27790001, "What are you...")],
            )
        ],
    ),
    post(
        27790042, 622006, "games", 4, "Jaedong", at(11, 29, 9),
        "Factorio is the best.\nStrength build, obviously.",
        [quote("Zergling", 27790001, "Me: Factorio."), quote("Zergling", 27790016, "Which build?")],
    ),
    post(
        27790113, 622006, "games", 5, "Waxangel", at(11, 30, 23, 59),
        "Agreed. [b]Not markup[/b]",
        [
            quote("Jaedong", 27790042, "Factorio is the best."),
            quote("Boxer", None, "Never give up."),
            quote(None, None, "anonymous words"),
        ],
    ),
    post(
        1190030001, 119003, "sc2", 1, "Jaedong", at(12, 30, 18),
        "Patch 5.0.12 is live.\nNotes inside.",
    ),
    post(
        1190030002, 119003, "sc2", 2, "Zergling", at(1, 2, 7, year=2024),
        "Zerg is fine. FACTORIO later.",
        [quote("Jaedong", 1190030001, "Patch 5.0.12 is live.")],
    ),
    post(
        1190030003, 119003, "sc2", 3, "Waxangel", at(1, 3, 20, year=2024),
        "Use .* to match anything",
        [
            quote("Zergling", 27790001, "What are you playing?"),
            quote(None, 1190030002, "Zerg is fine."),
        ],
    ),
]  # fmt: skip

THREADS = [
    {
        "_id": 622006,
        "forum": "games",
        "title": "What are you playing?",
        "url": f"{BASE}/forum/games/622006-what-are-you-playing",
        "author": "Zergling",
        "replies": 4,
        "views": 1520,
        "pages": 1,
        "locked": False,
        "sticky": False,
        "first_post_at": at(11, 28, 10),
        "last_post_at": at(11, 30, 23, 59),
        "crawled_at": CRAWLED,
    },
    {
        "_id": 119003,
        "forum": "sc2",
        "title": "Patch 5.0.12 discussion",
        "url": f"{BASE}/forum/sc2/119003-patch-5012-discussion",
        "author": "Jaedong",
        "replies": 2,
        "views": 98000,
        "pages": 1,
        "locked": True,
        "sticky": False,
        "first_post_at": at(12, 30, 18),
        "last_post_at": at(1, 3, 20, year=2024),
        "crawled_at": CRAWLED_LATER,
    },
]


def user(name: str, country: str | None, post_count: int, joined: str) -> dict[str, Any]:
    own = [p["posted_at"] for p in POSTS if p["author"] == name]
    return {
        "_id": name,
        "country": country,
        "post_count": post_count,
        "joined": joined,
        "profile_url": f"{BASE}/forum/profile.php?user={name}",
        "first_post_at": min(own),
        "last_post_at": max(own),
    }


USERS = [
    user("Zergling", "Korea (South)", 4821, "2009-03"),
    user("Waxangel", "Australia", 12950, "2006-11"),
    user("Jaedong", None, 310, "2012-07"),
]


def load_sample(db: Database) -> None:
    """Write the sample forums, threads, posts and users into `db`."""
    db.forums.insert_many(FORUMS)
    db.threads.insert_many(THREADS)
    db.posts.insert_many(POSTS)
    db.users.insert_many(USERS)
