"""CleanPostsPipeline + QuoteParentsPipeline on items, including the golden seed thread.

The seed is ../shared/seeds/000_c6458d976560aa8b.txt (page 1 of "Twitch to cease business
operations in Korea", General Games): its 20 posts are rebuilt below as body HTML in tl.net's quote
markup, with the seed's words, authors and times. Expected parents were read off the seed by hand
(tests/files/golden/seed_quotes.json), not computed.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.utils.test import get_crawler

from tests.fakeforum.nodes import Ctx, render
from tests.fakeforum.replica import Replica
from tests.fakeforum.seed import build_seed_thread
from tests.fakeforum.truth import post_document
from tests.support import seed_quote_parents, seed_quote_tree, seed_reply_to
from tlcrawl.items import PostItem, ThreadItem, UserItem, walk_quotes
from tlcrawl.parsing.post_body import content_hash, fragment_text, parse_body, squash_lines
from tlcrawl.pipelines.clean_posts import CleanPostsPipeline, clean_text
from tlcrawl.pipelines.quote_parents import QuoteParentsPipeline

BASE = "http://127.0.0.1:8765"
THREAD = 616000


class Pipelines:
    """Both pipelines on one crawler, in settings order (clean, then quote parents)."""

    def __init__(self) -> None:
        self.crawler = get_crawler(settings_dict={"TLCRAWL_BASE_URL": BASE})
        self.clean = CleanPostsPipeline.from_crawler(self.crawler)
        self.quotes = QuoteParentsPipeline.from_crawler(self.crawler)

    def feed(self, *items: Any) -> list[Any]:
        return [self.quotes.process_item(self.clean.process_item(item)) for item in items]

    def stat(self, name: str) -> Any:
        return self.crawler.stats.get_value(name)


def quote(header: str | None, html: str, nested: str = "", toggle: int | None = None) -> str:
    """A quote in tl.net markup; a depth-2 quote (`toggle` given) hides behind its toggle."""
    body = (f"<b>On {header} wrote:</b><br>" if header else "") + nested + html
    if toggle is not None:
        body = (
            f'<a href="#" id="showQuoteLink_{toggle}" '
            f'onclick="javascript:toggleShowQuote({toggle}); return false">'
            f'Show nested quote +</a><br><div id="showQuoteRest_{toggle}" style="display: none;">'
            f"{body}</div>"
        )
    return f'<div class="quote"><hr>{body}<hr></div><br>'


def post(
    number: int, author: str, posted: str, html: str, edited: str | None = None, sig: str = ""
) -> PostItem:
    return with_body(
        PostItem(
            _id=pid(number),
            thread_id=THREAD,
            forum="games",
            page=1,
            number=number,
            url=f"{BASE}/forum/viewpost.php?post_id={pid(number)}",
            author=author,
            posted_at=datetime.strptime(posted, "%B %d %Y %H:%M").replace(tzinfo=UTC),
            edited_at=datetime.fromisoformat(edited).replace(tzinfo=UTC) if edited else None,
            html=html,
        ),
        sig or None,
    )


def with_body(item: PostItem, signature_html: str | None) -> PostItem:
    """The item as the spider yields it: body fields read by the parser (as in one page parse)."""
    body = parse_body(item.html, BASE)
    item.text, item.quotes = body.text, [quote.to_dict() for quote in body.quotes]
    item.links, item.images, item.videos = body.links, body.images, body.videos
    item.signature = fragment_text(signature_html) or None
    item.content_hash = content_hash(item.text)
    return item


def pid(number: int) -> int:
    """Post ids unrelated to post numbers, so a mix-up of the two shows."""
    return 28_437_000 + 37 * (21 - number)


# --- the seed thread's words ---------------------------------------------------------------------
P2 = (
    "Wow, very little notice. Streamers will need to switch over to YouTube asap in order to be "
    "ready. Also very weird that apparently S. Korea has laws on the books that says businesses "
    "have to pay their users bandwidths unlike say the ISP's here in the States. Makes me wonder "
    "what will happen to all the tournaments scheduled etc.<br><br>Also isn't Twitch owned by "
    "Amazon... there is no possible way the costs were that high for them to start to sweat it."
)
P3_BEFORE_EDIT = (
    "I don't think that's really how the regulations work AFAIK? It's kind of technical and "
    "complicated (same-size ISP's have to pay each other for the traffic they send each other or "
    "something like that). The consequence is that ISP's seem to incentivized to place huge fees "
    "on content providers + their normal business motive of trying to make more money.<br><br>"
    "I'm sure there's a lot more nuance to this but I dunno enough about how global broadband "
    "networking works to elaborate."
)
P3 = P3_BEFORE_EDIT.replace("seem to incentivized", "seem to be incentivized").replace(
    "content providers +", "content providers to recoup costs +"
)
P5 = (
    "Was twitch never popular in korea? or does this ahs to dfo more with the payment twitch needs "
    "to make towards ISP and also Korea protecting and giving preference to their national "
    "streaming services?"
)
P7 = (
    "In basic terms, Korean streamers will still be able to stream on Twitch via a VPN through "
    "Japan or elsewhere.<br><br>But, and this is a MASSIVE but, Korean streamers can no longer "
    "monetize on Twitch. All Partner/Affiliate contracts will end on February 27th, and they can't "
    "receive any payouts from Subs, Bits, or Ad revenue. Leaving Donations as the only remaining "
    "financial option, which is impractical.<br><br>In StarCraft terms, this hurts. But the real "
    "loss will be felt elsewhere. Variety streamers, Korean-centric games like Lost Ark &amp; "
    "Eternal Return, and in particular League of Legends."
)
P8 = (
    "Starcraft on Twitch was an awesome time, but it seems better to move on. Youtube, Rumble and "
    "others all allow multiple platform streaming, which is also better. and I am not personally a "
    "fan of Twitch and the culture that have spawned around it."
)
P12 = (
    "You are correct but the regulation isn't that shocking, it s actually been debated elsewhere. "
    "In the US and Canada the market is either big enough and/or the cost borne by the consumer is "
    "really high, so it s not so much a problem + there is extra lobbying power. But korea is a "
    "small very competitive market with cheap prices (relatively) for super fast speed, both "
    "mobile and home.<br><br>I m pretty sure twitch has other issues specifically in Korea that "
    "led them to the decision. If it were a systemic regulatory issue you d see way more pushback "
    "from other companies. It might just be a convenient excuse. That or the regulation has extra "
    "teeth when it comes to tax/content control"
)
P16 = "gone are the sexy korean women showing cleveage"
P17 = (
    "there's probably some industry lesson to be learned from the fact that AfreecaTV has way more "
    "of these types of streamers (and much laxer regulations), but none of the coomers in the west "
    "know about this."
)
P19_HEAD = (
    "Hello,<br><br>According to these guys : "
    '<a href="https://www.opennetkorea.org/" target="_blank">https://www.opennetkorea.org/</a> '
    "the cost of data delivery in south korea is much higher than elsewhere:<br>"
)
P19_TAIL = (
    '<br><br>Not sure you won\'t see "more pushback from other companies", as there apparently '
    "have been lawsuits of kt vs facebook and netflix vs sk over network costs.<br><br>What do you "
    'mean by "in the usa the cost borne by the consumer is high so there is less of a problem"? '
    "Do us citizens pay different rates depending on the content consumed?"
)
P19 = (
    P19_HEAD + '<iframe class="youtube-player" type="text/html" width="500" height="315" '
    'src="https://www.youtube.com/embed/n88smKblUME?start=275" frameborder="0" '
    'allowfullscreen="1"></iframe>' + P19_TAIL
)
# In #20's quote of #19 the embed shows as its link.
P19_AS_QUOTED = P19_HEAD + "https://youtu.be/n88smKblUME?t=275" + P19_TAIL
SIG_WAX = "Hey HP can you redo everything youve ever done because i have a small complaint?"


def seed_posts() -> list[PostItem]:
    q2 = quote("December 06 2023 12:01 {CC}StealthBlue", P2)
    q3_then = quote("December 06 2023 12:09 Waxangel", P3_BEFORE_EDIT, nested=q2, toggle=3)
    q8 = quote("December 06 2023 19:25 ejozl", P8)
    q12 = quote("December 06 2023 22:58 WGT-Baal", P12, nested=q3_then)
    q2_nested = quote("December 06 2023 12:01 {CC}StealthBlue", P2, toggle=1)
    Q16 = ("December 08 2023 00:02 Riner1212", P16)
    q16 = quote(*Q16)
    return [
        post(
            1,
            "Waxangel",
            "December 06 2023 02:50",
            "Twitch has announced that it plans to cease business operations in Korea due to "
            "unsustainable costs.<br><br>Official Post:<br>"
            + quote(
                None,
                "This morning, I shared with our community in Korea that we’ve made the difficult "
                "decision to shut down the Twitch business in Korea on February 27, 2024 KST."
                "<br><br>Dan Clancy, Twitch CEO",
            ),
            edited="2023-12-06 04:01:08",
            sig=SIG_WAX,
        ),
        post(2, "{CC}StealthBlue", "December 06 2023 03:01", P2, edited="2023-12-06 03:05:37"),
        post(3, "Waxangel", "December 06 2023 03:09", q2 + P3, "2023-12-06 15:22:22", SIG_WAX),
        post(
            4,
            "Dante08",
            "December 06 2023 03:59",
            q2 + "It’s still a business though, even mega corps like Amazon wouldn’t want to "
            "stomach costs over a long period of time.",
        ),
        post(5, "[Phantom]", "December 06 2023 06:01", P5, sig="Writer<br>@Mortal_Phantom"),
        post(
            6,
            "Waxangel",
            "December 06 2023 06:15",
            quote("December 06 2023 15:01 [Phantom]", P5)
            + "Twitch was pretty popular in Korea!<br><br>It's my understanding that current "
            "measures are protectionist.",
            edited="2023-12-06 06:31:07",
        ),
        post(7, "Chris_Havoc", "December 06 2023 06:40", P7),
        post(8, "ejozl", "December 06 2023 10:25", P8),
        post(
            9,
            "PurE)Rabbit-SF",
            "December 06 2023 11:58",
            q8 + "Agrees, twitch has some bad culture around it for sure.",
        ),
        post(
            10,
            "PurE)Rabbit-SF",
            "December 06 2023 11:59",
            quote("December 06 2023 15:40 Chris_Havoc", P7) + "Based take my dude.",
        ),
        post(
            11,
            "Mizenhauer",
            "December 06 2023 13:19",
            "let's pour one out for the korean twitch titty streamers. may they find prosperity "
            "on afreeca.",
        ),
        post(
            12,
            "WGT-Baal",
            "December 06 2023 13:58",
            quote("December 06 2023 12:09 Waxangel", P3_BEFORE_EDIT, nested=q2_nested) + P12,
            edited="2023-12-06 14:03:17",
            sig="Horang2 fan",
        ),
        post(
            13,
            "Dante08",
            "December 06 2023 14:54",
            q8 + "Tbf it won’t affect BW much, most pros stream on Afreeca and Youtube.",
        ),
        post(
            14,
            "andrewlt",
            "December 06 2023 17:01",
            q12 + "The ISPs are double dipping.<br><br>ISPs in the US made the same excuses.",
        ),
        post(
            15, "JimmyJRaynor", "December 07 2023 01:47", "it'll be sad if Tasteless has to leave"
        ),
        post(16, "Riner1212", "December 07 2023 15:02", P16),
        post(17, "Waxangel", "December 07 2023 22:59", q16 + P17, edited="2023-12-07 22:59:57"),
        post(
            18,
            "Mizenhauer",
            "December 11 2023 00:11",
            quote("December 08 2023 07:59 Waxangel", P17, nested=quote(*Q16, toggle=4))
            + "speak for yourself. i've known about them for years.",
            edited="2023-12-11 00:13:28",
        ),
        post(
            19,
            "TwiggyWan",
            "December 11 2023 23:43",
            quote("December 06 2023 22:58 WGT-Baal", "<br>" + P12) + P19,
            sig="No bad days",
        ),
        post(
            20,
            "WGT-Baal",
            "December 12 2023 16:29",
            quote(
                "December 12 2023 08:43 TwiggyWan",
                P19_AS_QUOTED,
                nested=quote("December 06 2023 22:58 WGT-Baal", "<br>" + P12, toggle=9),
            )
            + "Not per content consumed but per data used.",
            edited="2023-12-12 16:38:11",
        ),
    ]


def parents(quotes: list[dict]) -> list:
    """Each quote as (parent number or None, nested parents), numbers recovered from ids."""
    number = {pid(n): n for n in range(1, 21)}
    return [(number.get(q["parent_id"]), parents(q["quotes"])) for q in quotes]


def test_golden_seed_thread_every_quote_parent():
    pipes = Pipelines()
    posts = pipes.feed(*seed_posts())
    got = {p.number: parents(p.quotes) for p in posts if p.quotes}
    assert got == seed_quote_tree()
    reply_to = {p.number: p.reply_to for p in posts if p.reply_to}
    assert reply_to == {n: [pid(p) for p in parents] for n, parents in seed_reply_to().items()}
    confidences = [q["confidence"] for p in posts for q in p.quotes if q["parent_id"]]
    assert confidences == [1.0] * 12
    # 13 direct + 5 nested quotes; all but #1's announcement resolved; no same-minute ties.
    assert (pipes.stat("quotes/seen"), pipes.stat("quotes/resolved")) == (18, 17)
    assert (pipes.stat("quotes/unresolved"), pipes.stat("quotes/ambiguous")) == (1, None)


def test_item_fields_from_html():
    [item] = Pipelines().feed(seed_posts()[18])  # #19: quote, link, embed, signature
    assert item.text.splitlines() == [
        "Hello,",
        "According to these guys : https://www.opennetkorea.org/ the cost of data delivery in "
        "south korea is much higher than elsewhere:",
        'Not sure you won\'t see "more pushback from other companies", as there apparently have '
        "been lawsuits of kt vs facebook and netflix vs sk over network costs.",
        'What do you mean by "in the usa the cost borne by the consumer is high so there is less '
        'of a problem"? Do us citizens pay different rates depending on the content consumed?',
    ]
    assert item.links == ["https://www.opennetkorea.org/"]
    assert item.videos == ["https://www.youtube.com/embed/n88smKblUME?start=275"]
    assert item.images == []
    assert item.signature == "No bad days"
    assert item.content_hash == hashlib.sha256(item.text.encode("utf-8")).hexdigest()
    [q] = item.quotes
    assert q["author"] == "WGT-Baal"
    assert q["quoted_at"] == datetime(2023, 12, 6, 13, 58, tzinfo=UTC)
    assert q["text"].startswith("You are correct but the regulation isn't that shocking")
    assert (q["parent_id"], q["confidence"], q["quotes"]) == (None, None, [])  # #12 not seen
    assert item.reply_to == []


def test_clean_never_parses_html():
    """The pipeline cleans the item's text fields; HTML left in `html` is not read again."""
    item = PostItem(
        _id=1,
        thread_id=THREAD,
        forum="games",
        page=1,
        number=1,
        url=f"{BASE}/forum/viewpost.php?post_id=1",
        author="a",
        posted_at=datetime(2020, 5, 1, tzinfo=UTC),
        html="<b>words that are not the text</b><a href='/x'>x</a>",
        text="  first\u00a0 line \n\n\t second\r\n",
        quotes=[{"author": "b", "quoted_at": None, "text": " q  1 ", "parent_id": None,
                 "confidence": None, "quotes": [{"author": None, "quoted_at": None,
                 "text": "\nnested  q\n", "parent_id": None, "confidence": None, "quotes": []}]}],
        signature="   ",
    )  # fmt: skip
    [cleaned] = Pipelines().feed(item)
    assert cleaned.text == "first line\nsecond"
    assert (cleaned.links, cleaned.images) == ([], [])
    [quote] = cleaned.quotes
    assert [quote["text"], quote["quotes"][0]["text"]] == ["q 1", "nested q"]
    assert cleaned.signature is None
    assert cleaned.content_hash == hashlib.sha256(b"first line\nsecond").hexdigest()


def test_a_post_without_a_hash_gets_the_hash_of_its_text():
    """Text already clean, as from the parser, but no hash (an item built elsewhere)."""
    item = post(3, "a", "May 01 2020 10:00", "plain words")
    item.text, item.content_hash = "plain words", None
    [cleaned] = Pipelines().feed(item)
    assert cleaned.content_hash == hashlib.sha256(b"plain words").hexdigest()


def test_clean_text_keeps_the_parsers_text():
    text = parse_body(P7 + "<br><div>Tom &amp; Jerry\u00a0</div>", BASE).text
    assert clean_text(text) == text
    assert text.endswith("Eternal Return, and in particular League of Legends.\nTom & Jerry")


# Text built from what makes cleaning hard: every kind of whitespace str.split knows, NUL, the
# break mark, and letters (ASCII and not, which changes how Python stores the string).
_TRICKY = st.text(st.sampled_from(list(" \n\t\r\x0b\x0c\x1c\x1f\x85\xa0\u2029\u3000\x00\x01abé한")))


@settings(max_examples=3000, derandomize=True, database=None)
@given(text=_TRICKY)
def test_clean_text_is_the_squash_rule_and_leaves_clean_text_alone(text):
    cleaned = clean_text(text)
    assert cleaned == squash_lines(text, "\n")  # the quick "already clean" test never lies
    assert clean_text(cleaned) == cleaned


def test_relative_links_built_on_the_base_url():
    html = '<a href="/forum/viewpost.php?post_id=5">see</a><img src="/staff/a.png">'
    [item] = Pipelines().feed(post(1, "a", "May 01 2020 10:00", html))
    assert item.links == [f"{BASE}/forum/viewpost.php?post_id=5"]
    assert item.images == [f"{BASE}/staff/a.png"]


def test_empty_body_counted_logged_and_kept(caplog):
    pipes = Pipelines()
    empty = post(2, "ghost", "May 01 2020 10:00", "  ")
    with caplog.at_level(logging.WARNING):
        [item] = pipes.feed(empty)
    assert item is empty
    assert (item.text, item.quotes, item.signature) == ("", [], None)
    assert item.content_hash == hashlib.sha256(b"").hexdigest()
    assert pipes.stat("posts/empty_body") == 1
    assert empty.url in caplog.text


def test_other_items_pass_unchanged():
    pipes = Pipelines()
    user = UserItem(_id="ejozl", profile_url=f"{BASE}/forum/profile.php?user=ejozl")
    thread = ThreadItem(_id=THREAD, forum="games", title="t", url=f"{BASE}/forum/games/1-t")
    assert pipes.feed(user, thread) == [user, thread]
    assert user == UserItem(_id="ejozl", profile_url=f"{BASE}/forum/profile.php?user=ejozl")


def test_interleaved_threads_and_thread_item_frees_state():
    pipes = Pipelines()
    a1 = post(1, "al", "May 01 2020 10:00", "the original words of thread A")
    b1 = post(2, "al", "May 01 2020 10:00", "the original words of thread A")
    b1.thread_id, b1._id = THREAD + 1, 999
    reply = quote("May 01 2020 19:00 al", "the original words of thread A") + "agreed"
    a2 = post(3, "bo", "May 01 2020 11:00", reply)
    pipes.feed(a1, b1, a2)
    # b1 (same author, minute and words, other thread) is no candidate: a unique certain match.
    assert (a2.quotes[0]["parent_id"], a2.quotes[0]["confidence"]) == (a1._id, 1.0)
    assert a2.reply_to == [a1._id]
    assert set(pipes.quotes.threads) == {THREAD, THREAD + 1}
    pipes.feed(ThreadItem(_id=THREAD, forum="games", title="t", url=f"{BASE}/forum/games/1-t"))
    assert set(pipes.quotes.threads) == {THREAD + 1}


def test_reply_to_distinct_parents_in_order():
    pipes = Pipelines()
    a = post(1, "al", "May 01 2020 10:00", "first")
    b = post(2, "bo", "May 01 2020 10:05", "second")
    q_b = quote("May 01 2020 19:05 bo", "second")
    q_a = quote("May 01 2020 19:00 al", "first")
    c = post(3, "cy", "May 01 2020 10:09", q_b + "x" + q_a + "y" + q_b + "z")
    pipes.feed(a, b, c)
    assert c.reply_to == [b._id, a._id]
    assert [q["parent_id"] for q in c.quotes] == [b._id, a._id, b._id]


# --- against the replica (tests/fakeforum): its served body HTML and its truth ------------------
def replica_item(doc: dict, signature_html: str | None) -> PostItem:
    """The PostItem the spider would yield for a truth document."""
    item = PostItem(
        _id=doc["_id"],
        thread_id=doc["thread_id"],
        forum=doc["forum"],
        page=doc["page"],
        number=doc["number"],
        url=doc["url"],
        author=doc["author"],
        posted_at=datetime.fromisoformat(doc["posted_at"]),
        edited_at=datetime.fromisoformat(doc["edited_at"]) if doc["edited_at"] else None,
        html=doc["html"],
    )
    return with_body(item, signature_html)


def crawl_replica_threads(replica: Any, threads: Any) -> list[tuple[dict, PostItem]]:
    """Feed each thread's posts in order, then its ThreadItem; return (truth, item) pairs."""
    pipes, pairs = Pipelines(), []
    for thread, posts in threads:
        for post in posts:
            doc = post_document(replica, post, BASE)
            signature = replica.users[post.author].signature
            html = render(signature, Ctx()) if signature else None
            pairs.append((doc, pipes.feed(replica_item(doc, html))[0]))
        pipes.feed(ThreadItem(_id=thread.id, forum=thread.forum, title="", url=""))
    assert pipes.quotes.threads == {}
    return pairs


def test_replica_seed_thread_parents_read_off_the_seed():
    replica = Replica(seed=1, forums=1, threads_per_forum=1)
    thread, posts = build_seed_thread("games")
    pairs = crawl_replica_threads(replica, [(thread, posts)])
    number = {item._id: item.number for _, item in pairs}
    got = {
        item.number: [number.get(q["parent_id"]) for q in walk_quotes(item.quotes)]
        for _, item in pairs
        if item.quotes
    }
    # Direct parent, then nested ones depth-first, as read off the seed page.
    assert {n: v for n, v in got.items() if n <= 20} == seed_quote_parents()


def test_replica_fields_and_quote_parents_against_truth():
    replica = Replica(seed=1, long_pages=20)
    pairs = crawl_replica_threads(replica, replica.all_posts())
    assert len(pairs) > 500
    for doc, item in pairs:
        for name in ("text", "links", "images", "videos", "signature", "content_hash"):
            assert getattr(item, name) == doc[name], (doc["_id"], name)
        assert [q["text"] for q in walk_quotes(item.quotes)] == [
            q["text"] for q in walk_quotes(doc["quotes"])
        ]
    resolved = [
        (ours["parent_id"], truth["parent_id"])
        for doc, item in pairs
        for ours, truth in zip(walk_quotes(item.quotes), walk_quotes(doc["quotes"]), strict=True)
    ]
    given = [(ours, truth) for ours, truth in resolved if ours is not None]
    existing = [(ours, truth) for ours, truth in resolved if truth is not None]
    precision = sum(ours == truth for ours, truth in given) / len(given)
    recall = sum(ours == truth for ours, truth in existing) / len(existing)
    assert len(existing) > 200
    assert precision >= 0.995, precision
    assert recall >= 0.99, recall
