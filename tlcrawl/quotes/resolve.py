"""Find the post a quote quotes, among the earlier posts of the same thread.

A quote header (`On <time KST> <user> wrote:`) carries the quoted post's author and posted minute
but no post id, so the header is the key and the text only a check or a tie-break:

- one earlier post by that author in that minute: the parent (confidence 1.0), unless the texts
  disagree and the post was never edited; then it is more likely a vanished post's same-minute
  twin, and no parent is given;
- several (same author, same minute): the one whose text best matches the quote, if it wins
  clearly (the quote is often an excerpt, and the post may have been edited since);
- none: no parent. Both times are the same stored timestamp cut to the minute, so a mismatch means
  the quoted post is not among the candidates (deleted, another thread, page not crawled); a time
  tolerance would only pick the author's neighbouring posts, i.e. wrong parents;
- no header: text search over all earlier posts, accepted only for a long, near-verbatim excerpt
  that matches one post clearly better than any other.

Precision comes first: when unsure, the answer is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

_URL = re.compile(r"https?://\S+")

# Similarity scores are 0..100.
AGREE = 60.0  # a unique header match whose text scores below this is suspicious
TIE_BREAK_MIN = 60.0  # best score needed to pick among same-minute posts
TIE_BREAK_MARGIN = 8.0  # and its lead over the runner-up
TEXT_ONLY_MIN = 90.0  # header-less quotes: near-verbatim only
TEXT_ONLY_MARGIN = 10.0
MIN_CHECK_LEN = 20  # shorter quote texts are too short to contradict a header match
MIN_TEXT_ONLY_LEN = 25  # shorter header-less quotes match too many posts by chance
EDITED_CONFIDENCE = 0.75  # unique header match, texts disagree, but the post was edited


@dataclass(frozen=True, slots=True)
class Candidate:
    """What resolution needs to know of an earlier post. `key` is the normalized text."""

    _id: int
    author: str
    posted_at: datetime
    number: int
    key: str
    edited: bool = False


@dataclass(frozen=True, slots=True)
class Resolution:
    parent_id: int | None
    confidence: float | None
    ambiguous: bool = False  # several same-minute candidates needed the text tie-break


UNRESOLVED = Resolution(None, None)


def normalize_text(text: str | None) -> str:
    """Comparison form of a text: case-folded, whitespace squashed, URLs dropped.

    URLs go because a quoted video shows as a youtu.be link while the post itself shows no text
    for its embed; link texts are mostly URLs, so dropping them on both sides loses little.
    """
    return " ".join(_URL.sub(" ", text or "").split()).casefold()


def normalize_author(name: str | None) -> str:
    return " ".join((name or "").split())


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def make_candidate(
    _id: int, author: str, posted_at: datetime, number: int, text: str, edited: bool = False
) -> Candidate:
    return Candidate(
        _id, normalize_author(author), minute(posted_at), number, normalize_text(text), edited
    )


def similarity(quote_key: str, post_key: str) -> float:
    """How well a quote's text matches a post's text (both normalized), 0..100.

    A quote is usually an excerpt: align the shorter text inside the longer (partial_ratio). When
    the post is the shorter one it explains only part of the quote, so scale by its coverage;
    otherwise a short post ("lol") would match any quote containing it.
    """
    if not quote_key or not post_key:
        return 0.0
    if quote_key in post_key:  # the common verbatim excerpt, without the costly alignment
        return 100.0
    score = fuzz.partial_ratio(quote_key, post_key)
    if len(post_key) < len(quote_key):
        score *= len(post_key) / len(quote_key)
    return score


def resolve(
    author: str | None,
    quoted_at: datetime | None,
    text: str,
    candidates: list[Candidate],
    by_header: dict[tuple[str, datetime], list[Candidate]] | None = None,
    before_number: int | None = None,
) -> Resolution:
    """Resolve one quote against `candidates` (earlier posts of its thread).

    `by_header` optionally indexes the candidates by (author, minute) for speed; `before_number`
    restricts candidates to posts numbered below it (a nested quote's parent predates the post
    that quoted it).
    """
    key = normalize_text(text)
    if author is None or quoted_at is None:
        return _by_text(key, _before(candidates, before_number))
    header = (normalize_author(author), minute(quoted_at))
    if by_header is not None:
        matches = by_header.get(header, [])
    else:
        matches = [c for c in candidates if (c.author, c.posted_at) == header]
    matches = _before(matches, before_number)
    if len(matches) == 1:
        return _check_unique(key, matches[0])
    if matches:
        return _tie_break(key, matches)
    return UNRESOLVED


def _before(candidates: list[Candidate], number: int | None) -> list[Candidate]:
    if number is None:
        return candidates
    return [c for c in candidates if c.number < number]


def _check_unique(key: str, match: Candidate) -> Resolution:
    if len(key) < MIN_CHECK_LEN or similarity(key, match.key) >= AGREE:
        return Resolution(match._id, 1.0)
    if match.edited:  # the text changed after the quote was taken
        return Resolution(match._id, EDITED_CONFIDENCE)
    return UNRESOLVED


def _tie_break(key: str, matches: list[Candidate]) -> Resolution:
    best, score, margin = _best(key, matches)
    if best is None or score < TIE_BREAK_MIN or margin < TIE_BREAK_MARGIN:
        return Resolution(None, None, ambiguous=True)
    confidence = min(0.95, score / 100 * (0.5 + margin / 50))
    return Resolution(best._id, round(confidence, 3), ambiguous=True)


def _by_text(key: str, candidates: list[Candidate]) -> Resolution:
    if len(key) < MIN_TEXT_ONLY_LEN:
        return UNRESOLVED
    containing = [c for c in candidates if key in c.key]
    if len(containing) == 1:  # verbatim excerpt of exactly one post
        return Resolution(containing[0]._id, 0.9)
    if containing:
        return UNRESOLVED  # the same words in several posts: cannot tell
    # Scoring the whole thread with partial_ratio costs ~1 ms per long post. A near-verbatim
    # copy shares most of the quote's word runs, so only posts holding half of a sample of them
    # are scored; the rest could neither win nor come close enough to spoil the margin.
    sample = _word_runs(key)
    near = [c for c in candidates if sum(run in c.key for run in sample) * 2 >= len(sample)]
    best, score, margin = _best(key, near)
    if best is None or score < TEXT_ONLY_MIN or margin < TEXT_ONLY_MARGIN:
        return UNRESOLVED
    return Resolution(best._id, round(0.8 * score / 100, 3))


def _word_runs(key: str, size: int = 3, count: int = 8) -> list[str]:
    """Up to `count` runs of `size` words spread over the text."""
    words = key.split()
    starts = range(max(1, len(words) - size + 1))
    step = max(1, len(starts) // count)
    return [" ".join(words[i : i + size]) for i in starts[::step][:count]]


def _best(key: str, candidates: list[Candidate]) -> tuple[Candidate | None, float, float]:
    """The best-scoring candidate, its score, and its lead over the runner-up."""
    scored = sorted(((similarity(key, c.key), c) for c in candidates), key=lambda s: -s[0])
    if not scored:
        return None, 0.0, 0.0
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    return scored[0][1], scored[0][0], scored[0][0] - runner_up
