"""Read-only queries over the archive (schema: docs/data-contract.md).

Every function takes a pymongo ``Database`` and returns plain data (dicts, lists, datetimes), so
the CLI only formats results and the README cookbook can mirror each query. User input is only
ever placed as a *value* in a ``$match``/``find`` filter (a literal there), never as an operator,
a field path or an unescaped regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.database import Database

from tlcrawl.storage.schema import (
    COLLECTIONS,
    FORUMS,
    POSTS,
    THREADS,
    USERS,
    server_supports_text_index,
)

Doc = dict[str, Any]

# Fields the thread and search views need; the stored HTML is never loaded.
POST_FIELDS = {
    "_id": 1,
    "thread_id": 1,
    "forum": 1,
    "number": 1,
    "author": 1,
    "posted_at": 1,
    "text": 1,
    "quotes": 1,
    "reply_to": 1,
    "page": 1,
    "url": 1,
    "deleted_at": 1,  # a tombstone: the post was deleted on the site, its words are kept
}


def _given(conditions: Doc) -> Doc:
    """`conditions` without those not asked for: None, or an empty range such as {}."""
    return {key: value for key, value in conditions.items() if value is not None and value != {}}


def first_line(text: str | None) -> str:
    return (text or "").split("\n", 1)[0]


# --- threads ---------------------------------------------------------------------------------


def get_thread(db: Database, thread_id: int) -> Doc | None:
    return db[THREADS].find_one({"_id": thread_id})


def thread_posts(
    db: Database,
    thread_id: int,
    *,
    page: int | None = None,
    first: int | None = None,
    last: int | None = None,
    limit: int = 0,
) -> list[Doc]:
    """The thread's posts in order (by post number): all of them, one forum page of them, or
    the post numbers `first` to `last` (both included, either may be open); at most `limit`
    (0: no limit)."""
    numbers = _given({"$gte": first, "$lte": last})
    query = _given({"thread_id": thread_id, "page": page, "number": numbers})
    return list(db[POSTS].find(query, POST_FIELDS).sort("number", 1).limit(limit))


def thread_pages(db: Database, thread_id: int) -> int:
    """How many forum pages of the thread hold archived posts (0 when none)."""
    last = db[POSTS].find_one({"thread_id": thread_id}, {"page": 1}, sort=[("number", -1)])
    return (last or {}).get("page") or 0


def get_post(db: Database, post_id: int) -> Doc | None:
    return db[POSTS].find_one({"_id": post_id}, POST_FIELDS)


def post_by_number(db: Database, thread_id: int, number: int) -> Doc | None:
    return db[POSTS].find_one({"thread_id": thread_id, "number": number}, POST_FIELDS)


def posts_in_full(db: Database, ids: list[int]) -> dict[int, Doc]:
    """Post id -> the post (the thread view's fields) for the given ids."""
    return {doc["_id"]: doc for doc in db[POSTS].find({"_id": {"$in": list(ids)}}, POST_FIELDS)}


def posts_by_id(db: Database, ids: list[int]) -> dict[int, Doc]:
    """Post id -> {_id, thread_id, number, author, url} for the given ids (e.g. quoted posts)."""
    fields = {"thread_id": 1, "number": 1, "author": 1, "url": 1}
    return {doc["_id"]: doc for doc in db[POSTS].find({"_id": {"$in": list(ids)}}, fields)}


def quoted_refs(db: Database, posts: list[Doc]) -> dict[int, list[Doc]]:
    """For each post id, whom its direct quotes quote: one {parent_id, number, author, thread_id,
    text} per quote, in order (`text`: the quoted words). `number` is None when the quoted post is
    unknown (not resolved or not archived); `author` then comes from the quote header."""
    parent_ids = {q["parent_id"] for p in posts for q in p.get("quotes", []) if q.get("parent_id")}
    parents = posts_by_id(db, sorted(parent_ids))
    refs: dict[int, list[Doc]] = {}
    for post in posts:
        refs[post["_id"]] = [
            _quote_ref(q, parents.get(q.get("parent_id"))) for q in post.get("quotes", [])
        ]
    return refs


def _quote_ref(quote: Doc, parent: Doc | None) -> Doc:
    words = quote.get("text") or ""
    if parent is None:
        return {
            "parent_id": None,
            "number": None,
            "author": quote.get("author"),
            "thread_id": None,
            "text": words,
        }
    return {
        "parent_id": parent["_id"],
        "number": parent["number"],
        "author": parent["author"],
        "thread_id": parent["thread_id"],
        "text": words,
    }


def quoted_by(db: Database, post_ids: list[int]) -> dict[int, list[Doc]]:
    """For each of the post ids, the posts (anywhere in the archive) that quote it directly:
    [{post_id, thread_id, number, author}] in the order they were posted, each quoting post once."""
    ids = set(post_ids)
    found: dict[int, list[Doc]] = {post_id: [] for post_id in post_ids}
    fields = {"thread_id": 1, "number": 1, "author": 1, "posted_at": 1, "quotes.parent_id": 1}
    cursor = db[POSTS].find({"quotes.parent_id": {"$in": sorted(ids)}}, fields)
    cursor = cursor.sort([("posted_at", 1), ("_id", 1)])
    for quoting in cursor:
        ref = {k: quoting[k] for k in ("thread_id", "number", "author")}
        ref = {"post_id": quoting["_id"], **ref}
        parents = {q.get("parent_id") for q in quoting.get("quotes", [])}
        for parent in sorted(parents & ids):
            found[parent].append(ref)
    return found


@dataclass
class TreeNode:
    post: Doc
    children: list[TreeNode] = field(default_factory=list)
    # Other earlier posts of the thread this post also replies to (it sits under the first one).
    also_replies_to: list[int] = field(default_factory=list)


def reply_tree(posts: list[Doc]) -> list[TreeNode]:
    """The posts as a forest: each post under the first post of its `reply_to` that is earlier in
    the same thread; posts replying to nothing in the thread are roots. Order is kept."""
    position = {post["_id"]: index for index, post in enumerate(posts)}
    nodes = {post["_id"]: TreeNode(post) for post in posts}
    roots: list[TreeNode] = []
    for index, post in enumerate(posts):
        parents = [pid for pid in post.get("reply_to", []) if position.get(pid, index) < index]
        node = nodes[post["_id"]]
        if not parents:
            roots.append(node)
            continue
        nodes[parents[0]].children.append(node)
        node.also_replies_to = [nodes[pid].post["number"] for pid in parents[1:]]
    return roots


def quote_edges(posts: list[Doc]) -> list[tuple[int, int]]:
    """(quoting post id, quoted post id) for every direct quote with a known parent, in order."""
    return [
        (post["_id"], quote["parent_id"])
        for post in posts
        for quote in post.get("quotes", [])
        if quote.get("parent_id") is not None
    ]


# --- users -----------------------------------------------------------------------------------


def get_user(db: Database, name: str) -> Doc | None:
    return db[USERS].find_one({"_id": name})


def _exactly(name: str, case_sensitive: bool) -> Doc:
    """A filter value matching `name` literally, ignoring case unless `case_sensitive`."""
    if case_sensitive:
        return name  # type: ignore[return-value]
    return {"$regex": f"^{re.escape(name)}$", "$options": "i"}


def user_names_like(db: Database, name: str, limit: int = 2000) -> list[str]:
    """Known user names (profiles and post authors) equal to `name` ignoring case, or starting
    with its first letter: the candidates for "did you mean"."""
    same = _exactly(name, case_sensitive=False)
    found = set(db[USERS].distinct("_id", {"_id": same}))
    found |= set(db[POSTS].distinct("author", {"author": same}))
    if name:
        initial = {"$regex": f"^{re.escape(name[0])}", "$options": "i"}
        found |= {d["_id"] for d in db[USERS].find({"_id": initial}, {"_id": 1}).limit(limit)}
    return sorted(n for n in found if isinstance(n, str))


def user_posts_by_forum(db: Database, name: str) -> list[Doc]:
    """[{forum, posts}] for the user's archived posts, most posts first."""
    pipeline = [
        {"$match": {"author": name}},
        {"$group": {"_id": "$forum", "posts": {"$sum": 1}}},
        {"$sort": {"posts": -1, "_id": 1}},
    ]
    return [{"forum": d["_id"], "posts": d["posts"]} for d in db[POSTS].aggregate(pipeline)]


# One document per direct quote: {quoting, quoted}. The quoted user is the author of the quoted
# post when it is known, else the name in the quote header; quotes of nobody known are dropped.
QUOTE_PAIR_STAGES: list[Doc] = [
    {"$unwind": "$quotes"},
    {
        "$lookup": {
            "from": POSTS,
            "localField": "quotes.parent_id",
            "foreignField": "_id",
            "as": "parent",
        }
    },
    {"$unwind": {"path": "$parent", "preserveNullAndEmptyArrays": True}},
    {
        "$project": {
            "_id": 0,
            "quoting": "$author",
            "quoted": {"$ifNull": ["$parent.author", "$quotes.author"]},
        }
    },
    {"$match": {"quoted": {"$ne": None}}},
]


def who_quotes_whom(db: Database, match: Doc | None = None, limit: int = 20) -> list[Doc]:
    """[{quoting, quoted, quotes}]: pairs of users, most quotes first, over the posts matching
    `match`."""
    pipeline = [{"$match": match or {}}, *QUOTE_PAIR_STAGES]
    pipeline += [
        {"$group": {"_id": {"quoting": "$quoting", "quoted": "$quoted"}, "quotes": {"$sum": 1}}},
        {"$sort": {"quotes": -1, "_id.quoting": 1, "_id.quoted": 1}},
        {"$limit": limit},
    ]
    return [{**d["_id"], "quotes": d["quotes"]} for d in db[POSTS].aggregate(pipeline)]


def user_quotes(db: Database, name: str, limit: int = 10) -> list[Doc]:
    """Whom `name` quotes most: [{user, quotes}]."""
    pairs = who_quotes_whom(db, {"author": name}, limit)
    return [{"user": p["quoted"], "quotes": p["quotes"]} for p in pairs]


def user_quoted_by(db: Database, name: str, limit: int = 10) -> list[Doc]:
    """Who quotes `name` most: [{user, quotes}]."""
    own_posts = db[POSTS].distinct("_id", {"author": name})
    candidates = {"$or": [{"quotes.author": name}, {"reply_to": {"$in": own_posts}}]}
    pipeline = [{"$match": candidates}, *QUOTE_PAIR_STAGES, {"$match": {"quoted": name}}]
    pipeline += [
        {"$group": {"_id": "$quoting", "quotes": {"$sum": 1}}},
        {"$sort": {"quotes": -1, "_id": 1}},
        {"$limit": limit},
    ]
    return [{"user": d["_id"], "quotes": d["quotes"]} for d in db[POSTS].aggregate(pipeline)]


# --- search ----------------------------------------------------------------------------------


@dataclass
class SearchResult:
    method: str  # "text" ($text on a text index) or "regex" (case-insensitive substring)
    posts: list[Doc]


def search_filter(
    text: str,
    method: str,
    forum: str | None = None,
    author: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Doc:
    """The posts filter for a search. `text` is always literal: a quoted phrase for `$text`
    (double quotes removed, so it cannot end the phrase), an escaped regex otherwise.
    `since` is inclusive and `until` exclusive."""
    query: Doc = {}
    if method == "text":
        query["$text"] = {"$search": '"' + text.replace('"', " ").strip() + '"'}
    else:
        query["text"] = {"$regex": re.escape(text), "$options": "i"}
    posted = _given({"$gte": since, "$lt": until})
    return {**query, **_given({"forum": forum, "author": author, "posted_at": posted})}


def search_posts(
    db: Database,
    text: str,
    *,
    forum: str | None = None,
    author: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
) -> SearchResult:
    """Posts whose text contains `text`: by relevance with a text index, else newest first."""
    method = "text" if server_supports_text_index(db) else "regex"
    query = search_filter(text, method, forum, author, since, until)
    cursor = db[POSTS].find(query, POST_FIELDS)
    if method == "text":
        cursor = cursor.sort([("score", {"$meta": "textScore"})])
    else:
        cursor = cursor.sort([("posted_at", -1), ("_id", -1)])
    return SearchResult(method, list(cursor.limit(limit)))


# --- top lists -------------------------------------------------------------------------------


def _forum_match(forum: str | None) -> list[Doc]:
    return [{"$match": {"forum": forum}}] if forum is not None else []


def top_quoted(db: Database, forum: str | None = None, limit: int = 10) -> list[Doc]:
    """Most-quoted posts: [{post_id, quotes, number, author, thread_id, text}], where `quotes`
    counts the direct quotes (anywhere in the archive) whose parent_id is the post."""
    pipeline = [
        {"$unwind": "$quotes"},
        {"$match": {"quotes.parent_id": {"$ne": None}}},
        {"$group": {"_id": "$quotes.parent_id", "quotes": {"$sum": 1}}},
        {"$lookup": {"from": POSTS, "localField": "_id", "foreignField": "_id", "as": "post"}},
        {"$unwind": "$post"},
        *([{"$match": {"post.forum": forum}}] if forum is not None else []),
        {"$sort": {"quotes": -1, "_id": 1}},
        {"$limit": limit},
    ]
    return [
        {
            "post_id": d["_id"],
            "quotes": d["quotes"],
            "thread_id": d["post"]["thread_id"],
            "number": d["post"]["number"],
            "author": d["post"]["author"],
            "text": d["post"].get("text", ""),
        }
        for d in db[POSTS].aggregate(pipeline)
    ]


def top_posters(db: Database, forum: str | None = None, limit: int = 10) -> list[Doc]:
    """[{author, posts}] by archived posts, most first."""
    pipeline = [
        *_forum_match(forum),
        {"$group": {"_id": "$author", "posts": {"$sum": 1}}},
        {"$sort": {"posts": -1, "_id": 1}},
        {"$limit": limit},
    ]
    return [{"author": d["_id"], "posts": d["posts"]} for d in db[POSTS].aggregate(pipeline)]


def top_threads(
    db: Database, forum: str | None = None, limit: int = 10, by: str = "replies"
) -> list[Doc]:
    """Threads sorted by `replies` or `views`, highest first (unknown views last)."""
    if by not in ("replies", "views"):
        raise ValueError(f"cannot sort threads by {by!r}")
    query = {"forum": forum} if forum is not None else {}
    fields = {"forum": 1, "title": 1, "author": 1, "replies": 1, "views": 1, "last_post_at": 1}
    cursor = db[THREADS].find(query, fields).sort([(by, -1), ("_id", 1)]).limit(limit)
    return list(cursor)


def forum_slugs(db: Database) -> list[str]:
    """Every forum slug the archive knows (forum list, threads, posts)."""
    found = set(db[FORUMS].distinct("_id")) | set(db[THREADS].distinct("forum"))
    return sorted(slug for slug in found if isinstance(slug, str))


# --- stats -----------------------------------------------------------------------------------


def counts_per_forum(db: Database) -> list[Doc]:
    """[{forum, name, threads, posts}] for every forum seen in forums, threads or posts."""
    names = {d["_id"]: d.get("name") for d in db[FORUMS].find({}, {"name": 1})}
    threads = _count_by(db, THREADS, "$forum")
    posts = _count_by(db, POSTS, "$forum")
    slugs = sorted(set(names) | set(threads) | set(posts), key=str)
    return [
        {
            "forum": slug,
            "name": names.get(slug),
            "threads": threads.get(slug, 0),
            "posts": posts.get(slug, 0),
        }
        for slug in slugs
    ]


def _count_by(db: Database, collection: str, key: Any) -> dict[Any, int]:
    pipeline = [{"$group": {"_id": key, "n": {"$sum": 1}}}]
    return {d["_id"]: d["n"] for d in db[collection].aggregate(pipeline)}


def posts_per_month(db: Database, forum: str | None = None) -> list[Doc]:
    """[{month: "YYYY-MM", posts}] in month order (UTC)."""
    pipeline = [
        *_forum_match(forum),
        {"$match": {"posted_at": {"$type": "date"}}},
        {
            "$group": {
                "_id": {"$dateToString": {"format": "%Y-%m", "date": "$posted_at"}},
                "posts": {"$sum": 1},
            }
        },
        {"$sort": {"_id": 1}},
    ]
    return [{"month": d["_id"], "posts": d["posts"]} for d in db[POSTS].aggregate(pipeline)]


def crawl_freshness(db: Database) -> list[Doc]:
    """[{collection, documents, latest_crawled_at}] (None when nothing there has crawled_at)."""
    rows = []
    for name in COLLECTIONS:
        pipeline = [{"$group": {"_id": None, "latest": {"$max": "$crawled_at"}}}]
        latest = next(iter(db[name].aggregate(pipeline)), {}).get("latest")
        count = db[name].estimated_document_count()
        rows.append({"collection": name, "documents": count, "latest_crawled_at": latest})
    return rows
