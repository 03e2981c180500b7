"""Forum list and subforum index parsing on hand-made pages (tests/files/)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.files.replica import saved
from tlcrawl.parsing.forum_index import ForumIndexPage, IndexRow, parse_forum_index
from tlcrawl.parsing.forum_list import ForumLink, parse_forum_list

FILES = Path(__file__).parent / "files"
BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def forums() -> dict[str, ForumLink]:
    links = parse_forum_list((FILES / "forum_list.html").read_bytes(), BASE + "/forum/")
    return {link.slug: link for link in links}


@pytest.fixture(scope="module")
def index() -> ForumIndexPage:
    html = (FILES / "forum_index_games_p1.html").read_bytes()
    return parse_forum_index(html, BASE + "/forum/games/")


def _row(page: ForumIndexPage, thread_id: int) -> IndexRow:
    return next(row for row in page.rows if row.thread_id == thread_id)


# --- forum list ---


def test_forum_slugs_in_document_order_main_content_only(forums):
    assert list(forums) == [
        "starcraft-2",
        "sc2-tournaments",
        "games",
        "brood-war",
        "website-feedback",
    ]


def test_forum_name_skips_textless_icon_links(forums):
    assert forums["starcraft-2"].name == "StarCraft 2"


def test_forum_name_whitespace_collapsed_and_first_link_wins(forums):
    assert forums["games"].name == "General Games"


def test_forum_id_from_nearest_ancestor_or_self(forums):
    ids = {slug: link.forum_id for slug, link in forums.items()}
    assert ids == {
        "starcraft-2": 19,
        "sc2-tournaments": 36,
        "games": 12,
        "brood-war": 6,
        "website-feedback": None,
    }


def test_forum_url_on_the_crawl_base(forums):
    # The page links https://tl.net/forum/sc2-tournaments/; the stored URL is on the crawl base.
    assert forums["sc2-tournaments"].url == BASE + "/forum/sc2-tournaments/"


def test_forum_list_without_main_content_reads_the_whole_page():
    links = parse_forum_list('<div data-fid="1"><a href="/forum/general/">General</a></div>', BASE)
    assert links == [ForumLink("general", "General", 1, BASE + "/forum/general/")]


@pytest.mark.parametrize("html", ["", b"<p>nothing</p>"])
def test_forum_list_of_an_empty_page(html):
    assert parse_forum_list(html, BASE) == []


# --- subforum index ---


def test_index_forum_page_and_pages(index):
    assert (index.forum, index.page, index.pages) == ("games", 1, 3)


def test_index_page_from_the_url_when_the_pager_has_no_marker():
    page = parse_forum_index("<div>no pager</div>", BASE + "/forum/games/?currentpage=4")
    assert (page.forum, page.page, page.pages, page.rows) == ("games", 4, 4, [])


def test_index_rows_in_order_sidebar_and_heading_excluded(index):
    assert [row.thread_id for row in index.rows] == [100, 101, 102, 619800, 103]


def test_index_title_without_sticky_prefix(index):
    assert [row.title for row in index.rows[:2]] == [
        "Rules of General Games",
        "Nintendo Switch Thread",
    ]


def test_index_sticky_from_prefix_outside_or_inside_the_link(index):
    assert [row.sticky for row in index.rows] == [True, True, False, False, False]


def test_index_sticky_from_icon_alone():
    html = """<table class="solid"><tr><td><img alt="Sticky"></td>
        <td><a href="/forum/games/9-t">T</a></td><td>a</td><td>1</td><td>2</td>
        <td>10:56 Apr 21 2012<br>b</td></tr></table>"""
    assert parse_forum_index(html, BASE + "/forum/games/").rows[0].sticky is True


def test_index_locked_from_icon(index):
    assert [row.locked for row in index.rows] == [False, False, True, False, False]


def test_index_url_is_canonical_on_the_crawl_base(index):
    # The row links www.teamliquid.net and has a `?page=last` shortcut; neither leaks into the URL.
    expected = BASE + "/forum/games/619800-twitch-to-cease-business-operations-in-korea"
    assert _row(index, 619800).url == expected


def test_index_author(index):
    assert _row(index, 101).author == "{CC}StealthBlue"


def test_index_replies_and_views_with_separators(index):
    assert (_row(index, 100).replies, _row(index, 100).views) == (0, 12345)


def test_index_last_post(index):
    assert _row(index, 102).last_post_at == datetime(2023, 12, 6, 3, 59, tzinfo=UTC)


def test_index_last_post_with_the_poster_as_a_link(index):
    """`10:56 Apr 21 2012<br><a ...>Waxangel</a>`: no space between the time and the name."""
    assert _row(index, 100).last_post_at == datetime(2012, 4, 21, 10, 56, tzinfo=UTC)


def test_index_unreadable_cell_keeps_the_row(index):
    assert _row(index, 103).views is None
    assert index.problems == ["thread 103: unreadable views ('n/a')"]


def test_index_row_with_missing_cells_keeps_the_thread():
    html = (
        '<table class="solid"><tr><td><a href="/forum/games/9-t">T</a></td><td>a</td></tr></table>'
    )
    page = parse_forum_index(html, BASE + "/forum/games/")
    assert [(row.thread_id, row.author, row.replies) for row in page.rows] == [(9, "a", None)]
    assert page.problems == [
        "thread 9: no replies cell",
        "thread 9: no views cell",
        "thread 9: no last post cell",
    ]


def test_index_of_a_url_that_is_not_a_subforum():
    page = parse_forum_index("", BASE + "/forum/games/1-t")
    assert (page.forum, page.rows, page.problems) == (
        None,
        [],
        [f"not a subforum URL: {BASE}/forum/games/1-t"],
    )


# --- saved replica pages (tests/files/replica/, compared with the replica's truth) ---


def test_replica_forum_list():
    links = parse_forum_list(*saved.page("/forum/"))
    got = [(link.slug, link.name, link.forum_id, link.url) for link in links]
    forums = saved.truth()["forum"].values()
    assert got == [(f["_id"], f["name"], f["forum_id"], f["url"]) for f in forums]
    assert any(f["forum_id"] is None for f in forums)  # the page hides one data-fid


@pytest.mark.parametrize("slug", ["games", "starcraft-2"])
def test_replica_forum_index(slug):
    page = parse_forum_index(*saved.page(f"/forum/{slug}/"))
    threads = [t for t in saved.truth()["thread"].values() if t["forum"] == slug]
    assert (page.forum, page.page, page.pages, page.problems) == (slug, 1, 1, [])
    assert sorted(row.thread_id for row in page.rows) == sorted(t["_id"] for t in threads)


def _replica_rows() -> list[IndexRow]:
    pages = [parse_forum_index(*saved.page(f"/forum/{s}/")) for s in ("games", "starcraft-2")]
    return [row for page in pages for row in page.rows]


@pytest.mark.parametrize("row", _replica_rows(), ids=lambda row: str(row.thread_id))
def test_replica_index_row(row):
    thread = saved.truth()["thread"][row.thread_id]
    got = (
        row.forum,
        row.title,
        row.url,
        row.author,
        row.replies,
        row.views,
        row.sticky,
        row.locked,
    )
    fields = ("forum", "title", "url", "author", "replies", "views", "sticky", "locked")
    assert got == tuple(thread[name] for name in fields)
    assert row.last_post_at == saved.when(thread["last_post_at"])


def test_replica_index_stickies_first():
    rows = parse_forum_index(*saved.page("/forum/games/")).rows
    assert any(row.sticky for row in rows)
    assert [row.sticky for row in rows] == sorted((row.sticky for row in rows), reverse=True)
