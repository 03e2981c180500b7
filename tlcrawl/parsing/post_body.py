"""Turn a post body's HTML into the stored fields: text, quotes, links, images, videos.

Pure functions, no Scrapy. The rules are the data contract's TEXT RULES (docs/data-contract.md) and
the markup in ../shared/reference/tlnet-markup.md. Elements are found by class, id and text
patterns, never by nesting, because the replica varies wrappers and attribute order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from tlcrawl.parsing.times import parse_quote_time

_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "li", "ul", "ol", "blockquote", "hr", "tr", "table", "center", "pre"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
)
_DROPPED_TAGS = frozenset({"script", "style", "img", "iframe"})
_QUOTE_HEADER = re.compile(r"^On (\w+ \d{1,2} \d{4} \d{1,2}:\d{2}) (.+) wrote:$")
_EDIT_NOTE = re.compile(r"^Last edit(?:ed)?:\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$", re.I)
_SMILEY = "/smilies/"

Skip = Callable[[Any], bool]


@dataclass
class Quote:
    author: str | None
    quoted_at: datetime | None
    text: str
    quotes: list[Quote] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The stored shape; parent_id/confidence are filled later by quote resolution."""
        return {
            "author": self.author,
            "quoted_at": self.quoted_at,
            "text": self.text,
            "parent_id": None,
            "confidence": None,
            "quotes": [q.to_dict() for q in self.quotes],
        }


@dataclass
class Body:
    text: str
    quotes: list[Quote]
    links: list[str]
    images: list[str]
    videos: list[str]


def parse_body(html: str, base_url: str) -> Body:
    """Parse the inner HTML of a post body (`article.forumPost > section`)."""
    root = _fragment(html)
    if root is None:
        return Body(text="", quotes=[], links=[], images=[], videos=[])
    own = list(_own_elements(root))
    return Body(
        text=_text(root, _base_skip(root, drop_quotes=True)),
        quotes=[_parse_quote(q) for q in _child_quotes(root)],
        links=_unique(urljoin(base_url, href) for href in _hrefs(own)),
        images=_unique(urljoin(base_url, src) for src in _srcs(own, "img") if _SMILEY not in src),
        videos=_unique(urljoin(base_url, src) for src in _srcs(own, "iframe")),
    )


def text_of(html: str | None) -> str:
    """Text of an HTML fragment by the text rules (quotes kept: used for signatures)."""
    root = _fragment(html or "")
    if root is None:
        return ""
    return _text(root, _base_skip(root, drop_quotes=False))


# --- tree helpers -------------------------------------------------------------------------------


def _fragment(html: str) -> Any | None:
    if not html or not html.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except etree.ParserError:
        return None


def _is_quote(el: Any) -> bool:
    return el.tag == "div" and "quote" in (el.get("class") or "").split()


def _child_quotes(container: Any) -> list[Any]:
    """Quotes inside `container` whose nearest enclosing quote is `container` (document order).

    A nested quote's toggle and hidden `showQuoteRest_N` div sit inside the nested quote's own
    div.quote, or (a variant) around it; either way the div.quote is the quote.
    """
    return [q for q in container.iterdescendants("div") if _is_quote(q) and _owner(q) is container]


def _owner(el: Any) -> Any:
    """The nearest enclosing quote of `el`, or the fragment root."""
    owner = el
    for owner in el.iterancestors():
        if _is_quote(owner):
            break
    return owner  # a quote, else the last ancestor: the fragment root


def _own_elements(root: Any) -> Iterable[Any]:
    """Elements of the author's own content: everything outside quotes."""
    stack = list(reversed(root))
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str) or _is_quote(el):
            continue
        yield el
        stack.extend(reversed(el))


def _hrefs(elements: list[Any]) -> Iterable[str]:
    for el in elements:
        href = (el.get("href") or "").strip() if el.tag == "a" else ""
        if href and href != "#" and not href.lower().startswith("javascript:"):
            yield href


def _srcs(elements: list[Any], tag: str) -> Iterable[str]:
    for el in elements:
        src = (el.get("src") or "").strip() if el.tag == tag else ""
        if src:
            yield src


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --- quotes -------------------------------------------------------------------------------------


def _parse_quote(el: Any) -> Quote:
    header_el, author, quoted_at = _header(el)
    base = _base_skip(el, drop_quotes=True)  # drops the nested quotes from this quote's text

    def skip(node: Any) -> bool:
        return node is header_el or base(node)

    return Quote(
        author=author,
        quoted_at=quoted_at,
        text=_text(el, skip),
        quotes=[_parse_quote(n) for n in _child_quotes(el)],
    )


def _header(quote: Any) -> tuple[Any, str | None, datetime | None]:
    """The quote's own first `b` if it reads `On <time> <user> wrote:`; else no header."""
    for b in quote.iterdescendants("b"):
        if _owner(b) is not quote:
            continue
        match = _QUOTE_HEADER.match(_squash(b.text_content()))
        if not match:
            return None, None, None
        try:
            return b, match.group(2), parse_quote_time(match.group(1))
        except ValueError:  # `On Someday 45 2023 ...`: not a real header
            return None, None, None
    return None, None, None


# --- text rules ---------------------------------------------------------------------------------


def _base_skip(root: Any, *, drop_quotes: bool) -> Skip:
    """Rule 1: the elements whose content never counts as text."""
    check_edit_notes = "last edit" in root.text_content().lower()

    def skip(el: Any) -> bool:
        tag = el.tag
        if tag in _DROPPED_TAGS or (drop_quotes and _is_quote(el)):
            return True
        if tag == "a" and (
            (el.get("id") or "").startswith("showQuoteLink")
            or "toggleShowSpoiler" in (el.get("onclick") or "")
        ):
            return True
        return check_edit_notes and bool(_EDIT_NOTE.match(_squash(el.text_content())))

    return skip


def _text(root: Any, skip: Skip) -> str:
    """Rules 2 and 3: block elements break lines; whitespace squashed per line; empties dropped."""
    parts: list[str] = [_inline(root.text)]
    _walk(root, skip, parts)
    lines = (_squash(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _walk(parent: Any, skip: Skip, parts: list[str]) -> None:
    for el in parent:
        if isinstance(el.tag, str):
            block = el.tag in _BLOCK_TAGS
            parts.append("\n" if block else "")
            if not skip(el):
                parts.append(_inline(el.text))
                _walk(el, skip, parts)
            # A removed block (a quote) still separates the text around it, as on screen.
            parts.append("\n" if block else "")
        parts.append(_inline(el.tail))


def _inline(text: str | None) -> str:
    """Newlines in the source are plain whitespace in HTML; only elements break lines."""
    return text.replace("\r", " ").replace("\n", " ") if text else ""


def _squash(text: str) -> str:
    """Runs of whitespace (U+00A0 included: str.split covers it) become one space; strip."""
    return " ".join(text.split())
