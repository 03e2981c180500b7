"""The replica's data model: subforums, users, threads (skeletons) and posts (content)."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain, count

from tests.fakeforum.nodes import Br, Ctx, Node, Quote, own_media, own_text, render

POSTS_PER_PAGE = 20
THREADS_PER_INDEX_PAGE = 40
# Toggle/spoiler ids beyond a post's share of the page's ids start here (see Post.ctx).
OVERFLOW_IDS = 10**7
# The replica's clock: posts younger than a day show "N hours ago" relative to it. Revision K is
# the forum K days later: its clock reads NOW + K days (see `clock`).
NOW = datetime(2025, 9, 11, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# (slug, forum id, name) from tlnet-markup.md; `games` is always the first forum.
SUBFORUMS = [
    ("games", 12, "General Games"),
    ("starcraft-2", 19, "StarCraft 2"),
    ("general", 1, "General"),
    ("brood-war", 6, "Brood War"),
    ("entertainment", 89, "Media & Entertainment"),
    ("sc2-strategy", 34, "SC2 Strategy"),
    ("tech-support", 46, "Tech Support"),
    ("sports", 88, "Sports"),
    ("tl-community", 37, "TL Community"),
    ("cs-go", 143, "Counter-Strike"),
]


@dataclass
class Subforum:
    slug: str
    forum_id: int
    name: str
    show_fid: bool = True  # the forum list omits data-fid for one forum
    threads: list[Thread] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/forum/{self.slug}/"


@dataclass
class User:
    name: str
    country: tuple[str, str] | None  # (name, flag code)
    post_count: int
    joined: str  # YYYY-MM
    signature: list[Node] | None = None
    title: str | None = None  # e.g. "Administrator", shown next to the signature
    blog: bool = True
    pm: bool = True


@dataclass
class Thread:
    """A thread's skeleton: everything the index needs, without generating the posts' content."""

    id: int
    forum: str
    title: str
    slug: str
    post_ids: list[int]
    authors: list[str]
    times: list[datetime]
    views: int
    sticky: bool = False
    locked: bool = False
    rng_key: str = ""
    kind: str = "regular"  # regular, long, newyear, seed, new (made by a revision)
    # The time axis (revisions > 0). post_ids/authors/times above hold the posts present in the
    # replica's revision, in order; `numbers` their shown numbers (None: 1, 2, 3...).
    numbers: list[int] | None = None
    created: int = 0  # the revision that made the thread
    origin: tuple[list, list, list] | None = None  # (ids, authors, times) as created
    added: dict[int, tuple[int, str, datetime]] = field(default_factory=dict)  # id: (rev, ...)
    gone: list[Gone] = field(default_factory=list)  # deleted posts, in deletion order
    serial: int = 0  # posts ever made in the thread: new post ids continue from it
    last_number: int = 0  # highest number ever shown (gap numbering continues from it)
    _positions: dict[int, int] | None = field(default=None, repr=False)

    @property
    def path(self) -> str:
        return f"/forum/{self.forum}/{self.id}-{self.slug}"

    def start_time_axis(self) -> None:
        """Remember the thread as created, before revisions add and delete posts."""
        self.origin = (list(self.post_ids), list(self.authors), list(self.times))
        self.numbers = list(range(1, len(self.post_ids) + 1))
        self.serial = self.last_number = len(self.post_ids)

    def number(self, index: int) -> int:
        return self.numbers[index] if self.numbers else index + 1

    def index_of(self, post_id: int) -> int | None:
        """Position of a present post (0-based), or None."""
        if self._positions is None or len(self._positions) != len(self.post_ids):
            self._positions = {pid: i for i, pid in enumerate(self.post_ids)}
        return self._positions.get(post_id)

    def delete(self, index: int, revision: int) -> None:
        """Revision `revision` deletes the post at `index`: later posts move up one slot."""
        self.gone.append(Gone(self.post_ids[index], revision, index, self.number(index)))
        for column in (self.post_ids, self.authors, self.times, self.numbers):
            del column[index]
        self._positions = None

    def add(self, author: str, when: datetime, revision: int) -> int:
        """A new post at the end; its id continues the thread's ids, its number the numbers."""
        self.serial += 1
        self.last_number += 1
        post_id = self.id * 10000 + self.serial
        self.post_ids.append(post_id)
        self.authors.append(author)
        self.times.append(when)
        self.numbers.append(self.last_number)
        self.added[post_id] = (revision, author, when)
        return post_id

    def renumber(self) -> None:
        self.numbers = list(range(1, len(self.post_ids) + 1))
        self.last_number = len(self.post_ids)

    @property
    def replies(self) -> int:
        return len(self.post_ids) - 1

    @property
    def pages(self) -> int:
        return max(1, math.ceil(len(self.post_ids) / POSTS_PER_PAGE))

    def page_of(self, number: int) -> int:
        return (number - 1) // POSTS_PER_PAGE + 1


@dataclass
class Gone:
    """A deleted post: where it was last shown (0-based position, number) before `revision`."""

    post_id: int
    revision: int
    index: int
    number: int

    @property
    def page(self) -> int:
        return self.index // POSTS_PER_PAGE + 1


@dataclass
class Post:
    id: int
    thread: Thread
    number: int
    author: str
    posted_at: datetime
    units: list[list[Node]]  # paragraphs and quotes; joined with line breaks into the body
    original_units: list[list[Node]] | None = None  # the text before the last edit
    edited_at: datetime | None = None
    tl_plus: bool = False
    variant: int = 0  # drives markup variations (wrappers, attribute order, escaping)
    rendered: str | None = field(default=None, repr=False)  # the post's page HTML, once made
    index: int | None = None  # position among the thread's present posts; None: number - 1
    deleted_in: int | None = None  # the revision that deleted it (page/number as last shown)

    @property
    def position(self) -> int:
        return self.number - 1 if self.index is None else self.index

    @property
    def page(self) -> int:
        return self.position // POSTS_PER_PAGE + 1

    @property
    def body(self) -> list[Node]:
        return join_units(self.units)

    def version_at(self, when: datetime) -> list[list[Node]]:
        """The units a quote written at `when` saw: before an edit, the original text."""
        if self.edited_at and self.original_units is not None and when < self.edited_at:
            return self.original_units
        return self.units

    def ctx(self) -> Ctx:
        """Toggle ids are page-wide and run backwards through the page; spoiler ids forwards.

        A post gets 4 toggle and 5 spoiler ids in the page's scheme; a post needing more (many
        nested quotes) continues in a range of its own, so ids stay unique and never run out."""
        index = self.position % POSTS_PER_PAGE
        base = (self.page - 1) * 100 + (POSTS_PER_PAGE - index) * 4
        overflow = OVERFLOW_IDS + self.number * 1000
        return Ctx(
            style=self.variant % 2,
            toggle_ids=chain(range(base, base + 4), count(overflow)),
            spoiler_ids=chain(range(self.number * 5, self.number * 5 + 5), count(overflow)),
        )

    def html(self) -> str:
        return render(self.body, self.ctx())

    def text(self) -> str:
        return own_text(self.body)

    def quotes(self) -> list[Quote]:
        return [n for n in self.body if isinstance(n, Quote)]

    def media(self, kind: str) -> list[str]:
        return own_media(self.body, kind)


def join_units(units: list[list[Node]]) -> list[Node]:
    """Paragraphs are separated by a blank line (<br><br>); a quote block needs a single <br>."""
    nodes: list[Node] = []
    for i, unit in enumerate(units):
        if i:
            quote_edge = isinstance(unit[0], Quote) or isinstance(units[i - 1][-1], Quote)
            nodes += [Br()] if quote_edge else [Br(), Br(newline=True)]
        nodes += unit
    return nodes


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:60].rstrip("-") or "thread"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stable_fraction(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (used for faults and revisions)."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def clock(revision: int) -> datetime:
    """The replica's "now" in a revision: the forum `revision` days later."""
    return NOW + revision * DAY
