"""Cost of quote-parent resolution per post, on a synthetic thread with the hard cases.

    .venv/bin/python -m bench.bench_quotes [--posts 2000] [--seed 1]

The thread mixes: quotes of recent and old posts (excerpts), posts edited after being quoted
(appended, reworded, wiped), double posts (same author, same minute), quotes of vanished posts,
header-less quotes and nested quotes. Prints µs per post and per quote, and precision/recall
against the generator's truth (a sanity figure; the real measure is the replica's truth).
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tlcrawl.quotes.index import QuoteCounts, ThreadIndex

_VOCABULARY = (
    "twitch korea stream isp fees network cost protoss zerg terran macro micro build order "
    "afreeca youtube league tournament patch balance nerf buff ladder map pool cheese rush "
    "expand scout bank money regulation market company business viewer sub donation"
)
WORDS = _VOCABULARY.split()


@dataclass
class Post:
    _id: int
    number: int
    author: str
    posted_at: datetime
    text: str  # as first posted (what quotes copy)
    final_text: str  # after any later edit (what the crawler sees)
    edited: bool
    vanished: bool
    quotes: list[dict[str, Any]] = field(default_factory=list)


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make_thread(n: int, rng: random.Random) -> list[Post]:
    authors = [f"user{i}" for i in range(60)] + ["{CC}Blue", "[Phantom]", "Mr. T (x)"]
    when = datetime(2023, 12, 6, 2, 50, tzinfo=UTC)
    posts: list[Post] = []
    for number in range(1, n + 1):
        double = posts and rng.random() < 0.03  # same author again within the minute
        author = posts[-1].author if double else rng.choice(authors)
        when += timedelta(seconds=0 if double else rng.randint(20, 400))
        text = sentence(rng, rng.randint(8, 120))
        edited = rng.random() < 0.1
        final = edit(text, rng) if edited else text
        post = Post(28_000_000 + number * 3, number, author, when, text, final, edited, False)
        post.vanished = rng.random() < 0.03
        post.quotes = [make_quote(posts, rng) for _ in range(rng.choice([0, 0, 1, 1, 1, 2]))]
        posts.append(post)
    return posts


def edit(text: str, rng: random.Random) -> str:
    """An edit made after the post may have been quoted: appended, reworded, or wiped."""
    kind = rng.random()
    if kind < 0.45:
        return text + " EDIT: " + sentence(rng, 6)
    if kind < 0.9:
        words = text.split()
        for _ in range(max(1, len(words) // 15)):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        return " ".join(words)
    return "[removed]"


def make_quote(earlier: list[Post], rng: random.Random, depth: int = 0) -> dict[str, Any]:
    if not earlier:
        return {"author": None, "quoted_at": None, "text": sentence(rng, 12), "truth": None}
    recent = earlier[-30:] if rng.random() < 0.8 else earlier
    parent = rng.choice(recent)
    words = parent.text.split()
    start = rng.randint(0, max(0, len(words) - 8)) if rng.random() < 0.4 else 0
    headerless = rng.random() < 0.05
    quote: dict[str, Any] = {
        "author": None if headerless else parent.author,
        "quoted_at": None if headerless else parent.posted_at.replace(second=0),
        "text": " ".join(words[start:]),
        "truth": None if parent.vanished else parent._id,
        "quotes": [],
    }
    before = [p for p in earlier if p.number < parent.number]
    if depth < 2 and before and rng.random() < 0.3:
        quote["quotes"] = [make_quote(before, rng, depth + 1)]
    return quote


def walk(quotes: list[dict[str, Any]]):
    for quote in quotes:
        yield quote
        yield from walk(quote.get("quotes", []))


def resolve_all(posts: list[Post]) -> tuple[float, QuoteCounts]:
    index, counts = ThreadIndex(), QuoteCounts()
    start = time.perf_counter()
    for post in posts:
        if post.vanished:
            continue
        index.resolve_tree(post.quotes, post.number, counts)
        index.add(post._id, post.author, post.posted_at, post.number, post.final_text, post.edited)
    return time.perf_counter() - start, counts


def score(posts: list[Post]) -> tuple[float, float]:
    quotes = [q for p in posts if not p.vanished for q in walk(p.quotes)]
    given = [q for q in quotes if q["parent_id"] is not None]
    correct = sum(q["parent_id"] == q["truth"] for q in given)
    existing = [q for q in quotes if q["truth"] is not None]
    found = sum(q["parent_id"] == q["truth"] for q in existing)
    return correct / max(1, len(given)), found / max(1, len(existing))


def run(n: int = 2000, seed: int = 1) -> dict[str, float]:
    """For bench/run_all.py: cost per post and per quote, and the sanity figures."""
    posts = make_thread(n, random.Random(seed))
    seconds, counts = resolve_all(posts)
    delivered = sum(not p.vanished for p in posts)
    precision, recall = score(posts)
    return {
        "us_per_post": round(seconds / delivered * 1e6, 1),
        "us_per_quote": round(seconds / max(1, counts.seen) * 1e6, 1),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    posts = make_thread(args.posts, random.Random(args.seed))
    seconds, counts = resolve_all(posts)
    delivered = sum(not p.vanished for p in posts)
    headerless = sum(q["author"] is None for p in posts for q in walk(p.quotes))
    precision, recall = score(posts)
    print(f"posts delivered   {delivered}")
    print(
        f"quotes            {counts.seen} (header-less {headerless}, ambiguous {counts.ambiguous})"
    )
    print(f"resolved          {counts.resolved}, unresolved {counts.unresolved}")
    print(f"total             {seconds * 1e3:.1f} ms")
    print(f"per post          {seconds / delivered * 1e6:.1f} µs")
    print(f"per quote         {seconds / max(1, counts.seen) * 1e6:.1f} µs")
    print(f"precision         {precision:.4f}   recall {recall:.4f} (quotes whose parent exists)")


if __name__ == "__main__":
    main()
