"""`tlcrawl` on a real crawl of the replica: every subcommand's answer checked with the truth."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from typer.testing import CliRunner

from tests.crawling import run_crawl
from tests.servers import ROOT, running, start_mongo
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


@pytest.fixture
def shown(mongo_server, archive):
    """Run `tlcrawl ARGS` as a person would (no --json, a wide terminal); return the result."""

    def run(*args: str, columns: int = 1000):
        options = ["--uri", mongo_server.url, "--db", DATABASE]
        return CliRunner().invoke(app, [*args, *options], env={"COLUMNS": str(columns)})

    return run


def long_thread(truth: list[dict]) -> tuple[dict, dict[int, dict]]:
    """The replica's long thread (105 pages) and its posts by number."""
    thread = max(by_type(truth, "thread").values(), key=lambda t: t["pages"])
    posts = [p for p in by_type(truth, "post").values() if p["thread_id"] == thread["_id"]]
    return thread, {post["number"]: post for post in posts}


def sections(output: str) -> dict[int, list[str]]:
    """Post number -> the lines of that post in the conversation view (header first)."""
    found: dict[int, list[str]] = {}
    current = None
    for line in output.splitlines():
        if header := re.match(r"#(\d+) ", line):
            current = found.setdefault(int(header[1]), [])
        if current is not None and line.strip():
            current.append(line.rstrip())
    return found


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


def test_thread_view_shows_every_post_in_full_with_its_quote_lines(shown, archive):
    thread, posts = seed_thread(archive)
    result = shown("thread", str(thread["_id"]))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Thread {thread['_id']}: {thread['title']}\n")
    view = sections(result.stdout)
    assert sorted(view) == sorted(posts)
    label = {p["_id"]: f"#{n} {p['author']}" for n, p in posts.items()}
    for number, post in posts.items():
        lines = view[number]
        assert lines[0].startswith(f"#{number} {post['author']}  "), lines[0]
        text = [line.strip() for line in post["text"].split("\n") if line.strip()]
        body = [line.strip() for line in lines if line.startswith("  ")]
        assert all(line in body for line in text), (number, text, body)  # the full text
        quoted = [line for line in lines if line.startswith("  quotes ")]
        expected = [f"  quotes {label[q['parent_id']]}" for q in post["quotes"]]
        assert [line.split(":")[0] for line in quoted] == expected, number
        quoting = sorted(
            n for n, p in posts.items() for q in p["quotes"] if q["parent_id"] == post["_id"]
        )
        if quoting:
            by = ", ".join(f"#{n} {posts[n]['author']}" for n in sorted(set(quoting)))
            assert f"  quoted by {by}" in lines, number


def test_thread_pages_follow_the_forums_pages(tl, archive):
    thread, posts = long_thread(archive)
    for page in (1, 2, thread["pages"]):
        rows = tl("thread", str(thread["_id"]), "--page", str(page))
        expected = sorted(n for n, p in posts.items() if p["page"] == page)
        assert [r["number"] for r in rows] == expected, page
        assert all(r["text"] == posts[r["number"]]["text"] for r in rows)
    assert [r["number"] for r in tl("thread", str(thread["_id"]), "--page", "2")][:1] == [21]
    rows = tl("thread", str(thread["_id"]), "--from", "1995", "--to", "2005")
    assert [r["number"] for r in rows] == list(range(1995, 2006))
    last = tl("thread", str(thread["_id"]), "--from", str(len(posts) - 1))
    assert [r["number"] for r in last] == [len(posts) - 1, len(posts)]


def test_a_post_url_opens_the_thread_at_the_posts_page(tl, archive):
    thread, posts = long_thread(archive)
    post = posts[133]  # on page 7
    rows = tl("thread", post["url"])
    assert [r["number"] for r in rows] == list(range(121, 141))
    by_anchor = tl("thread", f"{thread['url']}?page=7#133")
    assert [r["number"] for r in by_anchor] == list(range(121, 141))


def test_post_shows_its_quotes_with_their_parents_and_its_replies(tl, archive):
    _, posts = seed_thread(archive)
    number, post = next((n, p) for n, p in sorted(posts.items()) if len(p["quotes"]) >= 1 and n > 3)
    [row] = tl("post", post["url"])
    assert row["text"] == post["text"]
    assert [q["parent"]["_id"] for q in row["quotes"]] == [q["parent_id"] for q in post["quotes"]]
    assert [q["parent"]["text"] for q in row["quotes"]] == [
        next(p for p in posts.values() if p["_id"] == q["parent_id"])["text"]
        for q in post["quotes"]
    ]
    replies = sorted(
        n for n, p in posts.items() for q in p["quotes"] if q["parent_id"] == post["_id"]
    )
    assert [r["number"] for r in row["quoted_by"]] == sorted(set(replies)), number


def test_user_lookup_forgives_case_and_suggests_names(shown, tl, archive):
    [answer] = tl("user", "waxangel")
    assert answer["user"] == "Waxangel"
    result = shown("user", "Waxangle")
    assert result.exit_code == 1
    assert "user 'Waxangle' not found; did you mean: Waxangel" in result.stderr


def test_search_rows_show_the_searched_word(shown, archive):
    result = shown("search", "afreeca", "--limit", "1000", columns=300)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    expected = [p for p in by_type(archive, "post").values() if "afreeca" in p["text"].lower()]
    assert len(rows) == len(expected)
    assert all("afreeca" in row.lower() for row in rows)


@pytest.mark.parametrize(
    ("name", "magic"), [("seed.png", b"\x89PNG\r\n\x1a\n"), ("seed.pdf", b"%PDF-")]
)
def test_graph_writes_png_and_pdf(shown, archive, tmp_path, name, magic):
    thread, _ = seed_thread(archive)
    result = shown("graph", str(thread["_id"]), "-o", str(tmp_path / name))
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_bytes().startswith(magic)


def test_graph_draws_a_window_of_the_long_thread(shown, archive, tmp_path):
    thread, posts = long_thread(archive)
    whole = shown("graph", str(thread["_id"]), "-o", str(tmp_path / "all.svg"))
    assert whole.exit_code == 2
    assert f"has {len(posts):,} posts, too many to draw" in whole.stderr
    counts = Counter(q["parent_id"] for p in posts.values() for q in p["quotes"] if q["parent_id"])
    center = max(posts.values(), key=lambda p: (counts[p["_id"]], -p["number"]))
    near = {center["_id"]} | {q["parent_id"] for q in center["quotes"] if q["parent_id"]}
    near |= {
        p["_id"] for p in posts.values() for q in p["quotes"] if q["parent_id"] == center["_id"]
    }
    out = tmp_path / "window.svg"
    args = ["graph", str(thread["_id"]), "--around", str(center["number"]), "--depth", "1"]
    result = shown(*args, "-o", str(out))
    assert result.exit_code == 0, result.output
    svg = ET.parse(out).getroot()
    nodes = [g for g in svg.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    links = {
        a.get("{http://www.w3.org/1999/xlink}href")
        for g in nodes
        for a in g.iter("{http://www.w3.org/2000/svg}a")
    }
    assert links == {next(p["url"] for p in posts.values() if p["_id"] == i) for i in near}
    assert float(svg.get("width").removesuffix("pt")) < 2000  # readable, not 236,340 pt wide


def test_demo_while_the_storage_is_in_use_ends_in_one_line(tmp_path):
    """`make demo` while `make db` serves the same data directory: one line, exit 1."""
    with running(start_mongo(tmp_path / "mongo", tmp_path / "db.log")):
        args = [sys.executable, "-m", "tests.demo", "--data", str(tmp_path)]
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {tmp_path / 'mongo'} is in use by another MongoDB server (`make db`?): "
        "stop it first (Ctrl-C where it runs), then run `make demo` again"
    ]
