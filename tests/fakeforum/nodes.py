"""Post content as a small tree of nodes that renders both the served HTML and the truth text.

Each node yields HTML and a stream of text tokens (a string, or BREAK for a line break). The truth
text is computed from the tokens with the data contract's text rules, never by parsing the HTML:
block elements emit BREAK around their content, removed elements (images, iframes, toggles) emit
nothing. Quotes are nodes too (see `Quote`); a post's own text skips them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

BREAK = None  # token: a line break
KST = timedelta(hours=9)
_WS = re.compile(r"\s+")  # \s covers U+00A0 for str patterns


# --- escaping: two styles, so parsers meet both `&#39;`/`&quot;` and raw quote characters ---
def escape(text: str, style: int = 0) -> str:
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = out.replace("\u00a0", "&nbsp;")
    if style == 1:
        out = out.replace('"', "&quot;").replace("'", "&#39;")
    return out


def attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;")


def tokens_to_text(tokens: list[str | None]) -> str:
    """The contract's rule 3: split at breaks, collapse whitespace, strip, drop empty lines."""
    lines, current = [], []
    for token in [*tokens, BREAK]:
        if token is BREAK:
            line = _WS.sub(" ", "".join(current)).strip()
            if line:
                lines.append(line)
            current = []
        else:
            current.append(token)
    return "\n".join(lines)


@dataclass
class Ctx:
    """Rendering context: escaping style and page-unique ids for toggles in this post."""

    style: int = 0
    toggle_ids: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**6)))
    spoiler_ids: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**6)))


class Node:
    def html(self, ctx: Ctx) -> str:
        raise NotImplementedError

    def tokens(self) -> Iterator[str | None]:
        return iter(())

    def media(self) -> Iterator[tuple[str, str]]:
        """(kind, url) pairs of own links/images/videos, kind in link/image/video."""
        return iter(())


@dataclass
class Text(Node):
    text: str

    def html(self, ctx: Ctx) -> str:
        return escape(self.text, ctx.style)

    def tokens(self):
        yield self.text


@dataclass
class Br(Node):
    newline: bool = False  # a source newline after <br>: whitespace, so it changes no text

    def html(self, ctx: Ctx) -> str:
        return "<br>\n" if self.newline else "<br>"

    def tokens(self):
        yield BREAK


@dataclass
class Inline(Node):
    """b, i, u, s, strong, em, span, font: no line breaks."""

    tag: str
    children: list[Node]
    attrs: str = ""  # pre-rendered attributes, e.g. ' style="color: red"'

    def html(self, ctx: Ctx) -> str:
        inner = "".join(c.html(ctx) for c in self.children)
        return f"<{self.tag}{self.attrs}>{inner}</{self.tag}>"

    def tokens(self):
        for c in self.children:
            yield from c.tokens()

    def media(self):
        for c in self.children:
            yield from c.media()


@dataclass
class Block(Node):
    """div, center, ul, ol, li, blockquote, p: a line break before and after."""

    tag: str
    children: list[Node]
    attrs: str = ""

    def html(self, ctx: Ctx) -> str:
        inner = "".join(c.html(ctx) for c in self.children)
        return f"<{self.tag}{self.attrs}>{inner}</{self.tag}>"

    def tokens(self):
        yield BREAK
        for c in self.children:
            yield from c.tokens()
        yield BREAK

    def media(self):
        for c in self.children:
            yield from c.media()


@dataclass
class Link(Node):
    href: str  # as written in the HTML: relative for internal links
    children: list[Node]
    nofollow: bool = False
    href_first: bool = True  # attribute order varies

    def html(self, ctx: Ctx) -> str:
        inner = "".join(c.html(ctx) for c in self.children)
        rel = ' rel="nofollow"' if self.nofollow else ""
        if self.href_first:
            return f'<a href="{attr(self.href)}" target="_blank"{rel}>{inner}</a>'
        return f'<a target="_blank"{rel} href="{attr(self.href)}">{inner}</a>'

    def tokens(self):
        for c in self.children:
            yield from c.tokens()

    def media(self):
        yield ("link", self.href)
        for c in self.children:
            yield from c.media()


@dataclass
class Smiley(Node):
    name: str

    def html(self, ctx: Ctx) -> str:
        return f'<img alt="" border="0" src="/mirror/smilies/{self.name}.gif">'


@dataclass
class Image(Node):
    src: str
    width: int = 590
    height: int = 300

    def html(self, ctx: Ctx) -> str:
        style = f"width: {self.width}px; height: {self.height}px;"
        return f'<img title="" alt="[image loading]" style="{style}" src="{attr(self.src)}">'

    def media(self):
        yield ("image", self.src)


@dataclass
class Video(Node):
    video_id: str
    start: int | None = None

    @property
    def src(self) -> str:
        query = f"?start={self.start}" if self.start else ""
        return f"https://www.youtube.com/embed/{self.video_id}{query}"

    @property
    def short_url(self) -> str:
        query = f"?t={self.start}" if self.start else ""
        return f"https://youtu.be/{self.video_id}{query}"

    def html(self, ctx: Ctx) -> str:
        return (
            f'<iframe class="youtube-player" type="text/html" width="500" height="315" '
            f'src="{self.src}" frameborder="0" allowfullscreen="1"></iframe>'
        )

    def media(self):
        yield ("video", self.src)


@dataclass
class Spoiler(Node):
    title: str
    children: list[Node]

    def html(self, ctx: Ctx) -> str:
        n = next(ctx.spoiler_ids)
        title = escape(self.title, ctx.style)
        inner = "".join(c.html(ctx) for c in self.children)
        return (
            f'<a href="#" onclick="return toggleShowSpoiler2(this, {n})" title="{attr(self.title)}"'
            f' class="spoiler-toggle"><span>+ Show</span> Spoiler [{title}]<span> +</span></a>'
            f'<div id="spoiler_{n}" style="margin: 0px; padding: 6px; display:none">'
            f'<div class="forummsg">{inner}</div></div>'
        )

    def tokens(self):
        yield BREAK  # the toggle `a` is removed, the hidden div's text is kept
        for c in self.children:
            yield from c.tokens()
        yield BREAK

    def media(self):
        for c in self.children:
            yield from c.media()


def kst_header(author: str, quoted_at: datetime) -> str:
    return f"On {(quoted_at + KST).strftime('%B %d %Y %H:%M')} {author} wrote:"


@dataclass
class Quote(Node):
    """A quote as written inside a post: optional header, nested quotes, then the quoted content.

    `depth` is 1 for a direct quote; a depth-2 quote is collapsed behind the "Show nested quote +"
    toggle; deeper quotes sit inside that hidden div without a toggle of their own.
    """

    author: str | None  # None: a quote without attribution (no header)
    quoted_at: datetime | None
    parent_id: int | None
    content: list[Node]  # quoted own content (may itself contain Br etc.)
    nested: list[Quote] = field(default_factory=list)
    blank_after_header: bool = False

    def _body(self, ctx: Ctx, depth: int) -> str:
        parts = []
        if self.author is not None:
            header = escape(kst_header(self.author, self.quoted_at), ctx.style)
            parts.append(f"<b>{header}</b><br>")
            if self.blank_after_header:
                parts.append("<br>")
        parts += [q.render(ctx, depth + 1) for q in self.nested]
        parts += [c.html(ctx) for c in self.content]
        return "".join(parts)

    def render(self, ctx: Ctx, depth: int = 1) -> str:
        if depth == 2:
            n = next(ctx.toggle_ids)
            toggle = (
                f'<a href="#" id="showQuoteLink_{n}" onclick="javascript:toggleShowQuote({n}); '
                f'return false" style="text-decoration:none">Show nested quote +</a><br>'
            )
            hidden = f'<div id="showQuoteRest_{n}" style="display: none;">'
            return (
                f'<div class="quote"><hr>{toggle}{hidden}{self._body(ctx, depth)}</div><hr></div>'
            )
        return f'<div class="quote"><hr>{self._body(ctx, depth)}<hr></div>'

    def html(self, ctx: Ctx) -> str:
        return self.render(ctx, 1)

    def own_text(self) -> str:
        tokens: list[str | None] = []
        for c in self.content:
            tokens += list(c.tokens())
        return tokens_to_text(tokens)

    def toggles(self, depth: int = 1) -> int:
        return (depth == 2) + sum(q.toggles(depth + 1) for q in self.nested)

    def truth(self) -> dict:
        return {
            "author": self.author,
            "quoted_at": self.quoted_at.isoformat() if self.quoted_at else None,
            "text": self.own_text(),
            "parent_id": self.parent_id,
            "quotes": [q.truth() for q in self.nested],
        }


def own_text(nodes: list[Node]) -> str:
    """Text of a body: quotes contribute nothing (they sit between breaks)."""
    tokens: list[str | None] = []
    for n in nodes:
        tokens += [BREAK] if isinstance(n, Quote) else list(n.tokens())
    return tokens_to_text(tokens)


def own_media(nodes: list[Node], kind: str) -> list[str]:
    seen: dict[str, None] = {}
    for n in nodes:
        if not isinstance(n, Quote):
            for k, url in n.media():
                if k == kind:
                    seen.setdefault(url)
    return list(seen)


def render(nodes: list[Node], ctx: Ctx) -> str:
    return "".join(n.html(ctx) for n in nodes)
