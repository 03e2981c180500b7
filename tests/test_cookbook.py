"""Every pymongo recipe in the README's Querying section runs against the sample archive.

Recipes are the ```python blocks between the querying markers; each starts with `# recipe: NAME`,
uses a `db` variable and leaves its answer in `result`. The ```js block just before each one is
its mongosh twin: both must read as the same tokens (names, numbers, strings, operators), so a
change to one that is not made to the other fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
DOLLAR_TOKEN = re.compile(r"\$\$?[A-Za-z_][\w.]*")


def querying_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("<!-- querying:start -->")[1].split("<!-- querying:end -->")[0]


def recipes() -> dict[str, tuple[str, str]]:
    """NAME -> (mongosh block, python block)."""
    found: dict[str, tuple[str, str]] = {}
    blocks = FENCE.findall(querying_section())
    for index, (language, code) in enumerate(blocks):
        if language != "python":
            continue
        name = re.match(r"# recipe: ([\w-]+)\n", code)
        assert name, f"python block without a `# recipe: NAME` line:\n{code}"
        previous_language, previous = blocks[index - 1] if index else ("", "")
        assert previous_language == "js", f"recipe {name[1]} has no mongosh block before it"
        found[name[1]] = (previous, code)
    return found


def pairs(rows: list[dict], *keys: str) -> list[tuple]:
    return [tuple(row.get(key) for key in keys) for row in rows]


def check_thread_posts(result: list[dict]) -> None:
    assert pairs(result, "number", "author", "reply_to") == [
        (1, "Zergling", []),
        (2, "Waxangel", [27790001]),
        (3, "Zergling", [27790010]),
        (4, "Jaedong", [27790001, 27790016]),
        (5, "Waxangel", [27790042]),
    ]
    assert result[0]["posted_at"].isoformat() == "2023-11-28T10:00:00+00:00"


def check_reply_tree(result: list[dict]) -> None:
    # $lookup does not promise the order of the looked-up parents.
    assert [(r["number"], sorted(r["replies_to"])) for r in result] == [
        (1, []),
        (2, [1]),
        (3, [2]),
        (4, [1, 3]),
        (5, [4]),
    ]


def check_replies_to_post(result: list[dict]) -> None:
    assert pairs(result, "_id", "thread_id", "number", "depth") == [
        (27790010, 622006, 2, 0),
        (27790042, 622006, 4, 0),
        (1190030003, 119003, 3, 0),
        (27790016, 622006, 3, 1),
        (27790113, 622006, 5, 1),
    ]


def check_user_history(result: list[dict]) -> None:
    assert pairs(result, "_id", "forum", "title") == [
        (1190030003, "sc2", "Patch 5.0.12 discussion"),
        (27790113, "games", "What are you playing?"),
        (27790010, "games", "What are you playing?"),
    ]


def check_user_forums(result: list[dict]) -> None:
    assert result == [{"_id": "games", "posts": 2}, {"_id": "sc2", "posts": 1}]


def check_most_quoted(result: list[dict]) -> None:
    assert pairs(result, "_id", "quotes", "number", "author") == [
        (27790001, 3, 1, "Zergling"),
        (27790010, 1, 2, "Waxangel"),
        (27790016, 1, 3, "Zergling"),
        (27790042, 1, 4, "Jaedong"),
        (1190030001, 1, 1, "Jaedong"),
        (1190030002, 1, 2, "Zergling"),
    ]


def check_who_quotes_whom(result: list[dict]) -> None:
    assert [(r["_id"]["quoting"], r["_id"]["quoted"], r["quotes"]) for r in result] == [
        (
            "Waxangel",
            "Zergling",
            3,
        ),  # 27790010, 1190030003 (header) and 1190030003 (no header: via the parent post)
        ("Jaedong", "Zergling", 2),
        ("Waxangel", "Boxer", 1),  # a header-only quote of a post that is not archived
        ("Waxangel", "Jaedong", 1),
        ("Zergling", "Jaedong", 1),
        ("Zergling", "Waxangel", 1),
    ]


def check_posts_per_month(result: list[dict]) -> None:
    assert result == [
        {"_id": "2023-11", "posts": 5},
        {"_id": "2023-12", "posts": 1},
        {"_id": "2024-01", "posts": 2},
    ]


def check_full_text_search(result: list[int]) -> None:
    # The test server has no text index, so this is the regex branch: newest first.
    assert result == [1190030002, 27790042, 27790001]


CHECKS: dict[str, Callable[[Any], None]] = {
    "thread-posts": check_thread_posts,
    "reply-tree": check_reply_tree,
    "replies-to-post": check_replies_to_post,
    "user-history": check_user_history,
    "user-forums": check_user_forums,
    "most-quoted": check_most_quoted,
    "who-quotes-whom": check_who_quotes_whom,
    "posts-per-month": check_posts_per_month,
    "full-text-search": check_full_text_search,
}


def test_every_recipe_has_a_check_and_every_check_a_recipe():
    assert sorted(recipes()) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_recipe_runs_and_answers(name, sample_db):
    _, code = recipes()[name]
    namespace: dict[str, Any] = {"db": sample_db}
    exec(compile(code, f"README recipe {name}", "exec"), namespace)
    CHECKS[name](namespace["result"])


# Blocks with Python logic around the query (branches, variables): only their `$` operators and
# field paths are compared. Every other pair must match token for token.
WITH_LOGIC = {"full-text-search"}
TOKEN = re.compile(r"\$?\$?[A-Za-z_][\w.]*|-?\d+")
PYTHON_ONLY = {"result", "list"}
JS_LITERALS = {"null": "None", "true": "True", "false": "False"}


def tokens(code: str, comment: str) -> list[str]:
    """Names, numbers, operators and string contents of the code, comments removed."""
    lines = [line.split(comment, 1)[0] for line in code.splitlines()]
    words = TOKEN.findall("\n".join(lines))
    return [JS_LITERALS.get(w, w) for w in words if w not in PYTHON_ONLY]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_mongosh_twin_is_the_same_query(name):
    mongosh, python = recipes()[name]
    if name in WITH_LOGIC:
        mongosh_tokens = DOLLAR_TOKEN.findall(mongosh)
        assert mongosh_tokens, f"no $ operators in the mongosh block of {name}"
        assert mongosh_tokens == DOLLAR_TOKEN.findall(python)
    else:
        assert tokens(mongosh, "//") == tokens(python, "#")
