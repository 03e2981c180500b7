"""Turn a post body into the stored fields: text, quotes, links, images, videos.

Pure functions, no Scrapy. The rules are the data contract's TEXT RULES (docs/data-contract.md) and
the markup in ../shared/reference/tlnet-markup.md. Elements are found by class, id and text
patterns, never by nesting, because the replica varies wrappers and attribute order.

`extract_body` works on the body's element in the page's own tree (one parse per page) and
CONSUMES it: to let libxml2 do the text walk in C, it removes the elements whose text does not
count and marks line breaks with a separator character, then reads the text content once per
container. Quotes are read innermost first and removed, so each container's text is its own.
Serialise the element (the stored `html`) before extracting.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from w3lib.html import strip_html5_whitespace

from tlcrawl.parsing.dom import string_value
from tlcrawl.parsing.times import parse_quote_time

_BLOCK_TAGS = (
    *("br", "p", "div", "li", "ul", "ol", "blockquote", "hr", "tr", "table", "center", "pre"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "section", "article"),
)
_BLOCKS = frozenset(_BLOCK_TAGS)
_VOID_BLOCKS = frozenset({"br", "hr"})
_LEFT_OUT_TAGS = ("script", "style", "img", "iframe", "a")  # rule 1 (quotes, edit notes aside)
_QUOTE_HEADER = re.compile(r"^On (\w+ \d{1,2} \d{4} \d{1,2}:\d{2}) (.+) wrote:$")
_EDIT_NOTE = re.compile(r"^Last edit(?:ed)?:\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$", re.I)
_SMILEY = "/smilies/"
# XML-incompatible characters: lxml refuses them as a fragment's leading text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Private-use characters, none of which the forum's markup uses: one not in the text marks breaks.
_SEPARATORS = [chr(c) for c in range(0xE000, 0xF900)]


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


EMPTY_BODY = Body(text="", quotes=[], links=[], images=[], videos=[])


def content_hash(text: str) -> str:
    """The stored `content_hash`: SHA-256 of the post's text, to notice edits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_body(html: str, base_url: str) -> Body:
    """The fields of a post body given as its inner HTML (`article.forumPost > section`)."""
    root = _fragment(html)
    return EMPTY_BODY if root is None else extract_body(root, base_url)


def text_of(html: str | None) -> str:
    """Text of an HTML fragment by the text rules (quotes kept: used for signatures)."""
    root = _fragment(html or "")
    return "" if root is None else extract_text(root)


def extract_body(container: Any, base_url: str) -> Body:
    """All fields of the body `container` (its element in any tree), which this consumes."""
    separator, notes = _prepare(container)
    quotes = _extract_quotes(container, separator, notes)
    own = list(container.iter("a", "img", "iframe"))  # quotes are gone: what is left is own
    return Body(
        text=_flatten(container, separator, notes),
        quotes=quotes,
        links=_urls(base_url, (el.get("href") for el in own if el.tag == "a"), _is_link),
        images=_urls(base_url, (el.get("src") for el in own if el.tag == "img"), _is_image),
        videos=_urls(base_url, (el.get("src") for el in own if el.tag == "iframe"), bool),
    )


def extract_text(container: Any) -> str:
    """Text of `container` with its quotes kept as text (a signature), consuming it."""
    return _flatten(container, *_prepare(container))


# --- tree helpers -------------------------------------------------------------------------------


def _fragment(html: str) -> Any | None:
    if not html or not html.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except ValueError:  # a control character in the leading text: whitespace to the text rules
        return _fragment(_CONTROL.sub(" ", html)) if _CONTROL.search(html) else None
    except etree.ParserError:
        return None


def _is_quote(el: Any) -> bool:
    return el.tag == "div" and "quote" in (el.get("class") or "").split()


def _prepare(container: Any) -> tuple[str, set[Any]]:
    """Before anything is removed: a character that does not occur in the container's text, to
    mark line breaks with, and the elements whose whole text is a `Last Edited: …` note (rule 1).
    """
    text = string_value(container)
    separator = next(c for c in _SEPARATORS if c not in text)
    if "last edit" not in text.lower():
        return separator, set()
    notes = {el for el in container.iter() if _EDIT_NOTE.match(_squash(string_value(el)))}
    return separator, notes


def remove(el: Any) -> None:
    """Remove `el` and its content from the tree, keeping its tail text."""
    if el.getparent() is not None:
        _leave_out(el, "")


def _leave_out(el: Any, separator: str) -> None:
    """Remove `el` and its content; a removed block still separates the text around it."""
    parent, previous = el.getparent(), el.getprevious()
    if parent is None:
        return
    tail = (separator * 2 if el.tag in _BLOCKS else "") + (el.tail or "")
    if not tail:
        parent.remove(el)
    elif previous is None:
        _set_text(parent, "text", (parent.text or "") + tail)
    else:
        _set_text(previous, "tail", (previous.tail or "") + tail)
    if tail:
        el.tail = None
        parent.remove(el)


def _set_text(el: Any, which: str, text: str) -> None:
    """Set `el.text` or `el.tail`; lxml takes no control characters there: they become spaces."""
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    setattr(el, which, text)


# --- quotes -------------------------------------------------------------------------------------


def _extract_quotes(container: Any, separator: str, notes: set[Any]) -> list[Quote]:
    """The container's quotes, nested ones inside their quote, each removed once read.

    Read innermost first (reverse document order) so that a quote's text leaves out its nested
    quotes. A nested quote's toggle and hidden `showQuoteRest_N` div may sit inside the nested
    quote's div.quote or around it; either way the div.quote is the quote.
    """
    found = [el for el in container.iter("div") if _is_quote(el)]
    owners = {el: _owner(el, container) for el in found}
    nested: dict[Any, list[Quote]] = {el: [] for el in [container, *found]}
    for el in reversed(found):
        quote = _read_quote(el, separator, notes)
        quote.quotes = nested[el][::-1]
        nested[owners[el]].append(quote)
        _leave_out(el, separator)
    return nested[container][::-1]


def _owner(el: Any, container: Any) -> Any:
    """The nearest enclosing quote of `el` inside `container`, else `container`."""
    for ancestor in el.iterancestors():
        if ancestor is container or _is_quote(ancestor):
            return ancestor
    return container


def _read_quote(el: Any, separator: str, notes: set[Any]) -> Quote:
    header, author, quoted_at = _header(el)
    if header is not None:
        _leave_out(header, separator)
    return Quote(author=author, quoted_at=quoted_at, text=_flatten(el, separator, notes))


def _header(quote: Any) -> tuple[Any, str | None, datetime | None]:
    """The quote's first `b` if it reads `On <time> <user> wrote:`; else no header.

    Nested quotes are removed by now, so the first `b` is the quote's own.
    """
    for b in quote.iter("b"):
        match = _QUOTE_HEADER.match(_squash(string_value(b)))
        if not match:
            return None, None, None
        try:
            return b, match.group(2), parse_quote_time(match.group(1))
        except ValueError:  # `On Someday 45 2023 ...`: not a real header
            return None, None, None
    return None, None, None


# --- text rules ---------------------------------------------------------------------------------


def _flatten(container: Any, separator: str, notes: set[Any]) -> str:
    """Rules 1–3 on what is left of `container`: its text, one line per block."""
    left_out = [el for el in container.iterdescendants(*_LEFT_OUT_TAGS) if _is_left_out(el)]
    if notes:
        left_out += [el for el in container.iterdescendants() if el in notes]
    for el in left_out:
        _leave_out(el, separator)
    double = separator + separator
    for el in container.iterdescendants(*_BLOCK_TAGS):  # a block breaks the line before and after
        text, tail = el.text, el.tail
        try:
            if text is None and el.tag in _VOID_BLOCKS:  # <br>: both breaks go after it
                el.tail = double + tail if tail else double
            else:
                el.text = separator + text if text else separator
                el.tail = separator + tail if tail else separator
        except ValueError:  # lxml takes no control characters in new text
            _set_text(el, "text", separator + (text or ""))
            _set_text(el, "tail", separator + (tail or ""))
    return _lines(string_value(container), separator)


def _is_left_out(el: Any) -> bool:
    """Rule 1 for script, style, img, iframe and links: the quote and spoiler toggles."""
    if el.tag != "a":
        return True
    toggle = (el.get("id") or "").startswith("showQuoteLink")
    return toggle or "toggleShowSpoiler" in (el.get("onclick") or "")


def _lines(raw: str, separator: str) -> str:
    """Rule 3 on every line at once: the separator is no whitespace, so str.split keeps it.

    Newlines in the source are plain whitespace in HTML: only elements break lines.
    """
    squashed = " ".join(raw.split())
    squashed = squashed.replace(" " + separator, separator).replace(separator + " ", separator)
    return "\n".join(filter(None, squashed.split(separator)))


def _squash(text: str) -> str:
    """Runs of whitespace (U+00A0 included: str.split covers it) become one space; strip."""
    return " ".join(text.split())


# --- links and media ----------------------------------------------------------------------------


def _is_link(href: str) -> bool:
    return href != "#" and not href.lower().startswith("javascript:")


def _is_image(src: str) -> bool:
    return _SMILEY not in src


def _urls(base_url: str, values: Iterable[str | None], wanted) -> list[str]:
    """Absolute URLs of the wanted non-empty values, first occurrence first."""
    found: dict[str, None] = {}
    for value in values:
        value = strip_html5_whitespace(value or "")
        if value and wanted(value):
            try:
                found[urljoin(base_url, value)] = None
            except ValueError:  # `http://[::1`: no URL to store
                continue
    return list(found)
