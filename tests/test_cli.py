"""`tlcrawl` subcommands against the real MongoDB-protocol server, on the sample archive."""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pymongo
import pytest
from typer.testing import CliRunner

from tests.servers import ROOT, start_mongo
from tlcrawl.cli.main import app
from tlcrawl.queries import search_filter
from tlcrawl.storage.client import mask_uri, server_wait

WIDE = {"COLUMNS": "220"}


@pytest.fixture
def tl(mongo_server, sample_db):
    """Run `tlcrawl ARGS` in-process against the sample database."""

    def run(*args: str, env: dict[str, str] | None = None):
        options = ["--uri", mongo_server.url, "--db", sample_db.name]
        return CliRunner().invoke(app, [*args, *options], env={**WIDE, **(env or {})})

    return run


def json_lines(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


# --- thread ----------------------------------------------------------------------------------


def test_thread_json_lists_posts_in_order_with_whom_they_quote(tl):
    rows = json_lines(tl("thread", "622006", "--json"))
    assert [(r["number"], r["author"]) for r in rows] == [
        (1, "Zergling"),
        (2, "Waxangel"),
        (3, "Zergling"),
        (4, "Jaedong"),
        (5, "Waxangel"),
    ]
    assert rows[0]["posted_at"] == "2023-11-28T10:00:00+00:00"
    assert [(q["number"], q["author"]) for q in rows[2]["quotes"]] == [(2, "Waxangel")]
    assert [(q["post_id"], q["number"]) for q in rows[3]["quotes"]] == [
        (27790001, 1),
        (27790016, 3),
    ]
    assert [(q["number"], q["author"]) for q in rows[4]["quotes"]] == [
        (4, "Jaedong"),
        (None, "Boxer"),
        (None, None),
    ]


def lines_of(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [line.rstrip() for line in result.stdout.splitlines()]


def post_section(lines: list[str], number: int) -> list[str]:
    """The lines of post #number in the conversation view (its header up to the next post)."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"#{number} "))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return [line for line in lines[start:end] if line]


def test_thread_reads_as_a_conversation_with_full_text_and_quote_lines(tl):
    lines = lines_of(tl("thread", "622006"))
    assert lines[:3] == [
        "Thread 622006: What are you playing?",
        "games · 5 posts · all posts",
        "https://tl.net/forum/games/622006-what-are-you-playing",
    ]
    assert post_section(lines, 1) == [
        "#1 Zergling  2023-11-28 10:00",
        "  What are you playing?",
        "  Me: Factorio.",  # the whole text, not only its first line
        "  quoted by #2 Waxangel, #4 Jaedong, #3 Waxangel (thread 119003)",
    ]
    assert post_section(lines, 4) == [
        "#4 Jaedong  2023-11-29 09:00",
        '  quotes #1 Zergling: "Me: Factorio."',
        '  quotes #3 Zergling: "Which build?"',
        "  Factorio is the best.",
        "  Strength build, obviously.",
        "  quoted by #5 Waxangel",
    ]
    assert post_section(lines, 5)[1:4] == [
        '  quotes #4 Jaedong: "Factorio is the best."',
        '  quotes ? Boxer: "Never give up."',
        '  quotes ? unknown: "anonymous words"',
    ]
    assert "  Agreed. [b]Not markup[/b]" in lines  # forum text is never rich markup


def test_thread_text_wraps_to_the_terminal_and_long_quotes_are_shortened(tl, sample_db):
    words = " ".join(f"word{i}" for i in range(60))
    sample_db.posts.update_one({"_id": 27790001}, {"$set": {"text": words}})
    sample_db.posts.update_one({"_id": 27790010}, {"$set": {"quotes.0.text": words}})
    lines = lines_of(tl("thread", "622006", env={"COLUMNS": "60"}))
    body = [line for line in post_section(lines, 1) if "word" in line]
    assert len(body) > 5 and all(len(line) <= 60 for line in body)
    assert " ".join(" ".join(body).split()) == words  # nothing lost in the wrapping
    quote = " ".join(" ".join(post_section(lines, 2)[1:3]).split())
    assert quote.startswith('quotes #1 Zergling: "word0 word1') and quote.endswith(' …"')
    assert "word59" not in quote  # the quoted words are shortened


def test_thread_short_form_is_one_line_per_post(tl):
    lines = lines_of(tl("thread", "622006", "--short"))
    [row] = [line for line in lines if line.lstrip().startswith("#4 ")]
    assert "Jaedong" in row and "Factorio is the best." in row
    assert "#1 Zergling, #3 Zergling" in row and "#5 Waxangel" in row
    assert "Strength build" not in "\n".join(lines)  # only the first line of each post


def test_deleted_posts_are_marked(tl):
    lines = lines_of(tl("thread", "119003"))
    assert "#2 Zergling  2024-01-02 07:00  [deleted]" in lines
    assert "  Zerg is fine. FACTORIO later." in lines  # the words are kept
    assert "[deleted]" in tl("post", "1190030002").stdout
    assert "[deleted]" not in "\n".join(post_section(lines, 1))
    [row] = [r for r in json_lines(tl("thread", "119003", "--json")) if r["number"] == 2]
    assert row["deleted_at"] == "2024-02-03T08:30:00+00:00"


def test_thread_post_range_and_page(tl):
    rows = json_lines(tl("thread", "622006", "--from", "2", "--to", "3", "--json"))
    assert [r["number"] for r in rows] == [2, 3]
    assert [r["number"] for r in json_lines(tl("thread", "622006", "--from", "4", "--json"))] == [
        4,
        5,
    ]
    assert len(json_lines(tl("thread", "622006", "--page", "1", "--json"))) == 5
    limited = json_lines(tl("thread", "622006", "--from", "2", "--limit", "2", "--json"))
    assert [r["number"] for r in limited] == [2, 3]
    beyond = tl("thread", "622006", "--page", "2")
    assert beyond.exit_code == 1
    assert "thread 622006 has no page 2 (archived pages: 1-1)" in beyond.stderr
    assert tl("thread", "622006", "--from", "4", "--to", "2").exit_code == 2
    assert tl("thread", "622006", "--page", "1", "--from", "2").exit_code == 2


def test_thread_by_url_shows_cross_thread_quotes(tl):
    url = "https://tl.net/forum/sc2/119003-patch-5012-discussion?page=1#3"
    rows = json_lines(tl("thread", url, "--json"))
    assert [r["post_id"] for r in rows] == [1190030001, 1190030002, 1190030003]
    assert rows[2]["quotes"] == [
        {
            "post_id": 27790001,
            "number": 1,
            "author": "Zergling",
            "thread_id": 622006,
            "text": "What are you playing?",
        },
        {
            "post_id": 1190030002,
            "number": 2,
            "author": "Zergling",
            "thread_id": 119003,
            "text": "Zerg is fine.",
        },
    ]
    assert post_section(lines_of(tl("thread", url)), 3)[1:3] == [
        '  quotes #1 Zergling (thread 622006): "What are you playing?"',
        '  quotes #2 Zergling: "Zerg is fine."',
    ]


@pytest.mark.parametrize(
    "ref",
    [
        "https://tl.net/forum/viewpost.php?post_id=1190030003",  # a post permalink: its thread
        "tl.net/forum/viewpost.php?post_id=1190030002",  # without the scheme
        "https://www.teamliquid.net/forum/viewmessage.php?topic_id=119003",  # legacy form
        "/forum/sc2/119003-patch-5012-discussion",  # a path
        "http://127.0.0.1:8080/forum/sc2/119003#2",  # another host, no title slug
    ],
)
def test_thread_takes_every_url_form_the_spider_takes(tl, ref):
    rows = json_lines(tl("thread", ref, "--json"))
    assert [r["post_id"] for r in rows] == [1190030001, 1190030002, 1190030003]


def test_thread_reply_tree(tl):
    rows = json_lines(tl("thread", "622006", "--tree", "--json"))
    assert [(r["number"], r["depth"], r["parent"]) for r in rows] == [
        (1, 0, None),
        (2, 1, 1),
        (3, 2, 2),
        (4, 1, 1),
        (5, 2, 4),
    ]
    assert rows[3]["also_replies_to"] == [3]
    shown = tl("thread", "622006", "--tree")
    assert shown.exit_code == 0
    assert "#4 Jaedong" in shown.stdout
    assert "(also replies to #3)" in shown.stdout


def test_unknown_thread_is_exit_1(tl):
    result = tl("thread", "999")
    assert result.exit_code == 1
    assert "thread 999 not found" in result.stderr
    missing_post = tl("thread", "https://tl.net/forum/viewpost.php?post_id=999")
    assert missing_post.exit_code == 1
    assert "post 999 not found" in missing_post.stderr


@pytest.mark.parametrize(
    "ref",
    ['{"$ne": null}', "622006; drop", "abc", "1e3", "https://tl.net/forum/games/", "١٢٣"],
)
def test_thread_argument_must_be_an_id_or_thread_url(tl, ref):
    result = tl("thread", ref)
    assert result.exit_code == 2
    assert "not a thread id or any thread or post URL" in result.stderr


# --- post ------------------------------------------------------------------------------------


def test_post_shows_the_post_its_resolved_quotes_and_its_replies(tl):
    lines = lines_of(tl("post", "27790042"))
    assert lines[:2] == [
        "Post 27790042, #4 of thread 622006: What are you playing? (games), page 1",
        "https://tl.net/forum/viewpost.php?post_id=27790042",
    ]
    assert "  Strength build, obviously." in lines
    quotes = lines[lines.index("Quotes") + 1 : lines.index("Replies (posts quoting it)")]
    assert [line for line in quotes if line] == [
        "  #1 Zergling  2023-11-28 10:00  post 27790001",
        "  https://tl.net/forum/viewpost.php?post_id=27790001",
        "    Me: Factorio.",
        "  #3 Zergling  2023-11-28 12:30  post 27790016",
        "  https://tl.net/forum/viewpost.php?post_id=27790016",
        "    Which build?",
    ]
    assert lines[lines.index("Replies (posts quoting it)") + 1 :] == [
        "  #5 Waxangel  2023-11-30 23:59  post 27790113",
        "  https://tl.net/forum/viewpost.php?post_id=27790113",
        "    Agreed. [b]Not markup[/b]",
    ]


@pytest.mark.parametrize(
    "ref",
    [
        "27790001",
        "https://tl.net/forum/viewpost.php?post_id=27790001",
        "https://tl.net/forum/games/622006-what-are-you-playing?page=1#1",
    ],
)
def test_post_json_by_id_or_url(tl, ref):
    (row,) = json_lines(tl("post", ref, "--json"))
    assert (row["post_id"], row["text"]) == (27790001, "What are you playing?\nMe: Factorio.")
    assert [(q["number"], q["thread_id"]) for q in row["quoted_by"]] == [
        (2, 622006),
        (4, 622006),
        (3, 119003),
    ]


def test_post_quote_parents_in_json(tl):
    (row,) = json_lines(tl("post", "1190030003", "--json"))
    assert [(q["number"], q["parent"]["_id"], q["parent"]["text"]) for q in row["quotes"]] == [
        (1, 27790001, "What are you playing?\nMe: Factorio."),
        (2, 1190030002, "Zerg is fine. FACTORIO later."),
    ]
    (unknown,) = json_lines(tl("post", "27790113", "--json"))
    assert [q["parent"] is None for q in unknown["quotes"]] == [False, True, True]


@pytest.mark.parametrize(
    ("ref", "code", "message"),
    [
        ("9999", 1, "post 9999 not found"),
        ("https://tl.net/forum/games/622006-what-are-you-playing#9", 1, "post #9 of thread"),
        ("https://tl.net/forum/games/622006-what-are-you-playing", 2, "not a post id"),
        ("abc", 2, "not a post id"),
    ],
)
def test_post_not_found_or_not_a_post(tl, ref, code, message):
    result = tl("post", ref)
    assert result.exit_code == code
    assert message in result.stderr


# --- user ------------------------------------------------------------------------------------


def test_user_json_profile_forums_and_quote_partners(tl):
    (row,) = json_lines(tl("user", "Waxangel", "--json"))
    assert row["profile"]["country"] == "Australia"
    assert row["profile"]["first_post_at"] == "2023-11-28T11:00:00+00:00"
    assert row["posts_by_forum"] == [{"forum": "games", "posts": 2}, {"forum": "sc2", "posts": 1}]
    # The quote without header in 1190030003 counts for Zergling, the author of the quoted post.
    assert row["quotes"] == [
        {"user": "Zergling", "quotes": 3},
        {"user": "Boxer", "quotes": 1},
        {"user": "Jaedong", "quotes": 1},
    ]
    assert row["quoted_by"] == [{"user": "Zergling", "quotes": 1}]


def test_user_quoted_by_counts_each_direct_quote(tl):
    (row,) = json_lines(tl("user", "Zergling", "--json"))
    assert row["quoted_by"] == [{"user": "Waxangel", "quotes": 3}, {"user": "Jaedong", "quotes": 2}]
    assert row["quotes"] == [{"user": "Jaedong", "quotes": 1}, {"user": "Waxangel", "quotes": 1}]
    (jaedong,) = json_lines(tl("user", "Jaedong", "--json"))
    assert jaedong["quoted_by"] == [
        {"user": "Waxangel", "quotes": 1},
        {"user": "Zergling", "quotes": 1},
    ]


def test_user_table(tl):
    result = tl("user", "Zergling")
    assert result.exit_code == 0, result.output
    for expected in ("Korea (South)", "Whom Zergling quotes most", "Who quotes Zergling"):
        assert expected in result.stdout
    assert "│ post_count    │ 4,821 " in result.stdout  # grouped digits


def test_user_names_forgive_case(tl):
    result = tl("user", "zERGLING", "--json")
    (row,) = json_lines(result)
    assert row["user"] == "Zergling" and row["profile"]["country"] == "Korea (South)"
    assert "note: showing user 'Zergling'" in result.stderr


@pytest.mark.parametrize(
    ("name", "suggested"),
    [("Zerglin", "Zergling"), ("waxangle", "Waxangel"), ("jaedon", "Jaedong")],
)
def test_unknown_user_suggests_close_names(tl, name, suggested):
    result = tl("user", name)
    assert result.exit_code == 1
    assert f"user {name!r} not found; did you mean: {suggested}?" in result.stderr


@pytest.mark.parametrize("name", ['{"$ne": null}', ".*", "$author", "Boxer", "^Z"])
def test_unknown_user_is_exit_1_and_names_are_literal(tl, name):
    result = tl("user", name)
    assert result.exit_code == 1
    assert f"user {name!r} not found" in result.stderr


# --- search ----------------------------------------------------------------------------------


def search_ids(tl, *args: str) -> list[int]:
    return [row["post_id"] for row in json_lines(tl("search", *args, "--json"))]


def test_search_falls_back_to_substring_match_and_says_so(tl):
    result = tl("search", "factorio", "--json")
    assert [json.loads(line)["post_id"] for line in result.stdout.splitlines()] == [
        1190030002,
        27790042,
        27790001,
    ]
    assert "no text index on this server; using a case-insensitive substring match" in (
        result.stderr
    )
    table = tl("search", "factorio")
    assert "case-insensitive substring match" in table.stdout
    assert "Factorio is the best." in table.stdout


def test_search_shows_the_matching_words_in_context(tl, sample_db):
    text = " ".join(f"filler{i}" for i in range(100)) + " the zealot rush " + "tail " * 50
    sample_db.posts.update_one({"_id": 27790016}, {"$set": {"text": text}})
    result = tl("search", "zealot", env={"COLUMNS": "250"})
    [row] = [line for line in result.stdout.splitlines() if "27790016" in line]
    assert "filler99 the zealot rush tail" in row
    assert "…" in row and "filler1 " not in row  # the start is cut: the match is far into it


def test_search_highlights_matches_on_a_terminal(tl):
    result = tl("search", "factorio", env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[1;33mFactorio\x1b[0m is the best." in result.stdout
    assert "\x1b[" not in tl("search", "factorio").stdout  # nor in a pipe


def test_search_text_longer_than_500_characters_is_a_usage_error(tl):
    result = tl("search", "x" * 5000)
    assert result.exit_code == 2
    assert "the search text is 5,000 characters; at most 500" in result.stderr


def test_unknown_forum_is_exit_1_with_suggestions_and_case_is_forgiven(tl):
    result = tl("search", "factorio", "--forum", "sc3")
    assert result.exit_code == 1
    assert "forum 'sc3' not found; did you mean: sc2?" in result.stderr
    assert tl("top", "posters", "--forum", "nothing-like-it").exit_code == 1
    assert search_ids(tl, "factorio", "--forum", "GAMES") == [27790042, 27790001]


def test_search_filters(tl):
    assert search_ids(tl, "factorio", "--forum", "games") == [27790042, 27790001]
    assert search_ids(tl, "factorio", "--author", "Zergling") == [1190030002, 27790001]
    assert search_ids(tl, "factorio", "--since", "2023-11-29", "--until", "2023-12-31") == [
        27790042
    ]
    assert search_ids(tl, "factorio", "--until", "2023-11-28") == [27790001]  # the whole day
    assert search_ids(tl, "factorio", "--until", "20231128") == [27790001]  # basic form, same day
    assert search_ids(tl, "factorio", "--since", "2023-11-28T10:30:00+00:00") == [
        1190030002,
        27790042,
    ]
    assert search_ids(tl, "factorio", "--limit", "1") == [1190030002]


def test_search_text_is_literal_not_a_regex_or_operator(tl):
    assert search_ids(tl, ".*") == [1190030003]
    assert tl("search", "factorio", "--author", '{"$ne": null}').exit_code == 1  # no such user
    empty = tl("search", "(unclosed")
    assert empty.exit_code == 0
    assert "No posts match." in empty.stdout


@pytest.mark.parametrize(
    "args", [["--since", "2023-13-45"], ["--until", "yesterday"], ["--limit", "0"]]
)
def test_search_bad_input_is_exit_2(tl, args):
    result = tl("search", "factorio", *args)
    assert result.exit_code == 2
    assert args[0] in result.stderr


def test_search_empty_text_is_exit_2(tl):
    assert tl("search", "  ").exit_code == 2


def test_text_search_filter_is_a_quoted_phrase():
    # secantusdb has no text index, so the $text branch is checked on the filter it sends.
    query = search_filter('say "hi" -now', "text", forum="games")
    assert query == {"$text": {"$search": '"say  hi  -now"'}, "forum": "games"}


# --- top -------------------------------------------------------------------------------------


def test_top_quoted(tl):
    rows = json_lines(tl("top", "quoted", "--json"))
    assert [(r["post_id"], r["quotes"]) for r in rows] == [
        (27790001, 3),
        (27790010, 1),
        (27790016, 1),
        (27790042, 1),
        (1190030001, 1),
        (1190030002, 1),
    ]
    assert rows[0]["author"] == "Zergling"
    sc2 = json_lines(tl("top", "quoted", "--forum", "sc2", "--json"))
    assert [r["post_id"] for r in sc2] == [1190030001, 1190030002]
    assert "What are you playing?" in tl("top", "quoted", "--limit", "1").stdout


def test_top_posters(tl):
    rows = json_lines(tl("top", "posters", "--json"))
    assert rows == [
        {"author": "Waxangel", "posts": 3},
        {"author": "Zergling", "posts": 3},
        {"author": "Jaedong", "posts": 2},
    ]
    assert len(json_lines(tl("top", "posters", "--forum", "sc2", "--limit", "2", "--json"))) == 2


def test_top_threads_by_replies_or_views(tl):
    assert [r["_id"] for r in json_lines(tl("top", "threads", "--json"))] == [622006, 119003]
    by_views = json_lines(tl("top", "threads", "--by", "views", "--json"))
    assert [(r["_id"], r["views"]) for r in by_views] == [(119003, 98000), (622006, 1520)]
    assert "Patch 5.0.12 discussion" in tl("top", "threads").stdout


def test_top_unknown_list_is_exit_2(tl):
    assert tl("top", "liked").exit_code == 2


# --- stats -----------------------------------------------------------------------------------


def test_stats(tl):
    (row,) = json_lines(tl("stats", "--json"))
    assert row["forums"] == [
        {"forum": "games", "name": "General Games", "threads": 1, "posts": 5},
        {"forum": "sc2", "name": "StarCraft 2", "threads": 1, "posts": 3},
    ]
    assert row["months"] == [
        {"month": "2023-11", "posts": 5},
        {"month": "2023-12", "posts": 1},
        {"month": "2024-01", "posts": 2},
    ]
    fresh = {f["collection"]: f for f in row["freshness"]}
    assert fresh["posts"] == {
        "collection": "posts",
        "documents": 8,
        "latest_crawled_at": "2024-02-03T08:30:00+00:00",
    }
    assert fresh["users"]["latest_crawled_at"] is None
    table = tl("stats")
    assert "2024-01" in table.stdout and "General Games" in table.stdout


# --- graph -----------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_groups(path, kind: str) -> list[list[str]]:
    """The text lines of each `<g class="node">` (or "edge") in the SVG."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == kind]
    return [[t.text for t in g.iter(f"{SVG}text")] for g in groups]


def test_graph_writes_svg_with_post_nodes_and_quote_edges(tl, tmp_path):
    out = tmp_path / "thread.svg"
    result = tl("graph", "622006", "-o", str(out))
    assert result.exit_code == 0, result.output
    labels = sorted(lines[0] for lines in svg_groups(out, "node"))
    assert labels == ["#1 Zergling", "#2 Waxangel", "#3 Zergling", "#4 Jaedong", "#5 Waxangel"]
    assert len(svg_groups(out, "edge")) == 5
    assert "5 posts, 5 quotes" in result.stdout


def test_graph_includes_quoted_posts_of_other_threads(tl, tmp_path):
    out = tmp_path / "patch.svg"
    assert tl("graph", "119003", "-o", str(out)).exit_code == 0
    assert ["#1 Zergling", "thread 622006"] in svg_groups(out, "node")


def test_graph_nodes_link_to_their_posts(tl, tmp_path):
    out = tmp_path / "thread.svg"
    assert tl("graph", "622006", "-o", str(out)).exit_code == 0
    root = ET.parse(out).getroot()
    links = {
        a.get("{http://www.w3.org/1999/xlink}href")
        for a in root.iter(f"{SVG}a")
        if a.get("{http://www.w3.org/1999/xlink}href")
    }
    assert links == {
        f"https://tl.net/forum/viewpost.php?post_id={i}"
        for i in (27790001, 27790010, 27790016, 27790042, 27790113)
    }


@pytest.mark.parametrize(("name", "magic"), [("g.png", b"\x89PNG\r\n\x1a\n"), ("g.PDF", b"%PDF-")])
def test_graph_format_follows_the_file_name(tl, tmp_path, name, magic):
    out = tmp_path / name
    assert tl("graph", "622006", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(magic)


def test_graph_unknown_format_is_exit_2(tl, tmp_path):
    result = tl("graph", "622006", "-o", str(tmp_path / "g.jpg"))
    assert result.exit_code == 2
    assert "name it .svg, .png, .pdf or .dot" in result.stderr
    assert not (tmp_path / "g.jpg").exists()


def test_graph_window_around_a_post(tl, tmp_path):
    out = tmp_path / "w.dot"
    result = tl("graph", "622006", "--around", "5", "--depth", "1", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "(2 posts, 1 quotes)" in result.stdout  # #5 and the post it quotes, #4
    two = tl("graph", "622006", "--around", "5", "--depth", "2", "-o", str(out))
    assert "(4 posts, 3 quotes)" in two.stdout  # and #1 and #3, which #4 quotes
    ranged = tl("graph", "622006", "--from", "4", "--to", "5", "-o", str(out))
    assert "(4 posts, 3 quotes)" in ranged.stdout  # #1 and #3 drawn dashed, out of the window
    assert out.read_text().count("dashed") == 2


def test_graph_dot_output_and_unknown_thread(tl, tmp_path):
    out = tmp_path / "thread.dot"
    assert tl("graph", "622006", "-o", str(out)).exit_code == 0
    assert "p27790042 -> p27790016" in out.read_text()
    assert tl("graph", "999", "-o", str(tmp_path / "x.svg")).exit_code == 1
    assert not (tmp_path / "x.svg").exists()


def test_graph_without_graphviz_is_exit_4(tl, tmp_path):
    result = tl("graph", "622006", "-o", str(tmp_path / "x.svg"), env={"PATH": str(tmp_path)})
    assert result.exit_code == 4
    assert "graphviz `dot` not found" in result.stderr
    assert not (tmp_path / "x.svg").exists()


# --- connection ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_database_is_exit_3_and_hides_the_password(tmp_path):
    uri = f"mongodb://archivist:s3cr%40t@127.0.0.1:{free_port()}/"
    result = CliRunner().invoke(app, ["stats", "--uri", uri, "--timeout", "0.3"])
    assert result.exit_code == 3
    assert "cannot reach MongoDB at mongodb://archivist:****@127.0.0.1:" in result.stderr
    assert "s3cr" not in result.output


def test_the_uris_shorter_server_selection_timeout_wins_over_timeout():
    """pymongo's operation timeout overrides serverSelectionTimeoutMS: the command takes the
    shorter, so a URI that says 300 ms is not kept waiting for --timeout's 60 s."""
    uri = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"
    started = time.monotonic()
    result = CliRunner().invoke(app, ["stats", "--uri", uri, "--timeout", "60"])
    assert result.exit_code == 3
    assert time.monotonic() - started < 30  # half of --timeout: far from either bound


@pytest.mark.parametrize(
    ("query", "timeout", "expected"),
    [
        ("", 50.0, 50.0),  # pymongo's own default (30 s) does not cut --timeout
        ("?serverSelectionTimeoutMS=300", 50.0, 0.3),
        ("?appName=x&serverselectiontimeoutms=2000", 1.0, 1.0),
    ],
)
def test_finding_the_server_waits_the_shorter_of_timeout_and_the_uris_own(query, timeout, expected):
    uri = f"mongodb://127.0.0.1:9/{query}"
    client = pymongo.MongoClient(uri, connect=False)
    try:
        assert server_wait(client, uri, timeout) == expected
    finally:
        client.close()


def test_a_refused_login_is_exit_3_not_not_found(tmp_path):
    server = start_mongo(":memory:", tmp_path / "auth.log", 0, "--auth")
    try:
        uri = server.url.replace("mongodb://", "mongodb://archivist:s3cr3t@")
        result = CliRunner().invoke(app, ["thread", "1", "--uri", uri])
    finally:
        server.stop()
    assert result.exit_code == 3
    assert "MongoDB at mongodb://archivist:****@127.0.0.1:" in result.stderr
    assert "refused" in result.stderr
    assert "s3cr3t" not in result.output


def test_invalid_uri_is_exit_2():
    result = CliRunner().invoke(app, ["stats", "--uri", "http://u:pw@example/"])
    assert result.exit_code == 2
    assert "invalid MongoDB URI" in result.stderr
    assert "http://u:****@example/" in result.stderr
    assert "u:pw" not in result.output


def test_unknown_database_is_exit_1_with_suggestions(mongo_server, sample_db):
    typo = sample_db.name[:-1] + "x"
    result = CliRunner().invoke(app, ["stats", "--uri", mongo_server.url, "--db", typo])
    assert result.exit_code == 1
    assert f"database {typo!r} not found at {mongo_server.url}; did you mean: " in result.stderr
    assert sample_db.name in result.stderr


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(r"tlcrawl \d+\.\d+\.\d+\n", result.stdout)


def test_mask_uri():
    assert mask_uri("mongodb://a:b@h:1/db?x=1") == "mongodb://a:****@h:1/db?x=1"
    assert mask_uri("mongodb+srv://a:b@cluster/") == "mongodb+srv://a:****@cluster/"
    assert mask_uri("mongodb://h:27017/") == "mongodb://h:27017/"


def test_python_dash_m_reads_the_environment(mongo_server, sample_db):
    env = {**os.environ, "MONGODB_URI": mongo_server.url, "MONGODB_DATABASE": sample_db.name}
    args = [sys.executable, "-m", "tlcrawl", "top", "posters", "--limit", "1", "--json"]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"author": "Waxangel", "posts": 3}


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run `python -m tlcrawl ARGS` with stdin and stdout on a pseudo-terminal; its output."""
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "tlcrawl", *args],
        cwd=ROOT,
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.PIPE,
    ) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(60)
    os.close(controller)
    assert process.returncode == 0, process.stderr.read()
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_thread_output_is_paged_on_a_terminal(mongo_server, sample_db):
    env = {**os.environ, "MONGODB_URI": mongo_server.url, "MONGODB_DATABASE": sample_db.name}
    env.pop("LESS", None)
    env["PAGER"] = "echo \"LESS=$LESS\"; sed 's/^/paged: /'"
    shown = run_on_a_terminal(["thread", "622006"], env)
    assert "LESS=FRX" in shown  # as git does: short output is not held in the pager
    assert "paged: #4 Jaedong" in re.sub(r"\x1b\[[0-9;]*m", "", shown)
    unpaged = run_on_a_terminal(["thread", "622006", "--no-pager"], env)
    assert "#4 Jaedong" in unpaged and "paged:" not in unpaged
