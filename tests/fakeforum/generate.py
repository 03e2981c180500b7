"""Deterministic generation of users, thread skeletons and post content.

Every thread draws from its own `random.Random` keyed by (seed, forum, index), so its content never
depends on which other threads were generated first. A skeleton (ids, authors, times) is cheap and
made for every thread up front; the content is generated on demand by `make_posts`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.fakeforum import words
from tests.fakeforum.model import NOW, POSTS_PER_PAGE, Post, Thread, User, slugify
from tests.fakeforum.nodes import (
    Block,
    Br,
    Image,
    Inline,
    Link,
    Node,
    Quote,
    Smiley,
    Spoiler,
    Text,
    Video,
)
from tests.fakeforum.seed import SEED_USERS, inline

USER_POOL = 300
EARLIEST = datetime(2017, 1, 1, tzinfo=UTC)


# --- users ---
def make_users(seed: int) -> dict[str, User]:
    rng = random.Random(f"{seed}/users")
    users = {u.name: u for u in SEED_USERS}
    while len(users) < len(SEED_USERS) + USER_POOL:
        name = _user_name(rng)
        if name not in users:
            users[name] = _user(rng, name)
    return users


def _user_name(rng: random.Random) -> str:
    a, b = rng.choice(words.NAME_WORDS), rng.choice(words.NAME_WORDS)
    patterns = [
        f"{a}{b}{rng.randint(1, 99)}",
        f"{a.lower()}_{b.lower()}",
        f"Mr. {a} {b}",
        f"[{a[:3].upper()}]{b}",
        f"{{{a[:2].upper()}}}{b}",
        f"{a}){b}-{rng.choice(['SF', 'KR', 'EU'])}",
        f"{a}.{b}",
        f"{a} & {b}",
        f"{a}{b}",
        rng.choice(["김민수", "이영호팬", "홍진호22"]) + str(rng.randint(1, 9)),
    ]
    return rng.choices(patterns, weights=[6, 3, 1, 1, 1, 1, 1, 1, 4, 1])[0]


def _user(rng: random.Random, name: str) -> User:
    country = rng.choice(words.COUNTRIES) if rng.random() < 0.85 else None
    joined = f"{rng.randint(2002, 2016)}-{rng.randint(1, 12):02d}"
    signature = None
    if rng.random() < 0.4:
        signature = inline(rng.choice(words.SIGNATURES))
        if rng.random() < 0.3:
            signature += [Br(), Text(rng.choice(words.KOREAN))]
    title = rng.choice(["Moderator", "Writer", "Administrator"]) if rng.random() < 0.03 else None
    posts = int(rng.paretovariate(0.8) * 20)
    return User(name, country, min(posts, 60000), joined, signature, title,
                blog=rng.random() < 0.5, pm=rng.random() < 0.7)  # fmt: skip


# --- thread skeletons ---
def make_skeleton(
    seed: int, forum: str, fid: int, index: int, kind: str, users: list[str], long_pages: int
) -> Thread:
    rng = random.Random(f"{seed}/{forum}/{index}/skeleton")
    count = _post_count(rng, kind, long_pages)
    cast = rng.sample(users, k=min(len(users), rng.randint(3, 40)))
    authors, doubles = _authors(rng, cast, count)
    times = _times(rng, count, kind, doubles)
    thread_id = 100000 + fid * 1000 + index
    title = _title(rng)
    return Thread(
        id=thread_id,
        forum=forum,
        title=title,
        slug=slugify(title),
        post_ids=[thread_id * 10000 + n for n in range(1, count + 1)],
        authors=authors,
        times=times,
        views=rng.randint(count * 8 + 20, count * 40 + 500),
        sticky=kind == "sticky",
        locked=kind == "locked" or rng.random() < 0.05,
        rng_key=f"{seed}/{forum}/{index}",
        kind=kind,
    )


def _post_count(rng: random.Random, kind: str, long_pages: int) -> int:
    if kind == "long":
        return long_pages * POSTS_PER_PAGE - rng.randint(0, POSTS_PER_PAGE - 1)
    low, high = rng.choices([(1, 20), (21, 70), (71, 100), (101, 200)], [35, 35, 25, 5])[0]
    return rng.randint(low, high)


def _authors(rng: random.Random, cast: list[str], count: int) -> tuple[list[str], set[int]]:
    """Authors by a skewed choice from the cast; some double posts (same author, same minute)."""
    weights = [1 / (i + 1) for i in range(len(cast))]
    authors = rng.choices(cast, weights, k=count)
    doubles = set()
    for n in range(2, count - 2):  # a double post at n means #n+1 repeats #n's author and minute
        if rng.random() < 0.03 and n - 1 not in doubles:
            authors[n] = authors[n - 1]
            doubles.add(n)
    return authors, doubles


def _times(rng: random.Random, count: int, kind: str, doubles: set[int]) -> list[datetime]:
    mean = rng.choice([3, 20, 90, 600, 2000]) if kind != "newyear" else 8
    gaps = [0 if i in doubles else int(rng.expovariate(1 / mean)) + 1 for i in range(1, count)]
    span = timedelta(minutes=sum(gaps))
    if kind == "newyear":  # starts on New Year's Eve in the afternoon: KST is already next year
        start = datetime(rng.randint(2017, 2023), 12, 31, 14, rng.randint(0, 50), tzinfo=UTC)
    elif kind == "active":  # last post within the replica's last day: "N hours ago"
        start = NOW - span - timedelta(minutes=rng.randint(2, 1200))
    else:
        latest = NOW - span - timedelta(days=1, minutes=rng.randint(0, 600))
        seconds = max(0, int((latest - EARLIEST).total_seconds()))
        start = EARLIEST + timedelta(seconds=rng.randint(0, seconds))
    start = max(start.replace(second=0, microsecond=0), EARLIEST)
    times = [start]
    for gap in gaps:
        times.append(times[-1] + timedelta(minutes=gap))
    return times


def _title(rng: random.Random) -> str:
    subject, subject2 = rng.sample(words.SUBJECTS, 2)
    return rng.choice(words.TITLE_TEMPLATES).format(
        subject=subject[0].upper() + subject[1:],
        subject2=subject2,
        verb=rng.choice(words.VERBS),
        n=rng.randint(1, 30),
        m=rng.choice([4, 8, 16, 24]),
        letter=rng.choice("ABCD"),
        month=rng.choice(words.MONTHS),
    )


# --- post content ---
class ThreadWriter:
    """Writes a thread's posts in order; later posts quote earlier ones (and may edit them)."""

    def __init__(self, thread: Thread):
        self.thread = thread
        # The thread as it was made: revisions add and delete posts later (see LaterWriter).
        self.ids, self.authors, times = thread.origin or (
            thread.post_ids,
            thread.authors,
            thread.times,
        )
        self.times = times
        self.rng = random.Random(f"{thread.rng_key}/content")
        self.posts: list[Post] = []
        doubles = [n for n in range(1, len(times)) if times[n] == times[n - 1]]
        doubles = [n for n in doubles if self.authors[n] == self.authors[n - 1]]
        # A post a few numbers after each double post quotes one of the pair: the pair are the
        # 0-based indexes n-1 and n; `forced` maps the quoting post's number to n.
        self.forced = {min(n + 2 + self.rng.randint(0, 3), len(times)): n for n in doubles}

    def write(self) -> list[Post]:
        for i, post_id in enumerate(self.ids):
            self.posts.append(self._post(i + 1, post_id))
        return self.posts

    def _post(self, number: int, post_id: int) -> Post:
        rng = self.rng
        posted_at = self.times[number - 1]
        post = Post(post_id, self.thread, number, self.authors[number - 1], posted_at, [],
                    tl_plus=rng.random() < 0.05, variant=rng.randrange(1 << 16))  # fmt: skip
        post.units = self._quotes(post) + self._own_units()
        if rng.random() < 0.1:
            self._edit(post, posted_at + timedelta(minutes=rng.randint(1, 90)))
        return post

    # quotes
    def _quotes(self, post: Post) -> list[list[Node]]:
        rng, earlier = self.rng, self.posts
        quotes: list[Node] = []
        if post.number in self.forced:
            repeat = self.forced[post.number]
            quotes.append(self._quote_of(earlier[repeat - rng.randint(0, 1)], post, whole=True))
        elif earlier and rng.random() < 0.3:
            for _ in range(1 + (rng.random() < 0.2)):
                quotes.append(self._quote_of(self._pick(earlier), post))
        if earlier and rng.random() < 0.02:
            quotes.append(self._deleted_quote(post))
        units = [[q] for q in quotes]
        if len(units) > 1 and rng.random() < 0.5:  # reply after each quote
            units.insert(1, self._paragraph())
        return units

    def _pick(self, earlier: list[Post]) -> Post:
        recent = earlier[-10:]
        return self.rng.choice(recent if self.rng.random() < 0.8 else earlier)

    def _quote_of(self, quoted: Post, post: Post, whole: bool = False) -> Quote:
        rng = self.rng
        units = quoted.version_at(post.posted_at)
        own = [u for u in units if not isinstance(u[0], Quote)]
        nested = [u[0] for u in units if isinstance(u[0], Quote)]
        if not whole and len(own) > 1 and rng.random() < 0.4:  # an excerpt
            start = rng.randrange(len(own))
            own = own[start : start + rng.randint(1, 2)]
        content = _join_for_quote(own)
        nested = [] if rng.random() < 0.25 else [_trim(q, 2) for q in nested]
        if rng.random() < 0.06 and not whole:  # quoted without attribution
            return Quote(None, None, quoted.id, content, [])
        # The quoted post gets edited later: the quote keeps the old words.
        if quoted.edited_at is None and quoted.number > 1 and rng.random() < 0.2:
            self._edit(quoted, post.posted_at + timedelta(minutes=rng.randint(1, 600)))
        return Quote(quoted.author, quoted.posted_at, quoted.id, content, nested,
                     blank_after_header=rng.random() < 0.1)  # fmt: skip

    def _deleted_quote(self, post: Post) -> Quote:
        """A quote of a post that no longer exists: its author and minute match no post."""
        author = self.rng.choice(self.authors)
        taken = {p.posted_at for p in self.posts if p.author == author}
        when = post.posted_at - timedelta(minutes=self.rng.randint(1, 300))
        while when in taken:
            when -= timedelta(minutes=1)
        return Quote(author, when, None, _join_for_quote([self._paragraph()]), [])

    def _edit(self, post: Post, when: datetime) -> None:
        if when >= NOW:
            return
        post.original_units = post.units
        post.units = edit_units(post.units, self.rng)
        post.edited_at = when + timedelta(seconds=self.rng.randint(0, 59))

    # own content
    def _own_units(self) -> list[list[Node]]:
        rng = self.rng
        units = [self._paragraph() for _ in range(pick(rng, PARAGRAPH_COUNTS))]
        for chance, make in EXTRAS:
            if rng.random() < chance:
                units.insert(int(rng.random() * (len(units) + 1)), make(self))
        return units

    def _sentence(self) -> str:
        rng = self.rng
        return f"{pick(rng, words.SUBJECTS)} {pick(rng, words.VERBS)} {pick(rng, words.TAILS)}"

    def _paragraph(self) -> list[Node]:
        rng = self.rng
        nodes: list[Node] = []
        for i in range(pick(rng, (1, 2, 3))):
            if i and rng.random() < 0.25:
                nodes.append(Br())  # a line break inside the paragraph
            elif i:
                nodes.append(Text(" "))
            nodes.append(self._decorated(self._sentence()))
        if rng.random() < 0.08:
            nodes += [Text(" "), Smiley(rng.choice(words.SMILEYS))]
        if rng.random() < 0.08:
            nodes += [Text(" see "), self._link()]
        return nodes

    def _decorated(self, sentence: str) -> Node:
        roll = self.rng.random()
        if roll < 0.85:
            return Text(sentence)
        tag = pick(self.rng, ("b", "i", "u", "s", "strong", "em", "span"))
        if roll < 0.9:
            return Inline("font", [Text(sentence)], ' style="color: red"')
        return Inline(tag, [Text(sentence)])

    def _link(self) -> Node:
        rng = self.rng
        choices = [self._internal_href(), "https://liquipedia.net/starcraft2/Main_Page",
                   f"https://www.youtube.com/watch?v=vid{rng.randint(100, 999)}",
                   "http://www.example.org/a?b=1&c=2"]  # fmt: skip
        href = rng.choice(choices)
        text = href if rng.random() < 0.5 else rng.choice(["this", "here", "the article"])
        return Link(href, [Text(text)], nofollow=rng.random() < 0.3, href_first=rng.random() < 0.7)

    def _internal_href(self) -> str:
        """A relative link to a post or page of this thread (never past its own end)."""
        thread, rng = self.thread, self.rng
        number = rng.randint(1, max(1, len(self.posts)))
        if rng.random() < 0.5:
            return f"/forum/viewpost.php?post_id={self.ids[number - 1]}"
        return f"{thread.path}?page={thread.page_of(number)}#{number}"

    def _image(self) -> list[Node]:
        n = self.rng.randint(1, 500)
        src = self.rng.choice([f"https://i.imgur.com/img{n}.png", f"/staff/images/pic{n}.jpg"])
        return [Image(src, self.rng.choice([590, 400]), self.rng.choice([300, 200]))]

    def _video(self) -> list[Node]:
        start = self.rng.choice([None, 30, 275])
        return [Video(f"yt{self.rng.randint(1000, 9999)}x", start)]

    def _spoiler(self) -> list[Node]:
        title = self.rng.choice(["results", "long", "Spoiler & more", "VOD"])
        return [Spoiler(title, [*self._paragraph(), Br(), *self._paragraph()])]

    def _list(self) -> list[Node]:
        items = [Block("li", [Text(self._sentence())]) for _ in range(self.rng.randint(2, 4))]
        return [Block(self.rng.choice(["ul", "ol"]), items)]

    def _centered(self) -> list[Node]:
        return [Block("div", self._paragraph(), ' style="text-align: center;"')]

    def _korean(self) -> list[Node]:
        return [Text(pick(self.rng, words.KOREAN))]

    def _special(self) -> list[Node]:
        return [Text(pick(self.rng, words.SPECIAL))]


class LaterWriter(ThreadWriter):
    """Writes the posts a revision adds to a thread, after the ones present then.

    Some reply to a much older post of the thread (the quote keeps its usual header, author and
    time): a refresh that fetches only the thread's last pages must find the parent in the archive.
    """

    OLD = 3 * POSTS_PER_PAGE  # a quote "much older" than the new post: at least 3 pages back

    def __init__(self, thread: Thread, present: list[Post], key: str):
        self.thread, self.rng, self.posts, self.forced = thread, random.Random(key), present, {}
        self.ids, self.authors = [p.id for p in present], [p.author for p in present]

    def reply(self, post_id: int, number: int, author: str, when: datetime, old: bool) -> Post:
        """A new post; `old`: it quotes a post far back in the thread."""
        rng = self.rng
        post = Post(post_id, self.thread, number, author, when, [],
                    tl_plus=rng.random() < 0.05, variant=rng.randrange(1 << 16))  # fmt: skip
        far = self.posts[: -self.OLD] or self.posts
        quotes: list[list[Node]] = []
        if old or rng.random() < 0.15:
            quotes.append([self._quote_of(rng.choice(far), post, whole=True)])
        elif rng.random() < 0.25:
            quotes.append([self._quote_of(rng.choice(self.posts[-10:]), post, whole=True)])
        post.units = quotes + self._own_units()
        self.posts.append(post)
        self.ids.append(post_id)
        self.authors.append(author)
        return post


def new_thread_skeleton(
    seed: int, forum: str, fid: int, index: int, users: list[str], start: datetime, end: datetime
) -> Thread:
    """A thread a revision makes: a few posts, all between `start` and `end` (minutes)."""
    rng = random.Random(f"{seed}/{forum}/{index}/new")
    count = rng.randint(1, 12)
    cast = rng.sample(users, k=rng.randint(2, 8))
    authors, doubles = _authors(rng, cast, count)
    minutes = int((end - start).total_seconds() // 60) - 1
    offsets = sorted(rng.randint(1, minutes) for _ in range(count))
    times = [start.replace(second=0, microsecond=0) + timedelta(minutes=m) for m in offsets]
    for n in doubles:
        times[n] = times[n - 1]
    thread_id = 100000 + fid * 1000 + index
    title = _title(rng)
    return Thread(thread_id, forum, title, slugify(title),
                  [thread_id * 10000 + n for n in range(1, count + 1)], authors, times,
                  views=rng.randint(count * 8 + 20, count * 40 + 100),
                  rng_key=f"{seed}/{forum}/{index}/new", kind="new")  # fmt: skip


def revision_edit(post: Post, rng: random.Random, start: datetime, end: datetime) -> None:
    """An edit made between `start` and `end` (never before the post itself)."""
    low = max(start, post.posted_at) + timedelta(minutes=1)
    if low >= end:
        return
    post.units = edit_units(post.units, rng)
    post.edited_at = low + timedelta(seconds=rng.randint(0, int((end - low).total_seconds()) - 1))
    post.edited_at = post.edited_at.replace(microsecond=0)


# Optional units in a post's own content: (chance, maker).
EXTRAS = [
    (0.05, ThreadWriter._image),
    (0.04, ThreadWriter._video),
    (0.04, ThreadWriter._spoiler),
    (0.04, ThreadWriter._list),
    (0.03, ThreadWriter._centered),
    (0.05, ThreadWriter._korean),
    (0.06, ThreadWriter._special),
]
PARAGRAPH_COUNTS = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4)  # mostly short posts


def pick(rng: random.Random, options: tuple | list):
    """rng.choice, cheaper (this is the generator's hot path)."""
    return options[int(rng.random() * len(options))]


def edit_units(units: list[list[Node]], rng: random.Random) -> list[list[Node]]:
    """A new version: the last own paragraph gets an extra sentence, or an EDIT line is added."""
    units = list(units)
    if rng.random() < 0.5 and not isinstance(units[-1][0], Quote):
        units[-1] = [*units[-1], Text(f" {rng.choice(words.SUBJECTS)} {rng.choice(words.VERBS)}.")]
    else:
        units.append([Inline("b", [Text("EDIT:")]), Text(f" {rng.choice(words.VERBS)}, sorry.")])
    return units


def _join_for_quote(units: list[list[Node]]) -> list[Node]:
    """Quoted paragraphs; a quoted video shows as a youtu.be link."""
    nodes: list[Node] = []
    for i, unit in enumerate(units):
        nodes += [Br(), Br()] if i else []
        nodes += [
            Link(n.short_url, [Text(n.short_url)]) if isinstance(n, Video) else n for n in unit
        ]
    return [*nodes, Br()]


def _trim(quote: Quote, levels: int) -> Quote:
    """A copy with at most `levels` levels of quotes (itself included)."""
    nested = [_trim(q, levels - 1) for q in quote.nested] if levels > 1 else []
    return Quote(quote.author, quote.quoted_at, quote.parent_id, quote.content, nested,
                 quote.blank_after_header)  # fmt: skip
