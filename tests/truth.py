"""Compare what the crawler stored or yielded with the replica's ground truth, field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import lxml.html

# Set by the crawler or the writer, unknown to the replica.
# Crawl state and crawl times: not facts of the forum.
NOT_IN_TRUTH = frozenset(
    {
        "crawled_at",
        "history",
        "confidence",
        "type",
        "complete",
        "pages_stored",
        "synced_at",
        "source",
    }
)
# Quote parents and what follows from them are measured as precision/recall (test_e2e_quotes).
RESOLUTION = frozenset({"parent_id", "reply_to"})
TIME_FIELDS = {"posted_at", "edited_at", "first_post_at", "last_post_at", "quoted_at"}
# Where each kind of truth document is stored (docs/data-contract.md), written out here rather than
# taken from tlcrawl's schema, so a renamed collection shows.
COLLECTION_OF_KIND = {"forum": "forums", "thread": "threads", "post": "posts", "user": "users"}


def canonical_html(fragment: str) -> str:
    """Serialise an HTML fragment through lxml so equal markup compares equal as text."""
    if not fragment.strip():
        return ""
    parts = lxml.html.fragments_fromstring(fragment)
    return "".join(
        part if isinstance(part, str) else lxml.html.tostring(part, encoding="unicode")
        for part in parts
    )


def normalise(value: Any, key: str = "", ignore: frozenset[str] = frozenset()) -> Any:
    """Truth values (ISO strings) and stored values (datetimes) in one comparable form."""
    if isinstance(value, dict):
        skip = NOT_IN_TRUTH | ignore
        return {k: normalise(v, k, ignore) for k, v in value.items() if k not in skip}
    if isinstance(value, list):
        return [normalise(v, key, ignore) for v in value]
    if key in TIME_FIELDS and isinstance(value, str):
        return datetime.fromisoformat(value)
    if key == "html" and isinstance(value, str):
        return canonical_html(value)
    return value


def by_type(truth: list[dict], kind: str) -> dict[Any, dict]:
    return {doc["_id"]: doc for doc in truth if doc["type"] == kind}


SEED_TITLE = "Twitch to cease business operations in Korea"


def seed_thread(truth: list[dict]) -> tuple[dict, dict[int, dict]]:
    """The seed thread (the real page the replica reproduces) and its posts by number."""
    thread = next(t for t in by_type(truth, "thread").values() if t["title"] == SEED_TITLE)
    posts = [p for p in by_type(truth, "post").values() if p["thread_id"] == thread["_id"]]
    return thread, {post["number"]: post for post in posts}


def differences(
    expected: dict[Any, dict],
    got: dict[Any, dict],
    limit: int = 20,
    ignore: frozenset[str] = frozenset(),
) -> list[str]:
    """Human-readable differences between two collections of documents keyed by `_id`.

    `ignore` names fields left out at every depth (e.g. quote `parent_id`, which is measured by
    precision and recall in test_e2e_quotes rather than required to be perfect)."""
    problems = []
    for missing in sorted(set(expected) - set(got), key=str)[:limit]:
        problems.append(f"missing {missing!r}")
    for extra in sorted(set(got) - set(expected), key=str)[:limit]:
        problems.append(f"unexpected {extra!r}")
    for key in sorted(set(expected) & set(got), key=str):
        want, have = normalise(expected[key], "", ignore), normalise(got[key], "", ignore)
        for field in sorted(set(want) | set(have)):
            if want.get(field) != have.get(field):
                problems.append(
                    f"{key!r}.{field}: expected {want.get(field)!r}, got {have.get(field)!r}"
                )
        if len(problems) >= limit:
            break
    return problems[:limit]
