"""`tlcrawl` on a real crawl of the replica: every subcommand's answer checked with the truth."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from typer.testing import CliRunner

from tests.crawling import run_crawl
from tests.support import replica_truth
from tests.truth import by_type, seed_thread
from tlcrawl.cli.main import app

SMALL = ("--forums", "2", "--threads-per-forum", "20")
DATABASE = "e2e_cli"


@pytest.fixture(scope="module")
def archive(replica, mongo_server, mongo_client):
    """The replica crawled into the test server once for this module; yields the truth."""
    server = replica(*SMALL)
    settings = {"MONGODB_URI": mongo_server.url, "MONGODB_DATABASE": DATABASE}
    pytest_twisted.blockon(Deferred.fromCoroutine(run_crawl(settings, base_url=server.url)))
    yield replica_truth(*SMALL, base_url=server.url)
    mongo_client.drop_database(DATABASE)


@pytest.fixture
def tl(mongo_server, archive):
    def run(*args: str) -> list[dict]:
        options = ["--uri", mongo_server.url, "--db", DATABASE, "--json"]
        result = CliRunner().invoke(app, [*args, *options])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    return run


def test_thread_lists_the_seed_posts_with_whom_they_quote(tl, archive):
    thread, posts = seed_thread(archive)
    rows = tl("thread", str(thread["_id"]))
    assert [(r["number"], r["author"]) for r in rows] == [
        (n, posts[n]["author"]) for n in sorted(posts)
    ]
    number_of = {p["_id"]: n for n, p in posts.items()}
    for row in rows:
        expected = [number_of[q["parent_id"]] for q in posts[row["number"]]["quotes"]]
        assert [q["number"] for q in row["quotes"]] == expected, row["number"]


def test_thread_tree_hangs_each_post_under_the_post_it_quotes(tl, archive):
    thread, posts = seed_thread(archive)
    number_of = {p["_id"]: n for n, p in posts.items()}
    rows = tl("thread", thread["url"], "--tree")
    got = {r["number"]: r["parent"] for r in rows}
    expected = {
        n: number_of[p["quotes"][0]["parent_id"]] if p["quotes"] else None for n, p in posts.items()
    }
    assert got == expected
    assert got[14] == 12 and got[12] == 3 and got[3] == 2


def test_user_posts_by_forum_match_the_truth(tl, archive):
    rows = tl("user", "Waxangel")
    [answer] = rows
    posts = [p for p in by_type(archive, "post").values() if p["author"] == "Waxangel"]
    expected = Counter(p["forum"] for p in posts)
    assert {r["forum"]: r["posts"] for r in answer["posts_by_forum"]} == dict(expected)
    assert answer["profile"]["country"] == "United States"


def test_search_finds_exactly_the_posts_containing_the_text(tl, archive):
    rows = tl("search", "afreeca", "--limit", "1000")
    expected = {
        p["_id"] for p in by_type(archive, "post").values() if "afreeca" in p["text"].lower()
    }
    assert expected, "the seed thread talks about AfreecaTV"
    assert {r["post_id"] for r in rows} == expected


def test_top_quoted_is_the_most_quoted_post_of_the_truth(tl, archive):
    counts = Counter(
        q["parent_id"]
        for p in by_type(archive, "post").values()
        for q in p["quotes"]
        if q["parent_id"] is not None
    )
    most = max(counts.values())
    [row] = tl("top", "quoted", "--limit", "1")
    assert row["quotes"] == most
    assert counts[row["post_id"]] == most


def test_top_posters_and_threads_match_the_truth(tl, archive):
    per_author = Counter(p["author"] for p in by_type(archive, "post").values())
    rows = tl("top", "posters", "--limit", "3")
    assert [(r["author"], r["posts"]) for r in rows] == sorted(
        per_author.items(), key=lambda kv: (-kv[1], kv[0])
    )[:3]
    threads = sorted(by_type(archive, "thread").values(), key=lambda t: (-t["replies"], t["_id"]))
    rows = tl("top", "threads", "--limit", "2")
    assert [r["_id"] for r in rows] == [t["_id"] for t in threads[:2]]


def test_stats_count_threads_and_posts_per_forum(tl, archive):
    [answer] = tl("stats")
    posts = Counter(p["forum"] for p in by_type(archive, "post").values())
    threads = Counter(t["forum"] for t in by_type(archive, "thread").values())
    got = {f["forum"]: (f["threads"], f["posts"]) for f in answer["forums"]}
    assert got == {forum: (threads[forum], posts[forum]) for forum in posts}


def test_graph_draws_the_seed_thread(mongo_server, archive, tmp_path):
    thread, posts = seed_thread(archive)
    output = tmp_path / "seed.svg"
    args = ["graph", str(thread["_id"]), "-o", str(output), "--uri", mongo_server.url]
    result = CliRunner().invoke(app, [*args, "--db", DATABASE])
    assert result.exit_code == 0, result.output
    svg = ET.parse(output).getroot()
    labels = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {f"#{n} {p['author']}" for n, p in posts.items()} <= labels
