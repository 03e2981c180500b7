"""`tlcrawl` subcommands against the real MongoDB-protocol server, on the sample archive."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from tests.servers import ROOT, start_mongo
from tlcrawl.cli.main import app
from tlcrawl.cli.support import mask_uri
from tlcrawl.queries import parse_thread_ref, search_filter

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
    rows = json_lines(tl("thread", "601234", "--json"))
    assert [(r["number"], r["author"]) for r in rows] == [
        (1, "Zergling"),
        (2, "Plexa"),
        (3, "Zergling"),
        (4, "Jaedong"),
        (5, "Plexa"),
    ]
    assert rows[0]["posted_at"] == "2023-11-28T10:00:00+00:00"
    assert [(q["number"], q["author"]) for q in rows[2]["quotes"]] == [(2, "Plexa")]
    assert [(q["post_id"], q["number"]) for q in rows[3]["quotes"]] == [(1001, 1), (1003, 3)]
    assert [(q["number"], q["author"]) for q in rows[4]["quotes"]] == [
        (4, "Jaedong"),
        (None, "Boxer"),
        (None, None),
    ]


def test_thread_table_shows_quotes_and_keeps_forum_text_literal(tl):
    result = tl("thread", "601234")
    assert result.exit_code == 0, result.output
    assert "What are you playing? (games, 5 posts)" in result.stdout
    assert "#1 Zergling, #3 Zergling" in result.stdout
    assert "#4 Jaedong, ? Boxer, ? unknown" in result.stdout
    assert "Agreed. [b]Not markup[/b]" in result.stdout
    assert "Me: Factorio." not in result.stdout  # only the first line of each post


def test_thread_by_url_shows_cross_thread_quotes(tl):
    url = "https://tl.net/forum/sc2/601300-patch-5012-discussion?page=1#3"
    rows = json_lines(tl("thread", url, "--json"))
    assert [r["post_id"] for r in rows] == [2001, 2002, 2003]
    assert rows[2]["quotes"] == [
        {"post_id": 1001, "number": 1, "author": "Zergling", "thread_id": 601234},
        {"post_id": 2002, "number": 2, "author": "Zergling", "thread_id": 601300},
    ]
    assert "#1 Zergling (thread 601234), #2 Zergling" in tl("thread", url).stdout


def test_thread_reply_tree(tl):
    rows = json_lines(tl("thread", "601234", "--tree", "--json"))
    assert [(r["number"], r["depth"], r["parent"]) for r in rows] == [
        (1, 0, None),
        (2, 1, 1),
        (3, 2, 2),
        (4, 1, 1),
        (5, 2, 4),
    ]
    assert rows[3]["also_replies_to"] == [3]
    shown = tl("thread", "601234", "--tree")
    assert shown.exit_code == 0
    assert "#4 Jaedong" in shown.stdout
    assert "(also replies to #3)" in shown.stdout


def test_unknown_thread_is_exit_1(tl):
    result = tl("thread", "999")
    assert result.exit_code == 1
    assert "thread 999 not found" in result.stderr


@pytest.mark.parametrize(
    "ref", ['{"$ne": null}', "601234; drop", "abc", "1e3", "https://tl.net/forum/games/"]
)
def test_thread_argument_must_be_an_id_or_thread_url(tl, ref):
    result = tl("thread", ref)
    assert result.exit_code == 2
    assert "not a thread id or thread URL" in result.stderr


def test_parse_thread_ref():
    assert parse_thread_ref(" 601234 ") == 601234
    assert parse_thread_ref("https://tl.net/forum/games/601234-what-are-you-playing") == 601234
    assert parse_thread_ref("http://127.0.0.1:8080/forum/sc2/42-x?page=3#57") == 42
    assert parse_thread_ref("https://tl.net/forum/viewmessage.php?topic_id=77") == 77
    assert parse_thread_ref("https://tl.net/forum/viewpost.php?post_id=1001") is None
    assert parse_thread_ref("١٢٣") is None  # non-ASCII digits


# --- user ------------------------------------------------------------------------------------


def test_user_json_profile_forums_and_quote_partners(tl):
    (row,) = json_lines(tl("user", "Plexa", "--json"))
    assert row["profile"]["country"] == "Australia"
    assert row["profile"]["first_post_at"] == "2023-11-28T11:00:00+00:00"
    assert row["posts_by_forum"] == [{"forum": "games", "posts": 2}, {"forum": "sc2", "posts": 1}]
    # The quote without header in 2003 counts for Zergling, the author of the quoted post.
    assert row["quotes"] == [
        {"user": "Zergling", "quotes": 3},
        {"user": "Boxer", "quotes": 1},
        {"user": "Jaedong", "quotes": 1},
    ]
    assert row["quoted_by"] == [{"user": "Zergling", "quotes": 1}]


def test_user_quoted_by_counts_each_direct_quote(tl):
    (row,) = json_lines(tl("user", "Zergling", "--json"))
    assert row["quoted_by"] == [{"user": "Plexa", "quotes": 3}, {"user": "Jaedong", "quotes": 2}]
    assert row["quotes"] == [{"user": "Jaedong", "quotes": 1}, {"user": "Plexa", "quotes": 1}]
    (jaedong,) = json_lines(tl("user", "Jaedong", "--json"))
    assert jaedong["quoted_by"] == [
        {"user": "Plexa", "quotes": 1},
        {"user": "Zergling", "quotes": 1},
    ]


def test_user_table(tl):
    result = tl("user", "Zergling")
    assert result.exit_code == 0, result.output
    for expected in ("Korea (South)", "4821", "Whom Zergling quotes most", "Who quotes Zergling"):
        assert expected in result.stdout


@pytest.mark.parametrize("name", ['{"$ne": null}', ".*", "$author", "zergling", "Boxer"])
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
        2002,
        1004,
        1001,
    ]
    assert "no text index on this server; using a case-insensitive substring match" in (
        result.stderr
    )
    table = tl("search", "factorio")
    assert "case-insensitive substring match" in table.stdout
    assert "Factorio is the best." in table.stdout


def test_search_filters(tl):
    assert search_ids(tl, "factorio", "--forum", "games") == [1004, 1001]
    assert search_ids(tl, "factorio", "--author", "Zergling") == [2002, 1001]
    assert search_ids(tl, "factorio", "--since", "2023-11-29", "--until", "2023-12-31") == [1004]
    assert search_ids(tl, "factorio", "--until", "2023-11-28") == [1001]  # the whole day
    assert search_ids(tl, "factorio", "--until", "20231128") == [1001]  # basic form, same day
    assert search_ids(tl, "factorio", "--since", "2023-11-28T10:30:00+00:00") == [2002, 1004]
    assert search_ids(tl, "factorio", "--limit", "1") == [2002]


def test_search_text_is_literal_not_a_regex_or_operator(tl):
    assert search_ids(tl, ".*") == [2003]
    assert search_ids(tl, "factorio", "--author", '{"$ne": null}') == []
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
        (1001, 3),
        (1002, 1),
        (1003, 1),
        (1004, 1),
        (2001, 1),
        (2002, 1),
    ]
    assert rows[0]["author"] == "Zergling"
    sc2 = json_lines(tl("top", "quoted", "--forum", "sc2", "--json"))
    assert [r["post_id"] for r in sc2] == [2001, 2002]
    assert "What are you playing?" in tl("top", "quoted", "--limit", "1").stdout


def test_top_posters(tl):
    rows = json_lines(tl("top", "posters", "--json"))
    assert rows == [
        {"author": "Plexa", "posts": 3},
        {"author": "Zergling", "posts": 3},
        {"author": "Jaedong", "posts": 2},
    ]
    assert len(json_lines(tl("top", "posters", "--forum", "sc2", "--limit", "2", "--json"))) == 2


def test_top_threads_by_replies_or_views(tl):
    assert [r["_id"] for r in json_lines(tl("top", "threads", "--json"))] == [601234, 601300]
    by_views = json_lines(tl("top", "threads", "--by", "views", "--json"))
    assert [(r["_id"], r["views"]) for r in by_views] == [(601300, 98000), (601234, 1520)]
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
    result = tl("graph", "601234", "-o", str(out))
    assert result.exit_code == 0, result.output
    labels = sorted(lines[0] for lines in svg_groups(out, "node"))
    assert labels == ["#1 Zergling", "#2 Plexa", "#3 Zergling", "#4 Jaedong", "#5 Plexa"]
    assert len(svg_groups(out, "edge")) == 5
    assert "5 posts, 5 quotes" in result.stdout


def test_graph_includes_quoted_posts_of_other_threads(tl, tmp_path):
    out = tmp_path / "patch.svg"
    assert tl("graph", "601300", "-o", str(out)).exit_code == 0
    assert ["#1 Zergling", "thread 601234"] in svg_groups(out, "node")


def test_graph_dot_output_and_unknown_thread(tl, tmp_path):
    out = tmp_path / "thread.dot"
    assert tl("graph", "601234", "-o", str(out)).exit_code == 0
    assert "p1004 -> p1003" in out.read_text()
    assert tl("graph", "999", "-o", str(tmp_path / "x.svg")).exit_code == 1
    assert not (tmp_path / "x.svg").exists()


def test_graph_without_graphviz_is_exit_4(tl, tmp_path):
    result = tl("graph", "601234", "-o", str(tmp_path / "x.svg"), env={"PATH": str(tmp_path)})
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


def test_mask_uri():
    assert mask_uri("mongodb://a:b@h:1/db?x=1") == "mongodb://a:****@h:1/db?x=1"
    assert mask_uri("mongodb+srv://a:b@cluster/") == "mongodb+srv://a:****@cluster/"
    assert mask_uri("mongodb://h:27017/") == "mongodb://h:27017/"


def test_python_dash_m_reads_the_environment(mongo_server, sample_db):
    env = {**os.environ, "MONGODB_URI": mongo_server.url, "MONGODB_DATABASE": sample_db.name}
    args = [sys.executable, "-m", "tlcrawl", "top", "posters", "--limit", "1", "--json"]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"author": "Plexa", "posts": 3}
