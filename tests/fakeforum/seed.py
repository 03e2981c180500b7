"""The one real thread we know: page 1 of "Twitch to cease business operations in Korea" (seed 000).

Authors, countries, post counts, join months, times, edit times, bodies, quotes and signatures
follow /work/shared/seeds/000_c6458d976560aa8b.txt; posts #21 and #22 (page 2) are invented so the
page's "21 Comments" holds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.fakeforum.model import Post, Thread, User
from tests.fakeforum.nodes import Br, Link, Node, Quote, Text, Video
from tests.fakeforum.seed_texts import TEXTS

TOPIC_ID = 622006
TITLE = "Twitch to cease business operations in Korea"
SLUG = "twitch-to-cease-business-operations-in-korea"
# Site-wide post ids: increasing, with gaps (posts elsewhere on the site in between).
_GAPS = (0, 9, 15, 41, 112, 130, 151, 260, 301, 302, 377, 421, 468, 590, 873, 1402, 1870, 3311)
POST_IDS = [27790001 + gap for gap in (*_GAPS, 3650, 3781, 4410, 5132)]
_URL = re.compile(r"(https?://\S+)")


def inline(line: str) -> list[Node]:
    """A line of text, with URLs as links (their text is the URL, so the text is unchanged)."""
    nodes: list[Node] = []
    for i, part in enumerate(_URL.split(line)):
        if i % 2:
            nodes.append(Link(part, [Text(part)]))
        elif part:
            nodes.append(Text(part))
    return nodes


def paragraphs(text: str) -> list[list[Node]]:
    """Blank lines separate paragraphs (units); single newlines are <br> inside a paragraph."""
    units = []
    for block in re.split(r"\n\s*\n", text.strip()):
        unit: list[Node] = []
        for i, line in enumerate(block.split("\n")):
            unit += ([Br()] if i else []) + inline(line)
        units.append(unit)
    return units


ADMIN_SIG = "Hey HP can you redo everything youve ever done because i have a small complaint?"
RABBIT_SIG = (
    "Mostly a troll, bi-polar by design, occasionally brain malfunction. Please forgive me. xD"
)
MIZEN_SIG = "┗|∵|┓Second Place in LB 28, Third Place in LB 29 and Destined to Be a Kong"
KASSAR = "Ray Kassar To David Crane : \"you're no more important to Atari than the factory workers"
KASSAR += ' assembling the cartridges"'
US = ("United States", "us")


def _user(name, country, posts, joined, sig=None, title=None, blog=True) -> User:
    signature = paragraphs(sig)[0] if sig else None
    return User(name, country, posts, joined, signature, title, blog=blog, pm=False)


SEED_USERS = [
    _user("Waxangel", US, 33429, "2002-09", ADMIN_SIG, "Administrator"),
    _user(
        "{CC}StealthBlue",
        US,
        41117,
        "2003-01",
        '"Smokey, this is not \'Nam, this is bowling. There are rules."',
    ),
    _user("Dante08", ("Singapore", "sg"), 4128, "2008-02"),
    _user(
        "[Phantom]",
        ("Mexico", "mx"),
        2170,
        "2013-08",
        "TeamLiquid Staff writer since 2014 @Mortal_Phantom",
        "Writer",
    ),
    _user(
        "Chris_Havoc",
        US,
        600,
        "2016-08",
        "Owner of the SC2 Esports Anthology channel on "
        "YouTube: https://www.youtube.com/c/SC2EsportsAnthology",
        blog=False,
    ),
    _user(
        "ejozl",
        ("Denmark", "dk"),
        3408,
        "2010-10",
        'SC2 Archon needs "Terrible, terrible damage" as one of it\'s quotes.',
        blog=False,
    ),
    _user("PurE)Rabbit-SF", US, 654, "2006-12", RABBIT_SIG),
    _user("Mizenhauer", US, 1886, "2015-02", MIZEN_SIG),
    _user("WGT-Baal", ("France", "fr"), 3392, "2008-06", "Horang2 fan"),
    _user("andrewlt", US, 7702, "2009-08", blog=False),
    _user("JimmyJRaynor", ("Canada", "ca"), 16755, "2010-04", KASSAR),
    _user("Riner1212", US, 337, "2012-11", 'Sjow "pretty ez life as protoss"', blog=False),
    _user("TwiggyWan", ("France", "fr"), 330, "2013-12", "No bad days"),
]

# number: (author, posted "MM-DD HH:MM" in December 2023, edited "MM-DD HH:MM:SS" or None)
HEADERS = {
    1: ("Waxangel", "12-06 02:50", "12-06 04:01:08"),
    2: ("{CC}StealthBlue", "12-06 03:01", "12-06 03:05:37"),
    3: ("Waxangel", "12-06 03:09", "12-06 15:22:22"),
    4: ("Dante08", "12-06 03:59", None),
    5: ("[Phantom]", "12-06 06:01", None),
    6: ("Waxangel", "12-06 06:15", "12-06 06:31:07"),
    7: ("Chris_Havoc", "12-06 06:40", None),
    8: ("ejozl", "12-06 10:25", None),
    9: ("PurE)Rabbit-SF", "12-06 11:58", None),
    10: ("PurE)Rabbit-SF", "12-06 11:59", None),
    11: ("Mizenhauer", "12-06 13:19", None),
    12: ("WGT-Baal", "12-06 13:58", "12-06 14:03:17"),
    13: ("Dante08", "12-06 14:54", None),
    14: ("andrewlt", "12-06 17:01", None),
    15: ("JimmyJRaynor", "12-07 01:47", None),
    16: ("Riner1212", "12-07 15:02", None),
    17: ("Waxangel", "12-07 22:59", "12-07 22:59:57"),
    18: ("Mizenhauer", "12-11 00:11", "12-11 00:13:28"),
    19: ("TwiggyWan", "12-11 23:43", None),
    20: ("WGT-Baal", "12-12 16:29", "12-12 16:38:11"),
    21: ("Dante08", "12-13 02:14", None),
    22: ("ejozl", "12-14 19:40", None),
}
INVENTED = {
    21: "Korean streamers moving to Afreeca and Chzzk makes sense, Naver already announced a beta.",
    22: "Update: most of the BW streamers I follow are on SOOP now. Twitch KR is a ghost town.",
}
# number: quoted number, for the posts whose quote shows the quoted post's current text as-is.
SIMPLE_QUOTES = {3: 2, 4: 2, 6: 5, 9: 8, 10: 7, 13: 8, 17: 16}


def _time(text: str, fmt: str) -> datetime:
    return datetime.strptime(f"2023-{text}", fmt).replace(tzinfo=UTC)


def _content(key: object) -> list[Node]:
    units = paragraphs(TEXTS[key])
    nodes: list[Node] = []
    for i, unit in enumerate(units):
        nodes += ([Br(), Br()] if i else []) + unit
    return [*nodes, Br(), Br()]


def build_seed_thread(forum: str = "games") -> tuple[Thread, list[Post]]:
    """The seed thread's skeleton and posts (22 posts, 2 pages)."""
    times = [_time(HEADERS[n][1], "%Y-%m-%d %H:%M") for n in sorted(HEADERS)]
    authors = [HEADERS[n][0] for n in sorted(HEADERS)]
    thread = Thread(TOPIC_ID, forum, TITLE, SLUG, POST_IDS, authors, times, views=48213,
                    rng_key="seed", kind="seed")  # fmt: skip
    posts = [_post(thread, n) for n in sorted(HEADERS)]
    for post in posts:
        post.units = _units(post.number, posts)
    return thread, posts


def _post(thread: Thread, number: int) -> Post:
    author, _, edited = HEADERS[number]
    edited_at = _time(edited, "%Y-%m-%d %H:%M:%S") if edited else None
    return Post(POST_IDS[number - 1], thread, number, author, thread.times[number - 1], [],
                edited_at=edited_at, variant=number * 7)  # fmt: skip


def _quote(posts: list[Post], number: int, content_key: object, nested=(), blank=False) -> Quote:
    quoted = posts[number - 1]
    return Quote(quoted.author, quoted.posted_at, quoted.id, _content(content_key), list(nested),
                 blank_after_header=blank)  # fmt: skip


def _units(number: int, posts: list[Post]) -> list[list[Node]]:
    """Own paragraphs, with the quotes as reconstructed from the rendering."""
    if number in INVENTED:
        return paragraphs(INVENTED[number])
    if number in SIMPLE_QUOTES:
        quoted = SIMPLE_QUOTES[number]
        return [[_quote(posts, quoted, quoted)], *paragraphs(TEXTS[number])]
    q = _quote
    quotes = {
        # #12 quotes #3 as it read before its edit; #3's quote of #2 hides behind the toggle.
        12: lambda: q(posts, 3, "3_old", [q(posts, 2, 2)]),
        14: lambda: q(posts, 12, 12, [q(posts, 3, "3_old", [q(posts, 2, 2)])]),
        18: lambda: q(posts, 17, 17, [q(posts, 16, 16)]),
        # #19 kept only #12's own words (no nested quote), after an empty line.
        19: lambda: q(posts, 12, 12, blank=True),
        # #20 quotes #19 as the forum renders a quoted video: a youtu.be link.
        20: lambda: q(posts, 19, "19_quoted", [q(posts, 12, 12, blank=True)]),
    }
    own = paragraphs(TEXTS[number]) if number != 19 else _post19_units()
    if number in quotes:
        return [[quotes[number]()], *own]
    return own


def _post19_units() -> list[list[Node]]:
    video = [Video("n88smKblUME", 275)]
    return [*paragraphs(TEXTS["19_a"]), video, *paragraphs(TEXTS["19_b"]), [Br()]]
