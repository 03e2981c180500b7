"""`tlcrawl`: query the archive from the command line (a thin layer over `tlcrawl.queries`).

Exit codes: 0 ok (also a search with no results), 1 not found (unknown thread or user),
2 usage or bad input, 3 database unreachable, 4 graphviz `dot` missing.
"""

from __future__ import annotations

import subprocess
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from rich.tree import Tree

from tlcrawl import queries
from tlcrawl.cli import graph as quote_graph
from tlcrawl.cli.support import (
    DEFAULT_DATABASE,
    DEFAULT_URI,
    NOT_FOUND,
    TOOL_MISSING,
    USAGE,
    clip,
    console,
    err_console,
    fail,
    parse_when,
    print_json_lines,
    session,
    table,
    when,
)
from tlcrawl.warc import cli as warc_cli

app = typer.Typer(
    name="tlcrawl",
    help="Query the Team Liquid forum archive in MongoDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

Uri = Annotated[
    str,
    typer.Option(
        "--uri",
        envvar="MONGODB_URI",
        help=f"MongoDB URI (default {DEFAULT_URI}).",
        show_default=False,
    ),
]
DbName = Annotated[str, typer.Option("--db", envvar="MONGODB_DATABASE", help="Database name.")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON lines (ISO 8601 dates) for scripts.")]
Timeout = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the server.")
]
Limit = Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many rows.")]
Forum = Annotated[str | None, typer.Option("--forum", help="Only this forum (slug).")]


def _thread_id(ref: str) -> int:
    thread_id = queries.parse_thread_ref(ref)
    if thread_id is None:
        fail(f"not a thread id or thread URL: {ref!r}", USAGE)
    return thread_id


def _thread_heading(thread: dict | None, thread_id: int, posts: list[dict]) -> str:
    if thread is None:
        return f"Thread {thread_id} ({len(posts)} posts archived; thread record missing)"
    return f"Thread {thread_id}: {thread['title']} ({thread['forum']}, {len(posts)} posts)"


def _ref_label(ref: dict, thread_id: int) -> str:
    if ref["number"] is None:
        return f"? {ref['author'] or 'unknown'}"
    label = f"#{ref['number']} {ref['author']}"
    return label if ref["thread_id"] == thread_id else f"{label} (thread {ref['thread_id']})"


def _quote_json(ref: dict) -> dict:
    return {"post_id": ref["parent_id"], **{k: ref[k] for k in ("number", "author", "thread_id")}}


def _post_row(post: dict, refs: list[dict], **extra: Any) -> dict:
    return {
        "post_id": post["_id"],
        "thread_id": post["thread_id"],
        "number": post["number"],
        "author": post["author"],
        "posted_at": post.get("posted_at"),
        "text": post.get("text", ""),
        "quotes": [_quote_json(r) for r in refs],
        **extra,
    }


@app.command()
def thread(
    ref: Annotated[str, typer.Argument(metavar="ID|URL", help="Thread id or thread URL.")],
    tree: Annotated[bool, typer.Option("--tree", help="Show the reply tree.")] = False,
    uri: Uri = DEFAULT_URI,
    db: DbName = DEFAULT_DATABASE,
    as_json: AsJson = False,
    timeout: Timeout = 5.0,
) -> None:
    """A thread's posts in order, with whom each post quotes (or the reply tree)."""
    thread_id = _thread_id(ref)
    with session(uri, db, timeout) as database:
        record = queries.get_thread(database, thread_id)
        posts = queries.thread_posts(database, thread_id)
        if record is None and not posts:
            fail(f"thread {thread_id} not found", NOT_FOUND)
        refs = queries.quoted_refs(database, posts)
    if tree:
        _show_tree(
            queries.reply_tree(posts), refs, _thread_heading(record, thread_id, posts), as_json
        )
    elif as_json:
        print_json_lines(_post_row(post, refs[post["_id"]]) for post in posts)
    else:
        rows = [
            (
                f"#{p['number']}",
                p["author"],
                when(p.get("posted_at")),
                clip(queries.first_line(p.get("text"))),
                ", ".join(_ref_label(r, thread_id) for r in refs[p["_id"]]),
            )
            for p in posts
        ]
        heading = _thread_heading(record, thread_id, posts)
        console().print(table(heading, ["#", "author", "posted (UTC)", "text", "quotes"], rows))


def _walk(nodes: list[queries.TreeNode], depth: int = 0, parent: int | None = None):
    for node in nodes:
        yield node, depth, parent
        yield from _walk(node.children, depth + 1, node.post["number"])


def _show_tree(roots: list[queries.TreeNode], refs: dict, heading: str, as_json: bool) -> None:
    if as_json:
        print_json_lines(
            _post_row(
                n.post, refs[n.post["_id"]], depth=d, parent=p, also_replies_to=n.also_replies_to
            )
            for n, d, p in _walk(roots)
        )
        return
    top = Tree(Text(heading))
    branches = {}
    for node, _, parent in _walk(roots):
        post = node.post
        label = f"#{post['number']} {post['author']}  {when(post.get('posted_at'))}  "
        label += clip(queries.first_line(post.get("text")), 60)
        if node.also_replies_to:
            label += "  (also replies to " + ", ".join(f"#{n}" for n in node.also_replies_to) + ")"
        branches[post["number"]] = (branches[parent] if parent else top).add(Text(label))
    console().print(top)


@app.command()
def user(
    name: Annotated[str, typer.Argument(help="User name, exactly as shown on the forum.")],
    limit: Limit = 10,
    uri: Uri = DEFAULT_URI,
    db: DbName = DEFAULT_DATABASE,
    as_json: AsJson = False,
    timeout: Timeout = 5.0,
) -> None:
    """A user's profile, posts per forum, whom they quote most and who quotes them most."""
    with session(uri, db, timeout) as database:
        profile = queries.get_user(database, name)
        forums = queries.user_posts_by_forum(database, name)
        if profile is None and not forums:
            fail(f"user {name!r} not found", NOT_FOUND)
        quotes = queries.user_quotes(database, name, limit)
        quoted_by = queries.user_quoted_by(database, name, limit)
    if as_json:
        row = {"user": name, "profile": profile, "posts_by_forum": forums}
        print_json_lines([{**row, "quotes": quotes, "quoted_by": quoted_by}])
        return
    out = console()
    fields = ["country", "post_count", "joined", "first_post_at", "last_post_at", "profile_url"]
    values = [(f, _plain((profile or {}).get(f))) for f in fields]
    out.print(table(f"User {name}", ["field", "value"], values))
    out.print(table("Archived posts by forum", ["forum", "posts"], _rows(forums)))
    out.print(table(f"Whom {name} quotes most", ["user", "quotes"], _rows(quotes)))
    out.print(table(f"Who quotes {name} most", ["user", "quotes"], _rows(quoted_by)))


def _plain(value: Any) -> Any:
    return when(value) if hasattr(value, "astimezone") else value


def _rows(dicts: list[dict]) -> list[list[Any]]:
    return [[_plain(v) for v in d.values()] for d in dicts]


NO_TEXT_INDEX = "note: no text index on this server; using a case-insensitive substring match"


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Text to look for (taken literally).")],
    forum: Forum = None,
    author: Annotated[str | None, typer.Option("--author", help="Only this author.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date (UTC).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Before this time; a date includes that day.")
    ] = None,
    limit: Limit = 20,
    uri: Uri = DEFAULT_URI,
    db: DbName = DEFAULT_DATABASE,
    as_json: AsJson = False,
    timeout: Timeout = 5.0,
) -> None:
    """Posts whose text matches: $text with a text index, else a case-insensitive substring."""
    if not text.strip():
        fail("the search text is empty", USAGE)
    start, end = parse_when(since, "--since"), parse_when(until, "--until", end_of_day=True)
    with session(uri, db, timeout) as database:
        found = queries.search_posts(
            database, text, forum=forum, author=author, since=start, until=end, limit=limit
        )
    if found.method == "regex":
        # On stderr with --json, so stdout stays JSON lines.
        (err_console() if as_json else console()).print(Text(NO_TEXT_INDEX))
    if as_json:
        print_json_lines(_post_row(p, [], method=found.method) for p in found.posts)
        return
    if not found.posts:
        console().print("No posts match.")
        return
    rows = [
        (
            when(p.get("posted_at")),
            p["forum"],
            f"{p['thread_id']} #{p['number']}",
            p["author"],
            clip(_matching_line(p.get("text", ""), text)),
        )
        for p in found.posts
    ]
    console().print(table(None, ["posted (UTC)", "forum", "thread #", "author", "text"], rows))


def _matching_line(body: str, needle: str) -> str:
    lowered = needle.lower()
    return next(
        (line for line in body.split("\n") if lowered in line.lower()), queries.first_line(body)
    )


class TopWhat(StrEnum):
    quoted = "quoted"
    posters = "posters"
    threads = "threads"


class ThreadOrder(StrEnum):
    replies = "replies"
    views = "views"


@app.command()
def top(
    what: Annotated[TopWhat, typer.Argument(help="quoted posts, posters or threads.")],
    forum: Forum = None,
    by: Annotated[ThreadOrder, typer.Option("--by", help="Threads by replies or views.")] = (
        ThreadOrder.replies
    ),
    limit: Limit = 10,
    uri: Uri = DEFAULT_URI,
    db: DbName = DEFAULT_DATABASE,
    as_json: AsJson = False,
    timeout: Timeout = 5.0,
) -> None:
    """Most-quoted posts, top posters, or threads by replies/views."""
    with session(uri, db, timeout) as database:
        if what is TopWhat.quoted:
            rows = queries.top_quoted(database, forum, limit)
        elif what is TopWhat.posters:
            rows = queries.top_posters(database, forum, limit)
        else:
            rows = queries.top_threads(database, forum, limit, by.value)
    if as_json:
        print_json_lines(rows)
        return
    console().print(_top_table(what, rows))


def _top_table(what: TopWhat, rows: list[dict]):
    if what is TopWhat.quoted:
        cells = [
            (
                r["quotes"],
                f"{r['thread_id']} #{r['number']}",
                r["author"],
                clip(queries.first_line(r["text"])),
            )
            for r in rows
        ]
        return table("Most-quoted posts", ["quotes", "thread #", "author", "text"], cells)
    if what is TopWhat.posters:
        return table("Top posters (archived posts)", ["author", "posts"], _rows(rows))
    cells = [
        (
            r["_id"],
            r["forum"],
            clip(r["title"], 50),
            r.get("author"),
            r.get("replies"),
            r.get("views"),
        )
        for r in rows
    ]
    return table("Threads", ["thread", "forum", "title", "author", "replies", "views"], cells)


@app.command()
def stats(
    uri: Uri = DEFAULT_URI,
    db: DbName = DEFAULT_DATABASE,
    as_json: AsJson = False,
    timeout: Timeout = 5.0,
) -> None:
    """Counts per forum and per month, and crawl freshness (latest crawled_at per collection)."""
    with session(uri, db, timeout) as database:
        forums = queries.counts_per_forum(database)
        months = queries.posts_per_month(database)
        fresh = queries.crawl_freshness(database)
    if as_json:
        print_json_lines([{"forums": forums, "months": months, "freshness": fresh}])
        return
    out = console()
    out.print(table("Per forum", ["forum", "name", "threads", "posts"], _rows(forums)))
    out.print(table("Posts per month (UTC)", ["month", "posts"], _rows(months)))
    out.print(
        table("Crawl freshness", ["collection", "documents", "latest crawled_at"], _rows(fresh))
    )


@app.command()
def graph(
    ref: Annotated[str, typer.Argument(metavar="THREAD", help="Thread id or thread URL.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="FILE.svg (or FILE.dot for the DOT source).")
    ],
    uri: Uri = DEFAULT_URI,
    db: DbName = DEFAULT_DATABASE,
    timeout: Timeout = 5.0,
) -> None:
    """Draw a thread's quote graph (posts `#N author`, arrows from quoting to quoted post)."""
    thread_id = _thread_id(ref)
    with session(uri, db, timeout) as database:
        record = queries.get_thread(database, thread_id)
        drawn = quote_graph.quote_graph(database, thread_id)
    if record is None and drawn.number_of_nodes() == 0:
        fail(f"thread {thread_id} not found", NOT_FOUND)
    title = f"{thread_id}: {record['title']}" if record else f"thread {thread_id}"
    source = quote_graph.to_dot(drawn, title)
    _write_graph(source, output)
    console().print(
        Text(f"wrote {output} ({drawn.number_of_nodes()} posts, {drawn.number_of_edges()} quotes)")
    )


def _write_graph(source: str, output: Path) -> None:
    if output.suffix.lower() in (".dot", ".gv"):
        data = source.encode()
    else:
        try:
            data = quote_graph.render_svg(source)
        except FileNotFoundError:
            fail("graphviz `dot` not found: install graphviz, or write FILE.dot", TOOL_MISSING)
        except subprocess.CalledProcessError as exc:
            fail(f"dot failed: {exc.stderr.decode(errors='replace').strip()}", TOOL_MISSING)
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}", USAGE)


# `tlcrawl reparse` lives with the WARC code (tlcrawl/warc/cli.py).
app.command()(warc_cli.reparse)


def main() -> None:
    app(prog_name="tlcrawl")
