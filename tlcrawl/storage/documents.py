"""Items to MongoDB documents, and documents to idempotent upserts.

The writer buffers *documents* (one per `_id` per collection, merged with `merge`) and turns them
into `UpdateOne(..., upsert=True)` operations at flush time with `to_update`. Dead-letter files
store the same documents, so a replay goes through exactly the same conversion.

Per collection:
- posts: every field is replaced; when the stored `content_hash` differs from the new one, the
  stored version's `{text, edited_at, content_hash, crawled_at}` is appended to `history`. This is
  decided by the server in the same update (an update with an aggregation pipeline), so it takes
  one round trip and stays correct when two crawls write the same post.
- threads and forums: only non-null fields are `$set` (null ones only on insert), so a thread
  crawled from its URL alone (no subforum index row: `views` null) keeps the `views` and `sticky`
  an index crawl stored. `sticky` is dropped with a null `views`: without the index row its
  `false` means "unknown", not "not sticky".
- users: `$set` of the profile fields, `$min` of `first_post_at`, `$max` of `last_post_at`.
- tombstones (PostDeletedItem, batch key `posts:deleted`): `$set` of `deleted_at` on a stored,
  live post; never an insert. A post written again is live again (`deleted_at: null`).

A post document larger than MONGODB_MAX_DOCUMENT_BYTES (below MongoDB's 16 MiB limit) would make
its whole bulk write fail: it is stored without its `html` (the raw page keeps it), its text cut
to fit if it must be, and marked `oversized: true` (see `fit_document`).
"""

from __future__ import annotations

from typing import Any

import bson
from itemadapter import ItemAdapter
from pymongo import UpdateOne

from tlcrawl.items import COLLECTIONS
from tlcrawl.parsing.post_body import content_hash
from tlcrawl.storage.schema import FORUMS, POSTS, THREADS, TOMBSTONES, USERS

Document = dict[str, Any]
Batch = dict[str, dict[Any, Document]]  # batch key (a collection, or TOMBSTONES) -> _id -> doc

HISTORY_FIELDS = ("text", "edited_at", "content_hash", "crawled_at")
USER_MIN = "first_post_at"
USER_MAX = "last_post_at"
# MongoDB refuses documents over 16 MiB; leave room for the update's own wrapping and history.
MAX_DOCUMENT_BYTES = 15 * 1024 * 1024


def item_to_document(item: Any) -> tuple[str, Document]:
    """The writer's batch key for an item and its document (a copy: later changes don't leak)."""
    collection = COLLECTIONS.get(type(item))
    if collection is None:
        raise TypeError(f"no MongoDB collection for {type(item).__name__}")
    doc = ItemAdapter(item).asdict()
    if collection == POSTS and not doc.get("content_hash"):
        doc["content_hash"] = content_hash(doc.get("text") or "")
    return collection, doc


def fit_document(doc: Document, limit: int = MAX_DOCUMENT_BYTES) -> bool:
    """Make a post document fit MongoDB's size limit; True when it had to be changed.

    Cheap for ordinary posts: only documents whose strings could reach the limit are encoded.
    """
    if len(doc.get("html") or "") + len(doc.get("text") or "") < limit // 4:
        return False  # at most 4 bytes a character: far from the limit
    if len(bson.encode(doc)) <= limit:
        return False
    doc["html"] = ""
    doc["oversized"] = True
    overflow = len(bson.encode(doc)) - limit
    if overflow > 0:  # the text alone is too large: keep as much of it as fits
        text = doc["text"].encode("utf-8")
        doc["text"] = text[: max(0, len(text) - overflow - 1024)].decode("utf-8", "ignore")
    return True


def merge(collection: str, old: Document, new: Document) -> Document:
    """One document equivalent to writing `old` then `new` (for a buffer holding both)."""
    if collection in (THREADS, FORUMS):
        merged = dict(old)
        merged.update(_settable(collection, new))
        return merged
    if collection == USERS:
        merged = {**old, **new}
        merged[USER_MIN] = _extreme(min, old.get(USER_MIN), new.get(USER_MIN))
        merged[USER_MAX] = _extreme(max, old.get(USER_MAX), new.get(USER_MAX))
        return merged
    return new  # posts and tombstones: the newest wins; the older one was never stored


def add_to_batch(batch: Batch, collection: str, doc: Document) -> bool:
    """Put `doc` in `batch`, merged with one of the same _id already there (so unordered writes
    stay deterministic); True when it is a new document of the batch."""
    pending = batch.setdefault(collection, {})
    old = pending.get(doc["_id"])
    pending[doc["_id"]] = doc if old is None else merge(collection, old, doc)
    return old is None


def _extreme(pick, a, b):
    values = [v for v in (a, b) if v is not None]
    return pick(values) if values else None


def to_update(collection: str, doc: Document) -> UpdateOne:
    if collection == POSTS:
        return _post_update(doc)
    if collection == TOMBSTONES:
        live = {"_id": doc["_id"], "deleted_at": None}  # a tombstone's first date stays
        return UpdateOne(live, {"$set": {"deleted_at": doc["deleted_at"]}})
    if collection == USERS:
        return _user_update(doc)
    if collection in (THREADS, FORUMS):
        return _partial_update(collection, doc)
    raise ValueError(f"unknown collection {collection!r}")


def _post_update(doc: Document) -> UpdateOne:
    fields = {k: v for k, v in doc.items() if k not in ("_id", "history")}
    changed = {
        "$and": [
            {"$eq": [{"$type": "$content_hash"}, "string"]},  # false for a new post
            {"$ne": ["$content_hash", {"$literal": doc["content_hash"]}]},
        ]
    }
    previous = {name: f"${name}" for name in HISTORY_FIELDS}
    appended = {"$concatArrays": [{"$ifNull": ["$history", []]}, [previous]]}
    pipeline = [
        # "$history" alone evaluates to missing on a new post, which leaves the field out.
        {"$set": {"history": {"$cond": [changed, appended, "$history"]}}},
        # $literal: in a pipeline, strings starting with "$" would otherwise be field paths.
        {"$set": {k: {"$literal": v} for k, v in fields.items()}},
    ]
    return UpdateOne({"_id": doc["_id"]}, pipeline, upsert=True)


def _settable(collection: str, doc: Document) -> Document:
    fields = {k: v for k, v in doc.items() if v is not None and k != "_id"}
    if collection == THREADS and doc.get("views") is None:
        fields.pop("sticky", None)
    return fields


def _partial_update(collection: str, doc: Document) -> UpdateOne:
    fields = _settable(collection, doc)
    on_insert = {k: v for k, v in doc.items() if k not in fields and k != "_id"}
    return UpdateOne({"_id": doc["_id"]}, _operators(fields, on_insert), upsert=True)


def _user_update(doc: Document) -> UpdateOne:
    fields = {k: v for k, v in doc.items() if k not in ("_id", USER_MIN, USER_MAX)}
    update = _operators(fields, {})
    for operator, name in (("$min", USER_MIN), ("$max", USER_MAX)):
        # $min with null would store null (null sorts before every date): skip unknown times.
        if doc.get(name) is not None:
            update[operator] = {name: doc[name]}
        else:
            update.setdefault("$setOnInsert", {})[name] = None
    return UpdateOne({"_id": doc["_id"]}, update, upsert=True)


def _operators(fields: Document, on_insert: Document) -> dict[str, Document]:
    update: dict[str, Document] = {}
    if fields:
        update["$set"] = fields
    if on_insert:
        update["$setOnInsert"] = on_insert
    return update
