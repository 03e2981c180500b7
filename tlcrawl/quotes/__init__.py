"""Quote-parent resolution: which earlier post of the thread each quote quotes."""

from tlcrawl.quotes.index import QuoteCounts, ThreadIndex
from tlcrawl.quotes.resolve import Candidate, Resolution, make_candidate, resolve, similarity

__all__ = [
    "Candidate",
    "QuoteCounts",
    "Resolution",
    "ThreadIndex",
    "make_candidate",
    "resolve",
    "similarity",
]
