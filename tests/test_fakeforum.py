"""The replica forum: determinism, pages vs truth, the seed thread, redirects, faults.

Pages are checked with plain lxml/regex, independent of tlcrawl's parsers: the text rules of
docs/data-contract.md are re-implemented in tests/support.py (`rule_text`) to check the truth.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import lxml.html
import pytest

from tests.fakeforum import build_forum
from tests.fakeforum.server import Faults, ReplicaServer
from tests.support import (
    SEED_PATH,
    body_of,
    has_class,
    of_type,
    own_quote,
    page_posts,
    parse_quote,
    rule_text,
    seed_reply_to,
    strip_truth_quote,
)
from tests.support import (
    TRUTH_BASE as BASE,
)

SEED_PAGE = Path(__file__).parent / "fakeforum" / "seed_page.txt"


@pytest.fixture(scope="module")
def forum():
    return build_forum()


@pytest.fixture(scope="module")
def truth(forum):
    return list(forum.truth_documents(BASE))


# --- determinism ---
def test_two_builds_are_byte_identical(truth):
    again = build_forum()
    assert [json.dumps(d) for d in again.truth_documents(BASE)] == [json.dumps(d) for d in truth]
    forum = build_forum()
    for path in ["/forum/", "/forum/games/", SEED_PATH, "/forum/starcraft-2/?currentpage=1"]:
        assert forum.render(path) == again.render(path)


def test_thread_content_does_not_depend_on_other_forums(truth):
    """`games` threads are the same whether one or two forums are generated."""
    small = build_forum(forums=1, threads_per_forum=4)
    small_posts = {d["_id"]: d for d in of_type(small.truth_documents(BASE), "post")}
    same = [d for d in of_type(truth, "post") if d["_id"] in small_posts]
    assert len(same) == len(small_posts) > 40
    assert all(small_posts[d["_id"]] == d for d in same)


# --- pages vs truth ---
def test_every_truth_post_is_on_its_page_with_its_html_and_text(forum, truth):
    by_page = defaultdict(list)
    threads = {t["_id"]: t for t in of_type(truth, "thread")}
    for post in of_type(truth, "post"):
        by_page[(post["thread_id"], post["page"])].append(post)
    assert len(by_page) == sum(t["pages"] for t in threads.values())
    for (thread_id, page), posts in by_page.items():
        url = threads[thread_id]["url"].removeprefix(BASE) + (f"?page={page}" if page > 1 else "")
        html = body_of(forum, url)
        found = page_posts(html)
        assert [(n, i) for n, i, _ in found] == [(p["number"], p["_id"]) for p in posts]
        for (_, _, section), post in zip(found, posts, strict=True):
            assert f"<section>{post['html']}</section>" in html
            assert rule_text(section) == post["text"]


def test_quotes_in_html_match_truth_nesting(forum, truth):
    threads = {t["_id"]: t for t in of_type(truth, "thread")}
    posts = {p["_id"]: p for p in of_type(truth, "post")}
    checked = 0
    for (thread_id, page), _ in Counter(
        (p["thread_id"], p["page"]) for p in posts.values()
    ).items():
        url = threads[thread_id]["url"].removeprefix(BASE) + f"?page={page}"
        for _, post_id, section in page_posts(body_of(forum, url)):
            direct = [
                q for q in section.iter("div") if has_class(q, "quote") and own_quote(q) is None
            ]
            parsed = [parse_quote(q) for q in direct]
            assert [strip_truth_quote(q) for q in posts[post_id]["quotes"]] == [
                {k: v for k, v in q.items() if k != "toggled"} | {"quotes": strip(q["quotes"])}
                for q in parsed
            ]
            assert all(toggle_rule_holds(q, 1) for q in parsed)
            checked += len(parsed)
    assert checked > 200


def strip(quotes):
    return [
        {k: v for k, v in q.items() if k != "toggled"} | {"quotes": strip(q["quotes"])}
        for q in quotes
    ]


def toggle_rule_holds(quote, depth) -> bool:
    """Only depth-2 quotes sit behind a "Show nested quote +" toggle."""
    return quote["toggled"] == (depth == 2) and all(
        toggle_rule_holds(q, depth + 1) for q in quote["quotes"]
    )


def test_truth_covers_the_hard_cases(forum, truth):
    posts = of_type(truth, "post")
    by_id = {p["_id"]: p for p in posts}
    quotes = [q for p in posts for q in p["quotes"]]
    assert any(q["author"] is None and q["parent_id"] for q in quotes)  # no attribution
    assert any(q["author"] and q["parent_id"] is None for q in quotes)  # deleted post
    assert any(q["quotes"] and q["quotes"][0]["quotes"] for q in quotes)  # three deep
    # a quote of a post edited after the quote, showing the old words
    assert any(
        q["parent_id"]
        and by_id[q["parent_id"]]["edited_at"]
        and by_id[q["parent_id"]]["edited_at"] > p["posted_at"]
        and q["text"] not in by_id[q["parent_id"]]["text"]
        for p in posts
        for q in p["quotes"]
    )
    # same author, same minute, and one of the two quoted
    minute = Counter((p["thread_id"], p["author"], p["posted_at"]) for p in posts)
    doubles = {p["_id"] for p in posts if minute[(p["thread_id"], p["author"], p["posted_at"])] > 1}
    assert any(q["parent_id"] in doubles for q in quotes)
    # a quoted post on New Year's Eve whose KST header is already in the next year
    assert any(q["quoted_at"] and q["quoted_at"][:4] != kst_year(q["quoted_at"]) for q in quotes)
    assert any(len(p["links"]) and p["links"][0].startswith(BASE) for p in posts)
    assert any(p["images"] for p in posts) and any(p["videos"] for p in posts)
    assert any(re.search("[가-힣]", p["text"]) for p in posts)
    assert max(t["pages"] for t in of_type(truth, "thread")) >= 100
    users = of_type(truth, "user")
    assert any(u["country"] is None for u in users)
    assert {"{CC}StealthBlue", "[Phantom]", "PurE)Rabbit-SF"} <= {u["_id"] for u in users}
    html = "".join(p["html"] for p in posts)
    for needle in ["&amp;", "&lt;", "&quot;", "&#39;", "&nbsp;", "toggleShowSpoiler", "/smilies/"]:
        assert needle in html


def kst_year(iso: str) -> str:
    return str((datetime.fromisoformat(iso) + timedelta(hours=9)).year)


def test_pages_show_relative_times_locked_and_sticky(forum, truth):
    threads = of_type(truth, "thread")
    locked = next(t for t in threads if t["locked"])
    assert "This thread is locked." in body_of(forum, locked["url"].removeprefix(BASE))
    index = body_of(forum, "/forum/games/")
    sticky = next(t for t in threads if t["sticky"] and t["forum"] == "games")
    first_row = index.index('<tr class="forumindex">')
    assert index.index(sticky["url"].removeprefix(BASE)) < index.index("</tr>", first_row)
    assert 'alt="Sticky"' in index and "<b>Sticky:</b>" in index
    pages = "".join(body_of(forum, t["url"].removeprefix(BASE) + "?page=last") for t in threads)
    assert re.search(r'title="\w+ \d\d \d{4} \d\d:\d\d GMT"[^>]*>\d+ hours ago<', pages)


def test_pager_elides_but_shows_first_and_last(forum, truth):
    long = max(of_type(truth, "thread"), key=lambda t: t["pages"])
    html = body_of(forum, long["url"].removeprefix(BASE) + "?page=50")
    top = lxml.html.fromstring(html).cssselect("tr.thread_dock.top div.pagination")[0]
    hrefs = [a.get("href") for a in top.iter("a")]
    assert (
        hrefs[0].endswith("?page=49")
        and top.xpath("string(.//a[1]/@title)") == "Previous Page (49)"
    )
    assert f"?page={long['pages']}" in " ".join(hrefs) and "…" in top.text_content()
    assert top.xpath(".//a[@rel='nofollow']/@href")[0].endswith("?view=all")


def test_seed_page_matches_the_real_rendering(truth):
    """Page 1 of the seed thread against the real page's plain-text rendering."""
    lines = SEED_PAGE.read_text().split("\n")
    seed = [p for p in of_type(truth, "post") if p["thread_id"] == 622006]
    users = {u["_id"]: u for u in of_type(truth, "user")}
    assert len(seed) == 22 and "21 CommentsPost a Reply" in lines
    numbers = [i for i, line in enumerate(lines) if re.fullmatch(r"#\d+", line)]
    for k, post in enumerate(seed[:20]):
        at = numbers[k]
        assert lines[at] == f"#{post['number']}"
        profile = max(i for i in range(at) if lines[i].startswith("Profile "))
        user = users[post["author"]]
        month = datetime.strptime(user["joined"], "%Y-%m").strftime("%B %Y")
        expected = [
            post["author"],
            f"Joined {month}",
            f"{user['country']}{user['post_count']} Posts",
        ]
        assert [
            lines[profile - 1],
            lines[profile][-len(expected[1]) :],
            lines[profile + 1],
        ] == expected
        assert lines[at - 1] == datetime.fromisoformat(post["posted_at"]).strftime(
            "%B %d %Y %H:%M GMT"
        )
        edited = post["edited_at"] and datetime.fromisoformat(post["edited_at"])
        assert (lines[at - 2] if edited else None) == (
            edited and f"Last Edited: {edited:%Y-%m-%d %H:%M:%S}"
        )
        ends = [i - 1 for i in range(at, len(lines)) if lines[i].startswith("Profile ")]
        end = ends[0] if k < 19 else lines.index("1 2 Next All", at)
        shown = [line for line in lines[at + 1 : end] if line.strip()]
        assert shown == displayed_lines(post), post["number"]


def displayed_lines(post) -> list[str]:
    """What a browser shows of a post: quotes (headers, toggles), text, share links, signature."""
    out = [line for q in post["quotes"] for line in quote_lines(q, 1)] + post["text"].split("\n")
    if post["number"] == 1:
        out.append("Facebook Twitter Reddit")
    if post["signature"]:
        titles = {"Waxangel": "Administrator", "[Phantom]": "Writer"}
        out.append(titles.get(post["author"], "") + post["signature"])
    return out


def quote_lines(quote, depth) -> list[str]:
    kst = datetime.fromisoformat(quote["quoted_at"]) + timedelta(hours=9)
    out = ["Show nested quote +"] if depth == 2 else []
    out.append(f"On {kst:%B %d %Y %H:%M} {quote['author']} wrote:")
    out += [line for q in quote["quotes"] for line in quote_lines(q, depth + 1)]
    return out + quote["text"].split("\n")


def test_seed_quote_parents(truth):
    seed = {p["number"]: p for p in of_type(truth, "post") if p["thread_id"] == 622006}
    replies = {n: [number_of(seed, x) for x in p["reply_to"]] for n, p in seed.items()}
    assert {n: r for n, r in replies.items() if r} == seed_reply_to()
    assert [number_of(seed, q["parent_id"]) for q in seed[14]["quotes"][0]["quotes"]] == [3]
    assert seed[19]["videos"] == ["https://www.youtube.com/embed/n88smKblUME?start=275"]
    assert seed[19]["links"] == ["https://www.opennetkorea.org/"]


def number_of(seed, post_id) -> int:
    return next(n for n, p in seed.items() if p["_id"] == post_id)


# --- other URLs ---
def test_redirects_404s_and_robots(forum, truth):
    post = next(p for p in of_type(truth, "post") if p["page"] == 3)
    thread = next(t for t in of_type(truth, "thread") if t["_id"] == post["thread_id"])
    path = thread["url"].removeprefix(BASE)
    status, headers, _ = forum.render(f"/forum/viewpost.php?post_id={post['_id']}")
    assert (status, headers["Location"]) == (302, f"{path}?page=3#{post['number']}")
    status, headers, _ = forum.render(f"/forum/viewmessage.php?topic_id={thread['_id']}")
    assert (status, headers["Location"]) == (302, path)
    for missing in [f"{path}?page={thread['pages'] + 1}", f"{path}?page=0", "/forum/nope/",
                    "/forum/viewpost.php?post_id=5", path + "-wrong", "/forum/games/?currentpage=9",
                    "/forum/profile.php?user=nobody-at-all", "/elsewhere"]:  # fmt: skip
        assert forum.render(missing)[0] == 404, missing
    assert forum.render(f"{path}?page=last") == forum.render(f"{path}?page={thread['pages']}")
    status, headers, body = forum.render("/robots.txt")
    assert body.decode() == "User-agent: *\nDisallow: /mytlnet/\n"
    status, headers, body = forum.render("/forum/profile.php?user=%7BCC%7DStealthBlue")
    assert status == 200 and "{CC}StealthBlue" in body.decode()
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_view_all_holds_every_post(forum, truth):
    thread = next(t for t in of_type(truth, "thread") if 2 <= t["pages"] <= 5)
    html = body_of(forum, thread["url"].removeprefix(BASE) + "?view=all")
    assert [n for n, _, _ in page_posts(html)] == list(range(1, thread["replies"] + 2))


def test_forum_list_is_scoped_and_one_fid_is_missing(forum, truth):
    tree = lxml.html.fromstring(body_of(forum, "/forum/"))
    main = tree.get_element_by_id("main-content")
    links = {
        a.get("href"): a
        for a in main.iter("a")
        if re.fullmatch(r"/forum/[a-z0-9-]+/", a.get("href"))
    }
    fids = {}
    for href, a in links.items():
        owner = next((e for e in a.iterancestors() if e.get("data-fid")), None)
        fids[href.split("/")[2]] = int(owner.get("data-fid")) if owner is not None else None
    assert fids == {f["_id"]: f["forum_id"] for f in of_type(truth, "forum")}
    assert None in fids.values()
    assert tree.xpath(
        "//div[@id='sidebar']//a[@href='/forum/games/']"
    )  # chrome has forum links too


def test_revision_edits_keep_ids_and_quotes_and_cluster_on_recent_posts(truth):
    """Revision 1 edits posts in the day before its clock (2025-09-12 03:00), mostly recent ones."""
    edited = list(build_forum(revision=1).truth_documents(BASE))
    before = {p["_id"]: p for p in of_type(truth, "post")}
    after = {p["_id"]: p for p in of_type(edited, "post") if p["_id"] in before}
    changed = [i for i in after if before[i]["text"] != after[i]["text"]]
    assert changed and all(not after[i].get("deleted") for i in changed)
    for i in changed:
        assert "2025-09-11T03:00" < after[i]["edited_at"] <= "2025-09-12T03:00"
        assert after[i]["edited_at"] > (before[i]["edited_at"] or before[i]["posted_at"])
        assert after[i]["content_hash"] != before[i]["content_hash"]
        assert after[i]["quotes"] == before[i]["quotes"]
    recent = {i for i in after if after[i]["posted_at"] >= "2025-09-09T03:00"}
    old_share = len(set(changed) - recent) / len(set(after) - recent)
    assert 0 < old_share < 0.02
    assert len(set(changed) & recent) / len(recent) > 5 * old_share


# --- the server and its faults ---
def respond(server: ReplicaServer, target: str):
    """Run one request in a thread of its own: pytest-twisted keeps an event loop running here."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, server.respond(target)).result()


def test_failures_hit_only_the_first_attempt(forum):
    server = ReplicaServer(forum, Faults(fail_rate=0.5))
    targets = [
        f"{t.path}?page={p}" for t in forum.threads.values() for p in range(1, min(t.pages, 3) + 1)
    ]
    first = [respond(server, t)[0] for t in targets]
    assert 0.3 < sum(s in (500, 503) for s in first) / len(first) < 0.7
    assert {500, 503} <= set(first)
    assert all(respond(server, t)[0] == 200 for t in targets)
    again = ReplicaServer(forum, Faults(fail_rate=0.5))  # same pages fail in a new run
    assert [respond(again, t)[0] for t in targets] == first
    assert respond(again, "/robots.txt")[0] == 200


def test_truncation_cuts_a_post_once(forum):
    """Only the first attempt is cut, however many attempts other faults fail."""
    server = ReplicaServer(forum, Faults(truncate_rate=1.0, fail_attempts=3))
    _, _, cut = respond(server, SEED_PATH)
    _, _, whole = respond(server, SEED_PATH)
    assert whole == forum.render(SEED_PATH)[2]
    assert whole.startswith(cut) and len(cut) < len(whole)
    assert cut.count(b'class="forumPost"') == 11 and b"</html>" not in cut


def test_rate_limit_and_slow_pages(forum):
    server = ReplicaServer(forum, Faults(rate_limit=3))
    statuses = [respond(server, "/robots.txt") for _ in range(12)]
    limited = [s for s in statuses if s[0] == 429]
    assert limited and all(s[1]["Retry-After"] == "1" for s in limited)
    slow = ReplicaServer(forum, Faults(slow_rate=1.0, slow_seconds=0.3))
    started = time.monotonic()
    assert respond(slow, "/forum/games/")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_served_over_http(replica):
    server = replica("--forums", "1", "--threads-per-forum", "3")
    with urllib.request.urlopen(server.url + SEED_PATH + "?page=2") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "#22" in response.read().decode()
    request = urllib.request.Request(server.url + "/forum/viewmessage.php?topic_id=622006")
    with urllib.request.urlopen(request) as response:  # follows the 302
        assert response.url == server.url + SEED_PATH
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server.url + "/nothing-here")
    assert missing.value.code == 404


def test_a_429_is_not_one_of_a_pages_failing_attempts(forum):
    """A page failing 2 attempts gives 200 on the third, however many 429s came between."""
    server = ReplicaServer(forum, Faults(fail_rate=1.0, fail_attempts=2, rate_limit=1))
    statuses = []
    while 200 not in statuses:  # about two seconds: one attempt per second gets past the limit
        statuses.append(respond(server, SEED_PATH)[0])
    attempts = [s for s in statuses if s != 429]
    assert len(attempts) == 3 and set(attempts[:2]) <= {500, 503}
    assert statuses.count(429) >= 2
