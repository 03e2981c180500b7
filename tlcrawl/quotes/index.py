"""A thread's posts seen so far, compact, and the resolution of a post's quote tree against them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tlcrawl.counts import StatCounts
from tlcrawl.quotes.resolve import Candidate, make_candidate, resolve


@dataclass
class QuoteCounts(StatCounts):
    """How the quotes of the posts resolved (nested quotes included): the crawl's quotes/* stats."""

    PREFIX = "quotes"

    seen: int = 0
    resolved: int = 0
    unresolved: int = 0
    ambiguous: int = 0


class ThreadIndex:
    """Earlier posts of one thread, indexed by (author, posted minute) for header lookups."""

    def __init__(self) -> None:
        self.candidates: list[Candidate] = []
        self._by_header: dict[tuple[str, datetime], list[Candidate]] = defaultdict(list)
        self._numbers: dict[int, int] = {}  # _id -> post number

    def __len__(self) -> int:
        return len(self.candidates)

    def add(
        self, _id: int, author: str, posted_at: datetime, number: int, text: str, edited: bool
    ) -> None:
        if _id in self._numbers:  # the same post delivered twice (retry, `?view=all`)
            return
        candidate = make_candidate(_id, author, posted_at, number, text, edited)
        self._numbers[_id] = number
        self.candidates.append(candidate)
        self._by_header[(candidate.author, candidate.posted_at)].append(candidate)

    def resolve_tree(
        self, quotes: list[dict[str, Any]], before_number: int, counts: QuoteCounts
    ) -> list[int]:
        """Fill parent_id/confidence in `quotes` and their nested quotes, in place.

        Returns the distinct parent ids of the top-level quotes, in order (the post's reply_to).
        """
        parents: list[int] = []
        for quote in quotes:
            parent = self._resolve_one(quote, before_number, counts)
            if parent is not None and parent not in parents:
                parents.append(parent)
        return parents

    def _resolve_one(
        self, quote: dict[str, Any], before_number: int, counts: QuoteCounts
    ) -> int | None:
        result = resolve(
            quote.get("author"),
            quote.get("quoted_at"),
            quote.get("text") or "",
            self.candidates,
            self._by_header,
            before_number,
        )
        quote["parent_id"], quote["confidence"] = result.parent_id, result.confidence
        counts.seen += 1
        counts.ambiguous += result.ambiguous
        if result.parent_id is None:
            counts.unresolved += 1
        else:
            counts.resolved += 1
        # A nested quote quotes a post older than the one its enclosing quote quotes.
        nested_before = before_number
        if result.parent_id is not None:
            nested_before = min(before_number, self._numbers[result.parent_id])
        self.resolve_tree(quote.get("quotes") or [], nested_before, counts)
        return result.parent_id
