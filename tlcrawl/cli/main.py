"""`tlcrawl`: query the archive from the command line (a thin layer over `tlcrawl.queries`).

Exit codes: 0 ok (also a search with no results), 1 not found (unknown thread, post, user, forum
or database), 2 usage or bad input, 3 database unreachable, 4 graphviz `dot` missing.
"""

from __future__ import annotations

import subprocess
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.text import Text

from tlcrawl import queries
from tlcrawl.cli import conversation, lookup
from tlcrawl.cli import graph as quote_graph
from tlcrawl.cli.support import (
    NOT_FOUND,
    TOOL_MISSING,
    USAGE,
    Archive,
    archive_options,
    clip,
    console,
    err_console,
    fail,
    paged,
    parse_when,
    print_json_lines,
    table,
    when,
)
from tlcrawl.storage.schema import POSTS
from tlcrawl.warc import cli as warc_cli

app = typer.Typer(
    name="tlcrawl",
    help="Query the Team Liquid forum archive in MongoDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

Limit = Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many rows.")]
Forum = Annotated[str | None, typer.Option("--forum", help="Only this forum (slug).")]
First = Annotated[int | None, typer.Option("--from", min=1, help="From this post number.")]
Last = Annotated[int | None, typer.Option("--to", min=1, help="To this post number (included).")]
Short = Annotated[bool, typer.Option("--short", "-s", help="One line per post.")]
NoPager = Annotated[bool, typer.Option("--no-pager", help="Never page the output.")]
ThreadArg = Annotated[
    str, typer.Argument(metavar="ID|URL", help="Thread id, or any thread or post URL.")
]

# Longer search text is a mistake (a pasted file?), not a query: refuse it before the server does.
MAX_SEARCH_CHARS = 500


def _version(show: bool) -> None:
    if show:
        try:
            number = version("tlcrawl")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown"
        console().print(f"tlcrawl {number}")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Query the Team Liquid forum archive in MongoDB."""


def _quote_json(ref: dict) -> dict:
    return {"post_id": ref["parent_id"], **{k: ref[k] for k in ("number", "author", "thread_id")}}


def _post_row(post: dict, refs: list[dict], quoting: list[dict] | None = None, **extra: Any):
    return {
        "post_id": post["_id"],
        "thread_id": post["thread_id"],
        "number": post["number"],
        "page": post.get("page"),
        "author": post["author"],
        "posted_at": post.get("posted_at"),
        "deleted_at": post.get("deleted_at"),
        "url": post.get("url"),
        "text": post.get("text", ""),
        "quotes": [{**_quote_json(r), "text": r["text"]} for r in refs],
        **({} if quoting is None else {"quoted_by": quoting}),
        **extra,
    }


def _check_range(first: int | None, last: int | None, page: int | None) -> None:
    if page is not None and (first is not None or last is not None):
        fail("--page cannot be combined with --from/--to", USAGE)
    if first is not None and last is not None and first > last:
        fail(f"--from {first} is after --to {last}", USAGE)


def _selection(db, thread_id: int, target: lookup.Target, page, first, last) -> tuple[int, str]:
    """(page to show or None, what is shown in words); a post URL shows the post's page."""
    pages = queries.thread_pages(db, thread_id)
    if page is None and first is None and last is None:
        page = lookup.find_post(db, target)["page"] if target.names_post else target.page
    if page is not None:
        if not 1 <= page <= pages:
            fail(f"thread {thread_id} has no page {page} (archived pages: 1-{pages})", NOT_FOUND)
        return page, f"page {page} of {pages}"
    if first is None and last is None:
        return None, "all posts"
    return None, f"posts #{first or 1} to #{last or 'last'}"


@app.command()
@archive_options
def thread(
    ref: ThreadArg,
    page: Annotated[int | None, typer.Option("--page", "-p", min=1, help="Only this page.")] = None,
    first: First = None,
    last: Last = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="At most this many posts.")
    ] = None,
    short: Short = False,
    tree: Annotated[bool, typer.Option("--tree", help="Show the reply tree.")] = False,
    no_pager: NoPager = False,
    *,
    archive: Archive,
    as_json: bool,
) -> None:
    """A thread as a conversation: each post in full, whom it quotes and who quoted it."""
    target = lookup.parse_thread_arg(ref)
    _check_range(first, last, page)
    with archive.session() as database:
        thread_id = lookup.thread_of(database, target)
        record = queries.get_thread(database, thread_id)
        archived = database[POSTS].count_documents({"thread_id": thread_id})
        if record is None and not archived:
            fail(f"thread {thread_id} not found", NOT_FOUND)
        page, shown = _selection(database, thread_id, target, page, first, last)
        posts = queries.thread_posts(
            database, thread_id, page=page, first=first, last=last, limit=limit or 0
        )
        if not posts:
            fail(f"thread {thread_id} has no archived {shown}", NOT_FOUND)
        refs = queries.quoted_refs(database, posts)
        quoting = queries.quoted_by(database, [p["_id"] for p in posts])
    if tree:
        roots = queries.reply_tree(posts)
        if as_json:
            print_json_lines(
                _post_row(
                    n.post,
                    refs[n.post["_id"]],
                    depth=d,
                    parent=p,
                    also_replies_to=n.also_replies_to,
                )
                for n, d, p in _walk(roots)
            )
            return
        heading = conversation.thread_heading(record, thread_id, archived, shown)
        out = console()
        with paged(out, not no_pager):
            out.print(conversation.reply_tree(roots, refs, quoting, heading, short))
        return
    if as_json:
        print_json_lines(_post_row(p, refs[p["_id"]], quoting[p["_id"]]) for p in posts)
        return
    out = console()
    with paged(out, not no_pager):
        out.print(conversation.thread_heading(record, thread_id, archived, shown))
        if short:
            out.print(conversation.short_table(posts, refs, quoting))
        else:
            for block in conversation.conversation(posts, refs, quoting):
                out.print(block)


def _walk(nodes: list[queries.TreeNode], depth: int = 0, parent: int | None = None):
    for node in nodes:
        yield node, depth, parent
        yield from _walk(node.children, depth + 1, node.post["number"])


@app.command()
@archive_options
def post(
    ref: Annotated[
        str,
        typer.Argument(metavar="ID|URL", help="Post id, post URL, or a thread URL ending in #N."),
    ],
    *,
    archive: Archive,
    as_json: bool,
) -> None:
    """One post in full, the posts it quotes (resolved parents) and the posts that quote it."""
    target = lookup.parse_post_arg(ref)
    with archive.session() as database:
        found = lookup.find_post(database, target)
        record = queries.get_thread(database, found["thread_id"])
        refs = queries.quoted_refs(database, [found])[found["_id"]]
        quoting = queries.quoted_by(database, [found["_id"]])[found["_id"]]
        related = [r["parent_id"] for r in refs if r["parent_id"]] + [r["post_id"] for r in quoting]
        others = queries.posts_in_full(database, related)
    if as_json:
        parents = [others.get(r["parent_id"]) for r in refs]
        row = _post_row(found, refs, quoting)
        row["quotes"] = [{**q, "parent": p} for q, p in zip(row["quotes"], parents, strict=True)]
        print_json_lines([row])
        return
    console().print(Group(*conversation.post_view(found, record, refs, others, quoting)))


@app.command()
@archive_options
def user(
    name: Annotated[str, typer.Argument(help="User name (case is forgiven).")],
    limit: Limit = 10,
    *,
    archive: Archive,
    as_json: bool,
) -> None:
    """A user's profile, posts per forum, whom they quote most and who quotes them most."""
    with archive.session() as database:
        name = lookup.user_name(database, name)
        profile = queries.get_user(database, name)
        forums = queries.user_posts_by_forum(database, name)
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
SNIPPET_CHARS = 100  # characters of context shown around a search match


def snippet(body: str, needle: str, width: int = SNIPPET_CHARS) -> str:
    """The words around the first match of `needle` (or of its first matching word) on one line,
    with `…` where text was cut."""
    flat = " ".join(body.split())
    lowered = flat.lower()
    at = lowered.find(needle.lower())
    for word in needle.split() if at < 0 else ():
        if (at := lowered.find(word.lower())) >= 0:
            break
    if at < 0:
        return conversation.shorten(flat, width)
    start = max(0, at - (width - len(needle)) // 2)
    end = min(len(flat), start + width)
    start = max(0, end - width)
    if start:  # cut at word boundaries, never inside the match
        start = min(at, flat.find(" ", start) + 1 or start)
    if end < len(flat):
        end = max(at + len(needle), flat.rfind(" ", start, end) if " " in flat[start:end] else end)
    return ("… " if start else "") + flat[start:end].strip() + (" …" if end < len(flat) else "")


@app.command()
@archive_options
def search(
    text: Annotated[str, typer.Argument(help="Text to look for (taken literally).")],
    forum: Forum = None,
    author: Annotated[str | None, typer.Option("--author", help="Only this author.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date (UTC).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Before this time; a date includes that day.")
    ] = None,
    limit: Limit = 20,
    *,
    archive: Archive,
    as_json: bool,
) -> None:
    """Posts whose text matches, each with the matching words in context."""
    if not text.strip():
        fail("the search text is empty", USAGE)
    if len(text) > MAX_SEARCH_CHARS:
        fail(f"the search text is {len(text):,} characters; at most {MAX_SEARCH_CHARS}", USAGE)
    start, end = parse_when(since, "--since"), parse_when(until, "--until", end_of_day=True)
    with archive.session() as database:
        forum = lookup.forum_slug(database, forum)
        author = None if author is None else lookup.user_name(database, author)
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
    console().print(_search_table(found.posts, text))


def _search_table(posts: list[dict], needle: str):
    result = table(None, ["posted (UTC)", "forum", "post", "thread #", "author", "in context"], [])
    for p in posts:
        words = Text(snippet(p.get("text", ""), needle))
        words.highlight_words([needle, *needle.split()], "bold yellow", case_sensitive=False)
        cells = [when(p.get("posted_at")), p["forum"], str(p["_id"])]
        cells += [f"{p['thread_id']} #{p['number']}", p["author"]]
        result.add_row(*(Text(c) for c in cells), words)
    return result


class TopWhat(StrEnum):
    quoted = "quoted"
    posters = "posters"
    threads = "threads"


class ThreadOrder(StrEnum):
    replies = "replies"
    views = "views"


@app.command()
@archive_options
def top(
    what: Annotated[TopWhat, typer.Argument(help="quoted posts, posters or threads.")],
    forum: Forum = None,
    by: Annotated[ThreadOrder, typer.Option("--by", help="Threads by replies or views.")] = (
        ThreadOrder.replies
    ),
    limit: Limit = 10,
    *,
    archive: Archive,
    as_json: bool,
) -> None:
    """Most-quoted posts, top posters, or threads by replies/views."""
    with archive.session() as database:
        forum = lookup.forum_slug(database, forum)
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
                str(r["post_id"]),
                f"{r['thread_id']} #{r['number']}",
                r["author"],
                clip(queries.first_line(r["text"])),
            )
            for r in rows
        ]
        return table("Most-quoted posts", ["quotes", "post", "thread #", "author", "text"], cells)
    if what is TopWhat.posters:
        return table("Top posters (archived posts)", ["author", "posts"], _rows(rows))
    cells = [
        (
            str(r["_id"]),
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
@archive_options
def stats(
    *,
    archive: Archive,
    as_json: bool,
) -> None:
    """Counts per forum and per month, and crawl freshness (latest crawled_at per collection)."""
    with archive.session() as database:
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
@archive_options
def graph(
    ref: ThreadArg,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="FILE.svg, .png, .pdf, or .dot for the DOT source."),
    ],
    around: Annotated[
        int | None, typer.Option("--around", min=1, help="Only posts near this post number.")
    ] = None,
    depth: Annotated[
        int, typer.Option("--depth", min=1, help="With --around: at most this many quotes away.")
    ] = 2,
    first: First = None,
    last: Last = None,
    *,
    archive: Archive,
) -> None:
    """Draw a thread's quote graph (posts `#N author` linking to the post, arrows from quoting to
    quoted post), or a window of it: --around POST --depth N, or --from/--to."""
    try:
        fmt = quote_graph.output_format(output)
    except KeyError:
        fail(f"cannot tell the format of {output}: name it .svg, .png, .pdf or .dot", USAGE)
    if around is not None and (first is not None or last is not None):
        fail("--around cannot be combined with --from/--to", USAGE)
    _check_range(first, last, None)
    target = lookup.parse_thread_arg(ref)
    with archive.session() as database:
        thread_id = lookup.thread_of(database, target)
        if around is None and first is None and last is None and target.names_post:
            around = lookup.find_post(database, target)["number"]  # a post URL: around that post
        posts, title = _graph_posts(database, thread_id, around, depth, first, last)
        edges = queries.quote_edges(posts)
        shown = {p["_id"] for p in posts}
        outside = queries.posts_in_full(database, [q for _, q in edges if q not in shown])
        if around is not None:  # the window is the posts near one: hide the rest of the thread
            outside = {k: p for k, p in outside.items() if p["thread_id"] != thread_id}
    drawn = quote_graph.quote_graph(posts, outside)
    source = quote_graph.to_dot(drawn, title)
    _write_graph(source, fmt, output)
    console().print(
        Text(f"wrote {output} ({drawn.number_of_nodes()} posts, {drawn.number_of_edges()} quotes)")
    )


def _graph_posts(database, thread_id: int, around, depth: int, first, last):
    """(the posts to draw, the drawing's title)."""
    record = queries.get_thread(database, thread_id)
    posts = queries.thread_posts(database, thread_id, first=first, last=last)
    if record is None and not posts and first is None and last is None:
        fail(f"thread {thread_id} not found", NOT_FOUND)
    title = f"{thread_id}: {record['title']}" if record else f"thread {thread_id}"
    if around is not None:
        if not any(p["number"] == around for p in posts):
            fail(f"thread {thread_id} has no archived post #{around}", NOT_FOUND)
        posts = quote_graph.around(posts, around, depth)
        return posts, f"{title} (posts within {depth} quote{'s' if depth > 1 else ''} of #{around})"
    if first is not None or last is not None:
        if not posts:
            fail(f"thread {thread_id} has no archived posts #{first or 1} to #{last}", NOT_FOUND)
        return posts, f"{title} (posts #{posts[0]['number']} to #{posts[-1]['number']})"
    if len(posts) > quote_graph.MAX_POSTS:
        fail(
            f"thread {thread_id} has {len(posts):,} posts, too many to draw legibly: draw a window "
            f"with --around POST [--depth N] or --from N --to M (at most {quote_graph.MAX_POSTS})",
            USAGE,
        )
    return posts, title


def _write_graph(source: str, fmt: str | None, output: Path) -> None:
    if fmt is None:
        data = source.encode()
    else:
        try:
            data = quote_graph.render(source, fmt)
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
