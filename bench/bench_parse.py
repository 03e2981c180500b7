"""Parse cost per page versus the cost of only building the lxml tree of the same page.

Usage: .venv/bin/python bench/bench_parse.py [PAGE.html ...]
From code (a `make bench` aggregator): `from bench.bench_parse import run; run()` returns the
figures as a dict (milliseconds and ratios), measured side by side in one run.

Without arguments it times a 21-post thread page built from tests/files/thread_seed_p1.html (its
three posts repeated seven times and renumbered, bodies padded to about 2 KB like the seed
thread's), plus the subforum index and forum list fixtures. "extract" is everything the crawl
does to a thread page before storage: the page's one parse (every field of every post) plus the
cleaning pipeline on each post; the target (issue 16) is at most 3x the tree alone. With
arguments, each file is timed as a thread page.
"""

from __future__ import annotations

import itertools
import re
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import lxml.html

# Run as a plain script from any directory: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tlcrawl.parsing.forum_index import parse_forum_index
from tlcrawl.parsing.forum_list import parse_forum_list
from tlcrawl.parsing.thread_page import ParsedPost, parse_thread_page
from tlcrawl.pipelines.clean_posts import clean_text

FILES = Path(__file__).resolve().parent.parent / "tests" / "files"
THREAD_URL = "https://tl.net/forum/games/619800-twitch-to-cease-business-operations-in-korea"
PADDING = "<br>Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing elit. " * 30
TARGET_RATIO = 3.0  # issue 16: extracting every field costs at most 3x building the tree


def twenty_one_post_page() -> str:
    html = (FILES / "thread_seed_p1.html").read_text()
    start = html.index('<tr><td class="titelbalk">')
    end = html.index('<tr class="thread_dock bottom">')
    posts = html[start:end].replace("</section></article>", PADDING + "</section></article>")
    numbers = itertools.count(1)
    many = re.sub(
        r"#\d+</a>|post_id=\d+", lambda m: _renumber(m.group(0), next(numbers)), posts * 7
    )
    return html[:start] + many + html[end:]


def _renumber(token: str, n: int) -> str:
    return f"#{(n + 1) // 2}</a>" if token.startswith("#") else f"post_id={27000000 + n}"


def side_by_side_ms(*functions: Callable[[], object], rounds: int = 7) -> list[float]:
    """Best CPU time per call of each function, timed in alternation.

    CPU time of this process, not wall time: on a shared machine other processes' load would
    count. Alternating rounds, best of each, so both see the same cache and frequency state.
    """
    timers = [timeit.Timer(function, timer=time.process_time) for function in functions]
    numbers = [timer.autorange()[0] for timer in timers]
    best = [float("inf")] * len(timers)
    for _ in range(rounds):
        for i, (timer, number) in enumerate(zip(timers, numbers, strict=True)):
            best[i] = min(best[i], timer.timeit(number) / number * 1000)
    return best


def extract_thread_page(html: str) -> list[ParsedPost]:
    """The crawl's work on a thread page: its one parse, then the cleaning of each post."""
    posts = parse_thread_page(html, THREAD_URL).posts
    for post in posts:  # what CleanPostsPipeline does to each item's text fields
        clean_text(post.text)
        for quote in post.quotes:
            clean_text(quote.text)
        clean_text(post.signature or "")
    return posts


def measure(html: str, parse: Callable[[], object]) -> tuple[float, float]:
    """(tree ms, parse ms) on the same page, timed in alternation."""
    tree, full = side_by_side_ms(lambda: lxml.html.document_fromstring(html), parse)
    return tree, full


def run() -> dict[str, float]:
    """Every figure of this benchmark, in milliseconds per page and ratios to the tree alone."""
    thread = twenty_one_post_page()
    posts = extract_thread_page(thread)
    assert len(posts) == 21 and all(post.text for post in posts), len(posts)  # it really parses
    index = (FILES / "forum_index_games_p1.html").read_text()
    forums = (FILES / "forum_list.html").read_text()
    pages = {
        "thread_page_21_posts": (thread, lambda: extract_thread_page(thread)),
        "subforum_index": (index, lambda: parse_forum_index(index, "https://tl.net/forum/games/")),
        "forum_list": (forums, lambda: parse_forum_list(forums, "https://tl.net/forum/")),
    }
    figures: dict[str, float] = {}
    for name, (html, parse) in pages.items():
        tree, full = measure(html, parse)
        figures |= {f"{name}/tree_ms": tree, f"{name}/parse_ms": full, f"{name}/ratio": full / tree}
    figures["thread_page_21_posts/target_ratio"] = TARGET_RATIO
    return figures


def report(figures: dict[str, float]) -> None:
    names = dict.fromkeys(key.split("/")[0] for key in figures)
    print(f"{'page':<24} {'tree ms':>8} {'parse ms':>9} {'ratio':>6}")
    for name in names:
        tree, full = figures[f"{name}/tree_ms"], figures[f"{name}/parse_ms"]
        target = figures.get(f"{name}/target_ratio")
        note = f"  (target <= {target:.1f}x)" if target else ""
        print(f"{name:<24} {tree:8.3f} {full:9.3f} {full / tree:6.2f}{note}")


def main(paths: list[str]) -> None:
    if not paths:
        report(run())
        return
    figures: dict[str, float] = {}
    for path in paths:
        html = Path(path).read_text()
        tree, full = measure(html, lambda html=html: parse_thread_page(html, THREAD_URL))
        figures |= {f"{Path(path).name}/tree_ms": tree, f"{Path(path).name}/parse_ms": full}
    report(figures)


if __name__ == "__main__":
    main(sys.argv[1:])
