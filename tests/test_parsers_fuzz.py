"""Property tests: no input makes a parser raise (issue 12).

Every parser in tlcrawl.parsing is fed mutations of the replica's real pages (the saved pages in
tests/files/ and pages rendered by tests.fakeforum): byte flips, truncations, deleted and
duplicated tags, numbers swapped for huge numbers, superscripts or invalid times, control
characters. Each mutated page goes in both as bytes (what Scrapy's body is) and as text: 5,700
mutated pages and 4,300 generated post bodies, derandomized so CI sees the same pages every run.

Followed by one regression test per crasher found this way.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakeforum import build_forum
from tests.files.replica import saved
from tests.support import SEED_PATH
from tlcrawl.parsing import times
from tlcrawl.parsing.forum_index import parse_forum_index
from tlcrawl.parsing.forum_list import parse_forum_list
from tlcrawl.parsing.post_body import fragment_text, parse_body
from tlcrawl.parsing.thread_page import parse_thread_page

FILES = Path(__file__).parent / "files"
BASE = "http://127.0.0.1:8080"

# --- the corpus: real pages of the replica ------------------------------------------------------

Page = tuple[bytes, str]  # body, the URL it was served at


@cache
def corpus() -> dict[str, list[Page]]:
    """Pages by kind: thread, index, list."""
    kinds: dict[str, list[Page]] = {"thread": [], "index": [], "list": []}
    for path in saved.paths():
        kinds[_kind(path)].append(saved.page(path))
    forum = build_forum(seed=7, forums=2, threads_per_forum=6, long_pages=3)
    for path in ("/forum/", "/forum/games/", "/forum/starcraft-2/"):
        kinds[_kind(path)].append((forum.render(path)[2], BASE + path))
    for thread in forum.subforums[0].threads[:4]:
        kinds["thread"].append((forum.render(thread.path)[2], BASE + thread.path))
    kinds["thread"].append(
        ((FILES / "thread_seed_p1.html").read_bytes(), BASE + "/forum/games/619800-twitch")
    )
    kinds["index"].append(
        ((FILES / "forum_index_games_p1.html").read_bytes(), BASE + "/forum/games/")
    )
    kinds["list"].append(((FILES / "forum_list.html").read_bytes(), BASE + "/forum/"))
    return kinds


def _kind(path: str) -> str:
    if re.search(r"/\d+-", path):
        return "thread"
    return "list" if path == "/forum/" else "index"


# --- mutations ------------------------------------------------------------------------------------

Pick = Callable[[int], int]  # pick(n): a number in range(n), drawn by Hypothesis

HUGE_NUMBER = "7" * 5000  # over int()'s 4,300-digit limit
NUMBER_SWAPS = (HUGE_NUMBER, "²", "³", "¹⁰", "٣", "①", "0", "-1", "", "1e9", "4,3,,2")
TIME_SWAPS = (
    "2023-12-06 04:01:99",
    "2023-13-45 25:61:61",
    "0000-00-00 00:00:00",
    "February 30 2023 10:00",
    "Smarch 06 2023 02:50",
    "December 06 99999 02:50",
    "99:99 Foo 45 2023",
    "10:56 Feb 30 2012",
    f"December 06 {HUGE_NUMBER} 02:50",
)
CONTROLS = (*(chr(c) for c in range(32) if c not in (9, 10, 13)), "\x7f", "\x85", "\ufeff")
_TAG = re.compile(rb"<[^<>]{0,200}>")
_OPENING = re.compile(rb"<(?:section|div|article|header|td|tr|b|span|a)\b[^<>]{0,200}>")
_DIGITS = re.compile(rb"\d+")
_TIME = re.compile(
    rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}|[A-Z][a-z]+ \d{1,2} \d{4} \d{1,2}:\d{2}"
    rb"|\d{1,2}:\d{2} [A-Z][a-z]{2} \d{1,2} \d{4}"
)


def _choose(pick: Pick, options):
    return options[pick(len(options))]


WINDOW = 2048  # matches are looked for near a random place: a whole page's are slow to list


def _matches(page: bytes, pattern: re.Pattern, pick: Pick) -> list[re.Match]:
    start = pick(len(page)) if page else 0
    return list(pattern.finditer(page, start, start + WINDOW)) or list(
        pattern.finditer(page, 0, WINDOW)
    )


def _replace_match(page: bytes, pattern: re.Pattern, pick: Pick, new: bytes) -> bytes:
    found = _matches(page, pattern, pick)
    if not found:
        return page
    match = _choose(pick, found)
    return page[: match.start()] + new + page[match.end() :]


def flip_byte(page: bytes, pick: Pick) -> bytes:
    if not page:
        return page
    at = pick(len(page))
    return page[:at] + bytes([page[at] ^ (1 << pick(8))]) + page[at + 1 :]


def truncate(page: bytes, pick: Pick) -> bytes:
    return page[: pick(len(page) + 1)]


def delete_tag(page: bytes, pick: Pick) -> bytes:
    return _replace_match(page, _TAG, pick, b"")


def duplicate_tag(page: bytes, pick: Pick) -> bytes:
    found = _matches(page, _TAG, pick)
    if not found:
        return page
    tag = _choose(pick, found).group(0)
    at = _choose(pick, found).start()
    return page[:at] + tag * (1 + pick(3)) + page[at:]


def swap_number(page: bytes, pick: Pick) -> bytes:
    return _replace_match(page, _DIGITS, pick, _choose(pick, NUMBER_SWAPS).encode())


def swap_time(page: bytes, pick: Pick) -> bytes:
    return _replace_match(page, _TIME, pick, _choose(pick, TIME_SWAPS).encode())


def insert_control(page: bytes, pick: Pick) -> bytes:
    """A control character after an opening tag (a post body's first tag: the known crasher)."""
    control = _choose(pick, CONTROLS).encode()
    found = _matches(page, _OPENING, pick)
    at = _choose(pick, found).end() if found and pick(4) else pick(len(page) + 1)
    return page[:at] + control + page[at:]


MUTATIONS = (flip_byte, truncate, delete_tag, duplicate_tag, swap_number, swap_time, insert_control)


def mutate(page: bytes, pick: Pick) -> bytes:
    for _ in range(1 + pick(4)):
        page = _choose(pick, MUTATIONS)(page, pick)
    return page


# --- properties -----------------------------------------------------------------------------------

PARSERS = {
    "thread": lambda page, url: parse_thread_page(page, url),
    "index": lambda page, url: parse_forum_index(page, url),
    "list": lambda page, url: parse_forum_list(page, url),
}
FUZZ = settings(
    derandomize=True,  # the same pages on every run: CI failures reproduce
    database=None,
    deadline=None,  # parse time varies on a busy machine; speed is bench/'s job
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def feed_both(parse: Callable, page: bytes, url: str) -> None:
    """The page as Scrapy's bytes and as decoded text (`response.text`).

    Nothing may escape, and nothing may need the parsers' last-resort guards either: those name
    the exception type in `problems`, and hide a bug the mutation found.
    """
    for form in (page, page.decode("utf-8", errors="replace")):
        problems = getattr(parse(form, url), "problems", [])
        assert not [problem for problem in problems if _UNEXPECTED.search(problem)], problems


_UNEXPECTED = re.compile(r"page not parsed|\b[A-Z][A-Za-z]*Error: ")


def run_fuzz(kinds: list[str], parsers: list[str], examples: int) -> int:
    """Feed `examples` mutated pages of the `kinds` to each parser; return the pages fed."""
    fed = []

    @settings(FUZZ, max_examples=examples)
    @given(data=st.data())
    def check(data) -> None:
        def pick(n: int) -> int:
            return data.draw(st.integers(0, n - 1)) if n > 1 else 0

        page, url = _choose(pick, [page for kind in kinds for page in corpus()[kind]])
        mutated = mutate(page, pick)
        for name in parsers:
            feed_both(PARSERS[name], mutated, url)
        fed.append(mutated)

    check()
    return len(fed)


def test_thread_page_parser_never_raises_on_mutated_thread_pages():
    assert run_fuzz(["thread"], ["thread"], 1500) == 1500


def test_index_parser_never_raises_on_mutated_index_pages():
    assert run_fuzz(["index"], ["index"], 2000) == 2000


def test_list_parser_never_raises_on_mutated_pages():
    assert run_fuzz(["list"], ["list"], 1500) == 1500


def test_every_parser_takes_any_page():
    """Each parser given every kind of page, mutated."""
    assert run_fuzz(["thread", "index", "list"], list(PARSERS), 700) == 700


@settings(FUZZ, max_examples=4300)
@given(
    body=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "<div class='quote'>",
                    "</div>",
                    "<b>On December 06 2023 12:01 x wrote:</b>",
                    "<b>On February 30 2023 12:01 x wrote:</b>",
                    f"<b>On December 06 {HUGE_NUMBER} 12:01 x wrote:</b>",
                    "<a href='/x'>",
                    "<a href='http://[::1'>",
                    "<img src='//['>",
                    "<iframe src='/v'>",
                    "</a>",
                    "<br>",
                    "Last Edited: 2023-12-06 04:01:99",
                    "&amp;",
                    "&#0;",
                    *CONTROLS,
                    "text",
                    "²",
                ]
            ),
            max_size=30,
        ).map("".join),
    )
)
def test_body_parser_never_raises(body):
    """Post bodies: arbitrary text, and tag soup built from the body markup's pieces."""
    parse_body(body, "http://x")
    fragment_text(body)


@settings(FUZZ, max_examples=1000)
@given(
    text=st.one_of(st.text(max_size=60), st.sampled_from(TIME_SWAPS)), title=st.text(max_size=40)
)
def test_time_readers_raise_only_value_error(text, title):
    """The time readers' contract: a ValueError for a bad time (their callers catch it)."""
    for read in (
        lambda: times.parse_post_time(text, title),
        lambda: times.parse_quote_time(text),
        lambda: times.parse_edit_time(text),
        lambda: times.parse_index_time(text),
    ):
        with contextlib.suppress(ValueError):
            read()


# --- regressions: each crasher found, on a real page ----------------------------------------------


def _seed_page() -> bytes:
    return saved.page(SEED_PATH)[0]


SEED_URL = BASE + SEED_PATH


def _seed_changed(pattern: bytes, new: str, count: int = 1):
    """The seed page parsed with `pattern` replaced by `new` (`count` times, 0: everywhere)."""
    page = _seed_page()
    bad = re.sub(pattern, new.encode(), page, count=count)
    assert bad != page
    return parse_thread_page(bad, SEED_URL)


def test_invalid_edit_time_skips_only_that_post():
    page = _seed_page()
    edited = re.search(rb"Last Edited: (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})", page)
    assert edited is not None
    bad = page.replace(edited.group(1), b"2023-12-06 04:01:99", 1)
    good, parsed = parse_thread_page(page, SEED_URL), parse_thread_page(bad, SEED_URL)
    assert len(parsed.posts) == len(good.posts) - 1
    assert parsed.error is None
    assert any("unreadable edit time" in problem for problem in parsed.problems)


@pytest.mark.parametrize("number", [HUGE_NUMBER, "²"])
def test_unreadable_post_number_skips_only_that_post(number):
    parsed = _seed_changed(rb">#1</a>", f">#{number}</a>")
    assert [post.number for post in parsed.posts][:2] == [2, 3]
    assert parsed.problems == ["post 1 on the page: missing post number"]


@pytest.mark.parametrize("count", [HUGE_NUMBER, "²"])
def test_unreadable_post_count_is_a_problem_not_a_crash(count):
    parsed = _seed_changed(rb"[\d,]+ Posts", f"{count} Posts")
    assert len(parsed.posts) == len(parse_thread_page(_seed_page(), SEED_URL).posts)
    assert parsed.posts[0].post_count is None
    assert "post #1: no post count" in parsed.problems


@pytest.mark.parametrize("replies", [HUGE_NUMBER, "²"])
def test_unreadable_comment_count_is_none(replies):
    parsed = _seed_changed(rb"\d+ Comments", f"{replies} Comments")
    assert parsed.replies is None
    assert len(parsed.posts) == 20


@pytest.mark.parametrize("label", [HUGE_NUMBER, "²"])
def test_unreadable_pager_numbers_are_ignored(label):
    parsed = _seed_changed(rb">2</a>", f">{label}</a>", count=0)
    assert (parsed.page, parsed.pages, parsed.error) == (1, 2, None)


def test_control_character_before_a_bodys_first_tag():
    body = parse_body("a\x0bb<br>c", "http://x")
    assert body.text == "a b\nc"
    page = _seed_page().replace(b"<section>", b"<section>\x0b", 1)
    parsed = parse_thread_page(page, SEED_URL)
    assert len(parsed.posts) == 20
    assert parsed.posts[0].text.startswith("Twitch has announced")


def _index_page() -> tuple[bytes, str]:
    return saved.page("/forum/games/")


@pytest.mark.parametrize(
    ("pattern", "new"),
    [
        (rb"\d+:\d{2} [A-Z][a-z]{2} \d{1,2} \d{4}", b"10:56 Feb 30 2012"),
        (rb"\d+:\d{2} [A-Z][a-z]{2} \d{1,2} \d{4}", f"10:56 Apr 21 {HUGE_NUMBER}".encode()),
        (rb"<td[^>]*>\d[\d,]*</td>", f"<td>{HUGE_NUMBER}</td>".encode()),
        (rb"data-fid=\"\d+\"", 'data-fid="²"'.encode()),
        (rb"/forum/games/\d+-", f"/forum/games/{HUGE_NUMBER}-".encode()),
    ],
)
def test_index_rows_survive_unreadable_cells(pattern, new):
    page, url = _index_page()
    bad = re.sub(pattern, new, page, count=1)
    assert bad != page
    parsed = parse_forum_index(bad, url)
    assert len(parsed.rows) >= len(parse_forum_index(page, url).rows) - 1
    parse_forum_list(bad, url)


@pytest.mark.parametrize("page", [HUGE_NUMBER, "²"])
def test_unreadable_index_page_number_in_the_url(page):
    body, url = _index_page()
    parsed = parse_forum_index(body, f"{url}?currentpage={page}")
    assert (parsed.page, parsed.error) == (1, None)
    assert len(parsed.rows) == len(parse_forum_index(body, url).rows)


def test_post_link_without_href_is_a_missing_link():
    page = _seed_page().replace(b'class="submessage" href=', b'class="submessage" data-x=', 1)
    parsed = parse_thread_page(page, SEED_URL)
    assert parsed.problems == ["post #1: missing post link"]
    assert [post.number for post in parsed.posts] == list(range(2, 21))


def test_a_page_that_cannot_be_parsed_says_so():
    """The page-level failure marker the spider tests: `error` is set, `problems` say why."""
    parsed = parse_thread_page(b"\x00" * 10, SEED_URL)
    assert parsed.posts == []
    assert parsed.error is not None
    assert parsed.error in parsed.problems


def test_time_readers_on_the_crashers():
    with pytest.raises(ValueError):
        times.parse_edit_time("Last Edited: 2023-12-06 04:01:99")
    with pytest.raises(ValueError):
        times.parse_post_time(f"December 06 {HUGE_NUMBER} 02:50 GMT")
    assert times.parse_edit_time("2023-12-06 04:01:08") == datetime(
        2023, 12, 6, 4, 1, 8, tzinfo=UTC
    )
