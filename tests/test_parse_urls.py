"""URL recognition and building for tl.net, its old hosts and the replica's base URL."""

from __future__ import annotations

import pytest

from tlcrawl.parsing.urls import (
    canonical_thread_url,
    forum_index_page_url,
    forum_list_url,
    forum_url,
    is_forum_host,
    is_forum_list,
    parse_forum_url,
    parse_thread_url,
    parse_typed_link,
    post_id_from_url,
    post_url,
    profile_url,
    thread_page_url,
)

THREAD = "https://tl.net/forum/games/619800-twitch-to-cease-business-operations-in-korea"
REPLICA = "http://127.0.0.1:8123"


def test_thread_url_parts():
    ref = parse_thread_url(THREAD)
    assert (ref.forum, ref.thread_id, ref.title_slug) == (
        "games",
        619800,
        "twitch-to-cease-business-operations-in-korea",
    )
    assert (ref.page, ref.last_page, ref.view_all, ref.post_id) == (1, False, False, None)


def test_thread_url_page_and_anchor():
    ref = parse_thread_url(THREAD + "?page=66#1308")
    assert (ref.page, ref.anchor) == (66, 1308)


def test_thread_url_page_last():
    ref = parse_thread_url(THREAD + "?page=last")
    assert (ref.last_page, ref.page) == (True, 1)


def test_thread_url_view_all():
    assert parse_thread_url(THREAD + "?view=all").view_all is True


@pytest.mark.parametrize("page", ["0", "-2", "abc", ""])
def test_thread_url_nonsense_page_is_page_one(page):
    assert parse_thread_url(f"{THREAD}?page={page}").page == 1


def test_thread_url_without_title_slug():
    ref = parse_thread_url("/forum/games/619800")
    assert (ref.thread_id, ref.title_slug, ref.canonical_url) == (
        619800,
        None,
        "/forum/games/619800",
    )


def test_relative_thread_href_resolved_on_base():
    ref = parse_thread_url("/forum/sc2-maps/5-x?page=2", REPLICA + "/forum/sc2-maps/")
    assert (ref.base, ref.forum, ref.thread_id, ref.page) == (REPLICA, "sc2-maps", 5, 2)


def test_relative_thread_href_without_base():
    ref = parse_thread_url("/forum/games/12-x")
    assert (ref.base, ref.thread_id) == ("", 12)


def test_legacy_viewmessage_url_is_a_thread_without_forum():
    ref = parse_thread_url("http://www.teamliquid.net/forum/viewmessage.php?topic_id=94806")
    assert (ref.thread_id, ref.forum, ref.canonical_url, ref.is_post) == (94806, None, None, False)


def test_viewpost_url_is_a_post_ref():
    ref = parse_thread_url("/forum/viewpost.php?post_id=27000002")
    assert (ref.post_id, ref.thread_id, ref.is_post) == (27000002, None, True)


@pytest.mark.parametrize(
    "url",
    [
        "https://tl.net/forum/games/",
        "https://tl.net/forum/",
        "https://tl.net/forum/profile.php?user=Waxangel",
        "https://tl.net/forum/viewpost.php?post_id=abc",
        "https://tl.net/forum/viewmessage.php",
        "https://tl.net/blogs/123-x",
        "https://tl.net/forum/games/619800-x/extra",
        "#1",
    ],
)
def test_not_thread_urls(url):
    assert parse_thread_url(url) is None


def test_with_base_other_hosts_are_not_the_forum():
    assert parse_thread_url("https://example.com/forum/games/1-x", REPLICA) is None


@pytest.mark.parametrize(
    "url", ["https://www.teamliquid.net/forum/games/1-x", "http://teamliquid.net/forum/games/1-x"]
)
def test_with_base_tl_hosts_are_the_forum(url):
    assert parse_thread_url(url, REPLICA).thread_id == 1


def test_is_forum_host():
    assert is_forum_host("/forum/x/") and is_forum_host("https://tl.net/")
    assert is_forum_host(REPLICA + "/forum/", REPLICA + "/")
    assert not is_forum_host("https://youtube.com/embed/x", REPLICA)


def test_canonical_drops_query_and_fragment():
    assert canonical_thread_url(THREAD + "?page=2#25") == THREAD


def test_canonical_rebased_onto_crawl_base():
    url = "https://www.teamliquid.net/forum/games/619800-twitch?page=2"
    assert (
        canonical_thread_url(url, REPLICA + "/some/page") == REPLICA + "/forum/games/619800-twitch"
    )


def test_canonical_of_relative_href_on_base():
    assert (
        canonical_thread_url("/forum/games/7-t?view=all", REPLICA) == REPLICA + "/forum/games/7-t"
    )


def test_canonical_none_for_post_and_legacy_links():
    assert canonical_thread_url("/forum/viewpost.php?post_id=1", REPLICA) is None
    assert canonical_thread_url("/forum/viewmessage.php?topic_id=1", REPLICA) is None


def test_thread_page_url_page_one_is_bare():
    assert thread_page_url(THREAD, 1) == THREAD
    assert thread_page_url(THREAD + "?page=1", 1) == thread_page_url(THREAD, 1)


def test_thread_page_url_from_another_page():
    assert thread_page_url(THREAD + "?page=7#140", 3) == THREAD + "?page=3"


def test_thread_page_url_rejects_non_threads():
    with pytest.raises(ValueError):
        thread_page_url("https://tl.net/forum/viewpost.php?post_id=1", 2)


def test_forum_url():
    assert forum_url("https://tl.net", "games") == "https://tl.net/forum/games/"
    assert forum_url(REPLICA + "/", "games") == REPLICA + "/forum/games/"


def test_forum_list_url():
    assert forum_list_url("https://tl.net") == "https://tl.net/forum/"
    assert forum_list_url(REPLICA + "/forum/games/") == REPLICA + "/forum/"
    assert is_forum_list(REPLICA + "/forum/") and is_forum_list("https://tl.net/forum/?x=1")
    assert not is_forum_list(REPLICA + "/forum/games/") and not is_forum_list(THREAD)


def test_builders_accept_any_page_url_as_base():
    assert post_url(THREAD + "?page=2", 5) == "https://tl.net/forum/viewpost.php?post_id=5"


def test_forum_index_page_url():
    assert forum_index_page_url(REPLICA, "games", 1) == REPLICA + "/forum/games/"
    assert forum_index_page_url(REPLICA, "games", 4) == REPLICA + "/forum/games/?currentpage=4"


def test_parse_forum_url():
    assert parse_forum_url(REPLICA + "/forum/games/?currentpage=4") == ("games", 4)
    assert parse_forum_url("/forum/sc2-maps/", REPLICA) == ("sc2-maps", 1)
    assert parse_forum_url(THREAD) is None


def test_post_url_and_id_round_trip():
    url = post_url(REPLICA, 27000002)
    assert url == REPLICA + "/forum/viewpost.php?post_id=27000002"
    assert post_id_from_url(url) == 27000002
    assert post_id_from_url(THREAD) is None


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("Waxangel", "Waxangel"),
        ("{CC}StealthBlue", "%7BCC%7DStealthBlue"),
        ("PurE)Rabbit-SF", "PurE%29Rabbit-SF"),
        ("a b&c", "a%20b%26c"),
    ],
)
def test_profile_url_quotes_the_name(name, quoted):
    assert profile_url("https://tl.net", name) == f"https://tl.net/forum/profile.php?user={quoted}"


@pytest.mark.parametrize(
    ("url", "post_id"),
    [
        ("/forum/viewpost.php?post_id=27000002", 27000002),
        ("https://www.teamliquid.net/forum/viewpost.php?post_id=5#5", 5),
        ("/forum/viewpost.php?x=1&post_id=7&y=2", 7),
        ("/forum/viewpost.php?post_id=12abc", None),
        ("/forum/viewpost.php?topic_id=3", None),
        ("/forum/viewmessage.php?topic_id=3", None),
        ("/forum/games/1-x?post_id=3", None),
        ("#post_id=3", None),
    ],
)
def test_post_id_from_url(url, post_id):
    assert post_id_from_url(url) == post_id


@pytest.mark.parametrize(
    ("typed", "thread_id", "post_id", "anchor"),
    [
        (THREAD, 619800, None, None),
        (" " + THREAD + "?page=66#1308 ", 619800, None, 1308),
        ("tl.net/forum/games/619800-x", 619800, None, None),  # copied without the scheme
        ("www.teamliquid.net/forum/viewmessage.php?topic_id=77", 77, None, None),
        ("/forum/viewpost.php?post_id=27000002", None, 27000002, None),
        (f"{REPLICA}/forum/viewpost.php?post_id=5#3", None, 5, 3),
    ],
)
def test_typed_links(typed, thread_id, post_id, anchor):
    ref = parse_typed_link(typed)
    assert (ref.thread_id, ref.post_id, ref.anchor) == (thread_id, post_id, anchor)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "601234",
        "abc",
        "https://tl.net/forum/games/",
        "tl.net/forum/x y/1",
        "http://[::1/forum/1",
    ],
)
def test_typed_links_that_name_no_thread_or_post(typed):
    assert parse_typed_link(typed) is None
