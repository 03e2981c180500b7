"""Parse cost per page versus the cost of only building the lxml tree of the same page.

Usage: .venv/bin/python bench/bench_parse.py [PAGE.html ...]

Without arguments it times a 21-post thread page built from tests/files/thread_seed_p1.html (its
three posts repeated seven times and renumbered, bodies padded to about 2 KB like the seed
thread's), plus the subforum index and forum list fixtures. With arguments, each file is timed as a
thread page. Prints milliseconds per page for tree-only and full parse, and their ratio.
"""

from __future__ import annotations

import itertools
import re
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

import lxml.html

# Run as a plain script from any directory: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tlcrawl.parsing.forum_index import parse_forum_index
from tlcrawl.parsing.forum_list import parse_forum_list
from tlcrawl.parsing.thread_page import parse_thread_page

FILES = Path(__file__).resolve().parent.parent / "tests" / "files"
THREAD_URL = "https://tl.net/forum/games/619800-twitch-to-cease-business-operations-in-korea"
PADDING = "<br>Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing elit. " * 30


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


def per_page_ms(function: Callable[[], object]) -> float:
    number, _ = timeit.Timer(function).autorange()
    best = min(timeit.repeat(function, number=number, repeat=5))
    return best / number * 1000


def report(label: str, html: str, parse: Callable[[], object]) -> None:
    tree = per_page_ms(lambda: lxml.html.document_fromstring(html))
    full = per_page_ms(parse)
    print(
        f"{label:<28} {len(html) / 1024:6.1f} KB  tree {tree:6.3f} ms  parse {full:6.3f} ms"
        f"  ratio {full / tree:5.2f}"
    )


def main(paths: list[str]) -> None:
    if paths:
        for path in paths:
            html = Path(path).read_text()
            report(Path(path).name, html, lambda html=html: parse_thread_page(html, THREAD_URL))
        return
    thread = twenty_one_post_page()
    posts = parse_thread_page(thread, THREAD_URL).posts
    assert len(posts) == 21, len(posts)  # the generated page really parses
    report("thread page, 21 posts", thread, lambda: parse_thread_page(thread, THREAD_URL))
    index = (FILES / "forum_index_games_p1.html").read_text()
    url = "https://tl.net/forum/games/"
    report("subforum index, 5 rows", index, lambda: parse_forum_index(index, url))
    forums = (FILES / "forum_list.html").read_text()
    report("forum list", forums, lambda: parse_forum_list(forums, "https://tl.net/forum/"))


if __name__ == "__main__":
    main(sys.argv[1:])
