"""Thread page parsing on hand-made pages (tests/files/) shaped as in docs/data-contract.md."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import lxml.html
import pytest

from tests.files.replica import saved
from tlcrawl.parsing.thread_page import ParsedPost, ThreadPage, parse_thread_page

FILES = Path(__file__).parent / "files"
SEED_URL = "https://tl.net/forum/games/619800-twitch-to-cease-business-operations-in-korea"
VARIANTS_URL = "http://127.0.0.1:8080/forum/starcraft-2/700123-ladder-map-pool-discussion?page=3"


def _page(name: str, url: str) -> ThreadPage:
    return parse_thread_page((FILES / name).read_bytes(), url)


@pytest.fixture(scope="module")
def seed() -> ThreadPage:
    return _page("thread_seed_p1.html", SEED_URL)


@pytest.fixture(scope="module")
def variants() -> ThreadPage:
    return _page("thread_variants_p3.html", VARIANTS_URL)


def _post(page: ThreadPage, number: int) -> ParsedPost:
    return next(post for post in page.posts if post.number == number)


# --- thread-level facts ---


def test_thread_id_and_forum_come_from_the_url(seed):
    assert (seed.thread_id, seed.forum) == (619800, "games")


def test_title(seed):
    assert seed.title == "Twitch to cease business operations in Korea"


def test_title_whitespace_is_collapsed(variants):
    assert variants.title == "Ladder map pool discussion"


def test_url_is_canonical_page_one(variants):
    expected = "http://127.0.0.1:8080/forum/starcraft-2/700123-ladder-map-pool-discussion"
    assert variants.url == expected


def test_page_and_pages_of_a_two_page_thread(seed):
    assert (seed.page, seed.pages) == (1, 2)


def test_pages_from_an_elided_pager_with_span_current(variants):
    assert (variants.page, variants.pages) == (3, 12)


def test_page_last_url_reads_the_current_page_from_the_pager():
    url = "http://127.0.0.1:8080/forum/starcraft-2/700123-ladder-map-pool-discussion?page=last"
    assert _page("thread_variants_p3.html", url).page == 3


def test_replies(seed):
    assert seed.replies == 21


def test_replies_number_in_its_own_element_with_thousands_separator(variants):
    assert variants.replies == 1236


def test_not_locked(seed):
    assert seed.locked is False


def test_locked(variants):
    assert variants.locked is True


def test_locked_phrase_quoted_inside_a_post_does_not_lock():
    html = """<h1 class="title">T</h1><article class="forumPost"><section>
        This thread is locked.</section></article>"""
    assert parse_thread_page(html, SEED_URL).locked is False


def test_forum_name_from_breadcrumb(seed):
    # The sidebar also links /forum/games/ with the same name; the breadcrumb is what is read.
    assert seed.forum_name == "General Games"


def test_forum_name_with_wrapped_breadcrumb_items(variants):
    assert variants.forum_name == "StarCraft 2"


def test_forum_name_in_one_text_node():
    html = "<div>Forum Index &gt; Tech Support</div>"
    assert parse_thread_page(html, SEED_URL).forum_name == "Tech Support"


def test_no_problems_on_a_clean_page(seed):
    assert seed.problems == []


# --- posts ---


def test_posts_in_document_order(seed):
    assert [post.number for post in seed.posts] == [1, 2, 3]


def test_post_ids(seed):
    assert [post.post_id for post in seed.posts] == [27000001, 27000002, 27000003]


def test_post_url_on_the_crawl_base(variants):
    # #45's link is on www.teamliquid.net; the stored URL is on the base the page came from.
    assert _post(variants, 45).url == "http://127.0.0.1:8080/forum/viewpost.php?post_id=31000045"


def test_authors(seed):
    assert [post.author for post in seed.posts] == ["Waxangel", "{CC}StealthBlue", "Waxangel"]


def test_posted_at_is_utc(seed):
    assert _post(seed, 2).posted_at == datetime(2023, 12, 6, 3, 1, tzinfo=UTC)


def test_relative_time_uses_the_title_attribute(variants):
    assert _post(variants, 41).posted_at == datetime(2024, 3, 2, 10, 15, tzinfo=UTC)


def test_edited_at_in_different_elements(seed):
    assert [post.edited_at for post in seed.posts] == [
        datetime(2023, 12, 6, 4, 1, 8, tzinfo=UTC),
        datetime(2023, 12, 6, 3, 5, 37, tzinfo=UTC),
        datetime(2023, 12, 6, 15, 22, 22, tzinfo=UTC),
    ]


def test_edited_at_none_when_not_edited(variants):
    assert _post(variants, 41).edited_at is None


def test_country_ignores_the_tooltip_span_before_it(seed):
    assert _post(seed, 1).country == "United States"


def test_country_of_a_user_without_one(variants):
    assert _post(variants, 42).country is None


def test_post_count(seed):
    assert [post.post_count for post in seed.posts] == [33429, 41117, 33429]


def test_post_count_singular_and_with_thousands_separator(variants):
    assert (_post(variants, 43).post_count, _post(variants, 45).post_count) == (1, 7001)


def test_post_count_of_a_user_without_country(variants):
    assert _post(variants, 42).post_count == 12


def test_joined_from_tooltip_anywhere_in_header(seed):
    assert [post.joined for post in seed.posts] == ["2002-09", "2003-01", "2002-09"]


def test_tl_plus(variants):
    assert [post.tl_plus for post in variants.posts] == [False, False, True, False]


def test_profile_url_is_quoted(seed):
    assert _post(seed, 2).profile_url == "https://tl.net/forum/profile.php?user=%7BCC%7DStealthBlue"


def test_body_html_is_the_section_content(seed):
    assert _post(seed, 2).html == (
        "Wow, very little notice. Streamers will need to switch over to YouTube asap in order to"
        " be ready.<br><br>Also isn't Twitch owned by Amazon... there is no possible way the costs"
        " were that high for them to start to sweat it."
    )


def test_body_html_keeps_quotes(seed):
    assert _post(seed, 3).html.startswith('<div class="quote"><hr><b>On December 06 2023 12:01')


def test_body_html_excludes_the_signature(seed):
    assert all("forumsig" not in post.html and "Hey HP" not in post.html for post in seed.posts)


def test_body_is_the_outer_section_when_wrapped(variants):
    assert _post(variants, 45).html.startswith("<p>Outer.</p><section>Inner section.</section>")


def test_signature_text(seed):
    assert (
        _post(seed, 2).signature == '"Smokey, this is not \'Nam, this is bowling. There are rules."'
    )


def test_signature_inside_the_article(variants):
    assert _post(variants, 45).signature == "sig inside the article"
    assert "sig" not in _post(variants, 45).text


def test_no_signature(variants):
    assert _post(variants, 41).signature is None


def test_post_without_link_is_a_problem_and_others_are_kept(variants):
    assert [post.number for post in variants.posts] == [41, 42, 43, 45]
    assert variants.problems == ["post #44: missing post link"]


# --- broken pages ---

HEADER = """<header><div class="fpost-username"><span>{author}</span></div>
<div class="fpost-userinfo"><span class="tt-userinfo">1 Posts</span></div>
<aside class="tooltip"><span class="tt-userinfo">Joined May 2012</span></aside>
<div class="fpost-postinfo"><a class="submessage" href="/forum/viewpost.php?post_id={id}">{time}</a>
<a name="{n}" href="#{n}">#{n}</a></div></header>"""
BODY = '<article class="forumPost"><section>body {n}</section></article>'


def _header(n: int, author: str = "a", time: str = "May 01 2024 10:00 GMT") -> str:
    # Post 1 opens the page, so its header carries the title every page has.
    title = '<h1 class="title">T</h1>' if n == 1 else ""
    return title + HEADER.format(author=author, id=1000 + n, time=time, n=n)


def test_truncated_page_keeps_complete_posts():
    html = (FILES / "thread_seed_p1.html").read_text()
    cut = html[: html.index("I don't think that's really")]
    page = parse_thread_page(cut, SEED_URL)
    assert [post.number for post in page.posts] == [1, 2, 3]
    assert page.posts[1].signature is not None
    assert page.title == "Twitch to cease business operations in Korea"


def test_truncated_inside_a_header_reports_the_post():
    html = (FILES / "thread_seed_p1.html").read_text()
    cut = html[: html.index('<a class="submessage" href="/forum/viewpost.php?post_id=27000003"')]
    page = parse_thread_page(cut, SEED_URL)
    assert [post.number for post in page.posts] == [1, 2]
    assert page.problems == ["post 3 on the page: missing post number"]


def test_header_without_body_is_a_problem():
    html = _header(1) + _header(2) + BODY.format(n=2)
    page = parse_thread_page(html, SEED_URL)
    assert [post.number for post in page.posts] == [2]
    assert page.problems == ["post #1: missing body"]


def test_unreadable_time_is_a_problem():
    html = _header(1, time="yesterday") + BODY.format(n=1) + _header(2) + BODY.format(n=2)
    page = parse_thread_page(html, SEED_URL)
    assert [post.number for post in page.posts] == [2]
    assert page.problems[0].startswith("post #1: unreadable post time")


def test_missing_author_is_a_problem():
    html = _header(1, author="") + BODY.format(n=1)
    assert parse_thread_page(html, SEED_URL).problems == ["post #1: missing author"]


def test_missing_optional_user_info_is_reported_but_kept():
    html = _header(1).replace("1 Posts", "").replace("Joined May 2012", "") + BODY.format(n=1)
    page = parse_thread_page(html, SEED_URL)
    assert page.posts[0].post_count is None and page.posts[0].joined is None
    assert page.problems == ["post #1: no post count", "post #1: no join date"]


def test_body_without_header_is_a_problem():
    html = '<h1 class="title">T</h1>' + BODY.format(n=1) + _header(2) + BODY.format(n=2)
    page = parse_thread_page(html, SEED_URL)
    assert [post.number for post in page.posts] == [2]
    assert page.problems == ["post body without a header (after 0 headers)"]


def test_single_page_thread_without_pager():
    page = parse_thread_page(_header(1) + BODY.format(n=1), SEED_URL)
    assert (page.page, page.pages, page.replies) == (1, 1, None)


@pytest.mark.parametrize("html", ["", "   ", b"", "<html><body><p>404 Not Found</p></body></html>"])
def test_not_a_thread_page_is_a_failed_page(html):
    page = parse_thread_page(html, SEED_URL)
    assert (page.posts, page.title, page.pages) == ([], "", 1)
    assert page.error == "not a thread page: no title and no post"
    assert page.problems == ["no h1.title", page.error]


def test_url_that_is_not_a_thread_falls_back_to_pager_links():
    html = (FILES / "thread_seed_p1.html").read_bytes()
    page = parse_thread_page(html, "https://tl.net/forum/viewpost.php?post_id=27000002")
    assert (page.thread_id, page.forum) == (619800, "games")
    assert page.url == SEED_URL


def test_url_that_is_not_a_thread_without_pager_is_a_problem():
    page = parse_thread_page(_header(1) + BODY.format(n=1), "https://tl.net/forum/")
    assert page.thread_id is None
    assert "not a thread URL: https://tl.net/forum/" in page.problems


def test_bytes_are_utf8_without_a_charset_declaration():
    html = _header(1, author="Zerg’s Ümlaut").encode() + BODY.format(n=1).encode()
    assert parse_thread_page(html, SEED_URL).posts[0].author == "Zerg’s Ümlaut"


def test_body_html_keeps_entities_escaped_and_drops_the_section_tag():
    section = '<section title="a>b" class="x">1 &lt; 2 &amp; <i>x</i></section>'
    body = f'<article class="forumPost">{section}</article>'
    page = parse_thread_page(_header(1) + body, SEED_URL)
    assert page.posts[0].html == "1 &lt; 2 &amp; <i>x</i>"


def test_empty_body_is_an_empty_string():
    body = '<article class="forumPost"><section></section></article>'
    assert parse_thread_page(_header(1) + body, SEED_URL).posts[0].html == ""


def test_page_facts_ignore_the_sidebar_and_the_title():
    html = """<div id="sidebar"><a href="/forum/games/5-x">Patch 5</a>
        <a href="/forum/games/6-y">Comments on balance</a> Forum Index &gt; Wrong</div>
        <div id="main-content">
        <h1 class="title">Forum Index &gt; 3 Comments: This thread is locked.</h1>
        <div>Forum Index &gt; General Games</div><span>7</span> Comments</div>"""
    page = parse_thread_page(html, SEED_URL)
    assert (page.title[:11], page.forum_name, page.replies, page.locked) == (
        "Forum Index",
        "General Games",
        7,
        False,
    )


def test_comment_links_in_main_content_are_not_the_count():
    html = '<a href="/forum/games/6-y">4 Comments</a><div>12 Comments</div>'
    assert parse_thread_page(html, SEED_URL).replies == 12


# --- saved replica pages (tests/files/replica/, compared with the replica's truth) ---

REPLICA_THREAD_PAGES = [path for path in saved.paths() if re.search(r"/\d+-", path)]


@cache  # parsed once for all the parametrized tests below
def _replica_page(path: str) -> ThreadPage:
    return parse_thread_page(*saved.page(path))


def _normalized_html(fragment: str) -> str:
    """One serialization for both sides: the replica escapes `'` as `&#39;`, lxml does not."""
    return lxml.html.tostring(lxml.html.fragment_fromstring(fragment, create_parent="div"))


def test_replica_pages_cover_the_variants():
    threads = {_replica_page(path).thread_id for path in REPLICA_THREAD_PAGES}
    kinds = saved.truth()["thread"]
    assert any(kinds[thread_id]["locked"] for thread_id in threads)
    assert any(kinds[thread_id]["pages"] >= 10 for thread_id in threads)


@pytest.mark.parametrize("path", REPLICA_THREAD_PAGES)
def test_replica_thread_facts(path):
    page = _replica_page(path)
    thread = saved.truth()["thread"][page.thread_id]
    forum = saved.truth()["forum"][thread["forum"]]
    got = (page.forum, page.title, page.url, page.replies, page.pages, page.locked, page.forum_name)
    expected = (thread["forum"], thread["title"], thread["url"], thread["replies"])
    assert got == (*expected, thread["pages"], thread["locked"], forum["name"])
    assert page.problems == []


@pytest.mark.parametrize("path", REPLICA_THREAD_PAGES)
def test_replica_posts_are_all_found(path):
    page = _replica_page(path)
    posts = saved.truth()["post"].values()
    on_page = [
        p["_id"] for p in posts if p["thread_id"] == page.thread_id and _shown(p, path, page)
    ]
    assert [post.post_id for post in page.posts] == sorted(on_page, key=_number_of)


def _shown(post: dict, path: str, page: ThreadPage) -> bool:
    return "view=all" in path or post["page"] == page.page


def _number_of(post_id: int) -> int:
    return saved.truth()["post"][post_id]["number"]


def _replica_posts() -> list[tuple[str, ParsedPost]]:
    return [(path, post) for path in REPLICA_THREAD_PAGES for post in _replica_page(path).posts]


@pytest.mark.parametrize(("path", "post"), _replica_posts())
def test_replica_post_fields(path, post):
    truth = saved.truth()["post"][post.post_id]
    got = (post.number, post.author, post.url, post.posted_at, post.edited_at, post.tl_plus)
    expected = (truth["number"], truth["author"], truth["url"], saved.when(truth["posted_at"]))
    assert got == (*expected, saved.when(truth["edited_at"]), truth["tl_plus"])
    assert _normalized_html(post.html) == _normalized_html(truth["html"])


@pytest.mark.parametrize(("path", "post"), _replica_posts())
def test_replica_post_body_fields_in_one_pass(path, post):
    """Text, quotes, links and media come with the post: nothing is left to re-parse."""
    truth = saved.truth()["post"][post.post_id]
    got = (post.text, post.links, post.images, post.videos, post.content_hash)
    expected = (truth["text"], truth["links"], truth["images"], truth["videos"])
    assert got == (*expected, truth["content_hash"])
    assert _quote_shape([q.to_dict() for q in post.quotes]) == _quote_shape(truth["quotes"])


def _iso(when: datetime | str | None) -> str | None:
    return when.isoformat() if isinstance(when, datetime) else when


def _quote_shape(quotes: list[dict]) -> list:
    """What the parser reads of each quote (parents are resolved later), times as text."""
    return [
        (q["author"], _iso(q["quoted_at"]), q["text"], _quote_shape(q["quotes"])) for q in quotes
    ]


@pytest.mark.parametrize(("path", "post"), _replica_posts())
def test_replica_post_user_and_signature(path, post):
    truth = saved.truth()["post"][post.post_id]
    user = saved.truth()["user"][post.author]
    got = (post.country, post.post_count, post.joined, post.profile_url)
    assert got == (user["country"], user["post_count"], user["joined"], user["profile_url"])
    assert post.signature == truth["signature"]
