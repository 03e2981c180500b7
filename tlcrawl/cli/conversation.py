"""Posts as a conversation on the terminal: each post with whom it quotes and who quoted it.

Forum text is always plain `Text` (never read as rich markup); rich wraps it to the terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from tlcrawl import queries
from tlcrawl.cli.support import when

QUOTED_WORDS = 70  # characters of a quote's words shown after "quotes #N author:"
REPLY_WORDS = 200  # characters of a reply's text shown under `tlcrawl post`
DELETED = "[deleted]"


class Indented:
    """A renderable shifted right by `indent` columns, without padding lines out to the full
    width as rich's Padding does (so plain output has no trailing spaces)."""

    def __init__(self, renderable: RenderableType, indent: int = 2):
        self.renderable, self.indent = renderable, indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        inner = options.update_width(max(1, options.max_width - self.indent))
        for line in console.render_lines(self.renderable, inner, pad=False):
            yield Segment(" " * self.indent)
            yield from line
            yield Segment.line()


def shorten(words: str, width: int = QUOTED_WORDS) -> str:
    """Words on one line, cut at a word boundary with `…` when longer than `width`."""
    return textwrap.shorten(" ".join(words.split()), width, placeholder=" …") if words else ""


def post_label(ref: dict, thread_id: int | None) -> str:
    """`#N author`, with `(thread T)` when the post is in another thread; `? author` when the
    post is unknown (a quote whose parent was not found)."""
    if ref.get("number") is None:
        return f"? {ref.get('author') or 'unknown'}"
    label = f"#{ref['number']} {ref['author']}"
    return label if ref["thread_id"] == thread_id else f"{label} (thread {ref['thread_id']})"


def header(post: dict) -> Text:
    line = Text()
    line.append(f"#{post['number']} {post['author']}", style="bold")
    line.append(f"  {when(post.get('posted_at'))}", style="dim")
    if post.get("deleted_at"):
        line.append(f"  {DELETED}", style="bold red")
    return line


def quote_lines(refs: list[dict], thread_id: int) -> list[Text]:
    lines = []
    for ref in refs:
        line = Text("quotes ", style="cyan")
        line.append(post_label(ref, thread_id), style="bold cyan")
        if ref.get("text"):
            line.append(f': "{shorten(ref["text"])}"', style="italic")
        lines.append(line)
    return lines


def quoted_by_line(quoting: list[dict], thread_id: int) -> Text | None:
    if not quoting:
        return None
    line = Text("quoted by ", style="green")
    line.append(", ".join(post_label(ref, thread_id) for ref in quoting), style="bold green")
    return line


def post_block(post: dict, refs: list[dict], quoting: list[dict], short: bool = False) -> Group:
    """A post: its header, whom it quotes, its text (or first line), who quoted it."""
    thread_id = post["thread_id"]
    words = post.get("text") or ""
    body = Text(queries.first_line(words) if short else words)
    parts: list[RenderableType] = [*quote_lines(refs, thread_id), body]
    if (line := quoted_by_line(quoting, thread_id)) is not None:
        parts.append(line)
    return Group(header(post), Indented(Group(*parts)))


def thread_heading(thread: dict | None, thread_id: int, archived: int, shown: str) -> Text:
    """`Thread N: title` and a line with forum, post count, what is shown and the URL."""
    if thread is None:
        heading = Text(f"Thread {thread_id}", style="bold")
        heading.append(f"\n{archived:,} posts archived (thread record missing); {shown}")
        return heading
    heading = Text(f"Thread {thread_id}: {thread['title']}", style="bold")
    heading.append(f"\n{thread['forum']} · {archived:,} posts · {shown}\n{thread['url']}")
    return heading


def conversation(
    posts: list[dict], refs: dict, quoting: dict, short: bool = False
) -> Iterable[RenderableType]:
    for post in posts:
        yield Text("")
        yield post_block(post, refs[post["_id"]], quoting[post["_id"]], short)


def short_table(posts: list[dict], refs: dict, quoting: dict) -> Table:
    """One line per post, cut to the terminal's width (the text columns share what is left)."""
    result = Table(box=None, pad_edge=False, expand=True)
    result.add_column("#", no_wrap=True, justify="right")
    for column in ("author", "posted (UTC)"):
        result.add_column(column, no_wrap=True)
    for column, share in (("text", 3), ("quotes", 2), ("quoted by", 2)):  # these give way
        result.add_column(column, no_wrap=True, overflow="ellipsis", ratio=share)
    for post in posts:
        thread_id = post["thread_id"]
        first = queries.first_line(post.get("text"))
        result.add_row(
            Text(f"#{post['number']}"),
            Text(post["author"]),
            Text(when(post.get("posted_at"))),
            Text(f"{DELETED} {first}" if post.get("deleted_at") else first),
            Text(", ".join(post_label(r, thread_id) for r in refs[post["_id"]])),
            Text(", ".join(post_label(r, thread_id) for r in quoting[post["_id"]])),
        )
    return result


def reply_tree(
    roots: list[queries.TreeNode], refs: dict, quoting: dict, heading: Text, short: bool
) -> Tree:
    """The reply tree: each post under the post it answers, with its text."""
    top = Tree(heading)

    def add(branch: Tree, node: queries.TreeNode) -> None:
        post = node.post
        title = header(post)
        if node.also_replies_to:
            also = ", ".join(f"#{n}" for n in node.also_replies_to)
            title.append(f"  (also replies to {also})", style="cyan")
        words = post.get("text") or ""
        child = branch.add(Group(title, Text(queries.first_line(words) if short else words)))
        for grandchild in node.children:
            add(child, grandchild)

    for root in roots:
        add(top, root)
    return top


def post_view(post: dict, thread: dict | None, refs: list[dict], related: dict, quoting: list):
    """One post in full, then each quote with its resolved parent, then the replies (`related`:
    those posts by id)."""
    thread_id = post["thread_id"]
    where = f"thread {thread_id}" + (f": {thread['title']} ({thread['forum']})" if thread else "")
    yield Text(f"Post {post['_id']}, #{post['number']} of {where}, page {post.get('page')}")
    yield Text(post.get("url") or "", style="dim")
    yield Text("")
    yield post_block(post, refs, quoting)
    if refs:
        yield Text("\nQuotes", style="bold")
        for ref in refs:
            yield _quote_entry(ref, related.get(ref["parent_id"]), thread_id)
    if quoting:
        yield Text("\nReplies (posts quoting it)", style="bold")
        for ref in quoting:
            reply = related.get(ref["post_id"]) or {}
            yield _entry(ref, reply, thread_id, shorten(reply.get("text") or "", REPLY_WORDS))


def _quote_entry(ref: dict, parent: dict | None, thread_id: int) -> Indented:
    if parent is None:
        missing = Text(f"{post_label(ref, thread_id)}: quoted post not found in the archive")
        return Indented(Group(missing, Indented(Text(ref.get("text") or "", style="italic"))))
    return _entry(ref, parent, thread_id, ref.get("text") or "")


def _entry(ref: dict, post: dict, thread_id: int, words: str) -> Indented:
    """`#N author  time  post ID`, the post's URL, then `words` (quoted, or the reply's own)."""
    label = f"{post_label(ref, thread_id)}  {when(post.get('posted_at'))}  post {post.get('_id')}"
    lines = [Text(label, style="bold"), Text(post.get("url") or "", style="dim")]
    return Indented(Group(*lines, Indented(Text(words, style="italic"))))
