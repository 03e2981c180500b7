"""Turn a post body into the stored fields: text, quotes, links, images, videos.

Pure functions, no Scrapy. The rules are the data contract's TEXT RULES (docs/data-contract.md) and
the markup in ../shared/reference/tlnet-markup.md. Elements are found by class, id and text
patterns, never by nesting, because the replica varies wrappers and attribute order.

`extract_body` works on the body's element in the page's own tree (one parse per page) and
CONSUMES it. Line breaks come from the page source: `mark_blocks` puts BREAK before every block
tag before the page is parsed, so libxml2 reads each container's text, breaks included, in C (a
Python walk setting a separator on every block cost more than all other fields of a post). The
elements whose text does not count are removed, and quotes are read innermost first and removed,
so each container's text is its own. Serialise the element (the stored `html`, BREAK stripped)
before extracting.
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
_LEFT_OUT_TAGS = ("script", "style", "img", "iframe")  # rule 1, with toggles, quotes, edit notes
_PARTS = (*_LEFT_OUT_TAGS, "a")  # what rule 1 and the media fields look at
_QUOTE_HEADER = re.compile(r"^On (\w+ \d{1,2} \d{4} \d{1,2}:\d{2}) (.+) wrote:$")
_EDIT_NOTE = re.compile(r"^Last edit(?:ed)?:\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$", re.I)
_SMILEY = "/smilies/"
# XML-incompatible characters: lxml refuses them as a fragment's leading text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

# The line-break mark: PARAGRAPH SEPARATOR is whitespace to str.split, so every other text read
# (titles, header fields: dom.text_of) sees a plain space. One already in the page, or written as
# a character reference, is made a space first: whitespace to the text rules either way.
BREAK = "\u2029"


def _by_first_letter(names: tuple[str, ...]) -> str:
    """A regex alternation of `names` grouped by first letter: a flat one of twenty names, tried
    at every `<` of a page, cost a quarter more."""
    rests: dict[str, list[str]] = {}
    for name in names:
        rests.setdefault(name[0], []).append(re.escape(name[1:]))
    return "|".join(f"{first}(?:{'|'.join(tails)})" for first, tails in rests.items())


# The `<` of `<br>`, `<p class=...>`, `</p>`: in lower case, as the forum writes tags, or in any
# case (twice as slow, for pages that need it).
_BLOCK_NAMES = _by_first_letter(_BLOCK_TAGS)
_BLOCK_TAG = re.compile(rf"<(?=/?(?:{_BLOCK_NAMES})(?![\w:.-]))")
_ANY_CASE_BLOCK_TAG = re.compile(rf"<(?=/?(?i:{_BLOCK_NAMES})(?![\w:.-]))")
_UPPER_CASE_TAG = re.compile(r"</?[A-Z]")
_NORMALIZED_TEXT = etree.XPath("normalize-space()")  # squashes " \t\r\n" only
# What else str.split takes for whitespace in ASCII text.
_ASCII_WHITESPACE = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\t", "\r")
_BREAK_IN_SOURCE = re.compile(r"\u2029|&#(?:0*8233(?![0-9])|[xX]0*2029(?![0-9a-fA-F]));?")


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


def mark_blocks(html: str) -> str:
    """`html` with BREAK before every block tag: parse this, then read text with extract_*."""
    if BREAK in html or "&#" in html:
        html = _BREAK_IN_SOURCE.sub(" ", html)
    pattern = _ANY_CASE_BLOCK_TAG if _UPPER_CASE_TAG.search(html) else _BLOCK_TAG
    return pattern.sub(BREAK + "<", html)


def unmark(html: str) -> str:
    """Serialised HTML of a marked tree as the page wrote it."""
    return html.replace(BREAK, "")


# A body or signature given as HTML rather than in a page's tree (the crawl reads bodies off the
# page's own tree): what tests and tools that hold a stored `html` use.
def parse_body(html: str, base_url: str) -> Body:
    """The fields of a post body given as its inner HTML (`article.forumPost > section`)."""
    root = _fragment(html)
    return EMPTY_BODY if root is None else extract_body(root, base_url)


def fragment_text(html: str | None) -> str:
    """Text of an HTML fragment by the text rules, quotes kept as text (as for signatures)."""
    root = _fragment(html or "")
    return "" if root is None else extract_text(root)


def extract_body(container: Any, base_url: str) -> Body:
    """All fields of the body `container` (its element in a marked tree), which this consumes."""
    found = list(container.iterdescendants("div", *_PARTS))  # one walk for quotes and parts
    quotes = _extract_quotes(container, [el for el in found if _is_quote(el)])
    # What is left once the quotes are gone is the post's own.
    own = _parts(container) if quotes else [el for el in found if el.tag != "div"]
    return Body(
        text=_text(container, own),
        quotes=quotes,
        links=_urls(base_url, (el.get("href") for el in own if el.tag == "a"), _is_link),
        images=_urls(base_url, (el.get("src") for el in own if el.tag == "img"), _is_image),
        videos=_urls(base_url, (el.get("src") for el in own if el.tag == "iframe"), bool),
    )


def extract_text(container: Any) -> str:
    """Text of `container` (in a marked tree) with its quotes kept as text, consuming it."""
    return _text(container, _parts(container))


# --- tree helpers -------------------------------------------------------------------------------


def _fragment(html: str) -> Any | None:
    if not html or not html.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(mark_blocks(html), create_parent="div")
    except ValueError:  # a control character in the leading text: whitespace to the text rules
        return _fragment(_CONTROL.sub(" ", html)) if _CONTROL.search(html) else None
    except etree.ParserError:
        return None


def _is_quote(el: Any) -> bool:
    return el.tag == "div" and "quote" in (el.get("class") or "").split()


def remove(el: Any) -> None:
    """Remove `el` and its content from the tree, keeping its tail text.

    A removed block still separates the text around it: its leading BREAK is outside it.
    """
    parent, previous, tail = el.getparent(), el.getprevious(), el.tail
    if parent is None:
        return
    if tail:
        if previous is None:
            _set_text(parent, "text", (parent.text or "") + tail)
        else:
            _set_text(previous, "tail", (previous.tail or "") + tail)
        el.tail = None
    parent.remove(el)


def _set_text(el: Any, which: str, text: str) -> None:
    """Set `el.text` or `el.tail`; lxml takes no control characters there: they become spaces."""
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    setattr(el, which, text)


# --- quotes -------------------------------------------------------------------------------------


def _extract_quotes(container: Any, found: list[Any]) -> list[Quote]:
    """The container's quotes (`found`: its div.quote elements in document order), nested ones
    inside their quote, each removed once read.

    Read innermost first (reverse document order) so that a quote's text leaves out its nested
    quotes. A nested quote's toggle and hidden `showQuoteRest_N` div may sit inside the nested
    quote's div.quote or around it; either way the div.quote is the quote.
    """
    if not found:
        return []
    owners = {el: _owner(el, container) for el in found}
    nested: dict[Any, list[Quote]] = {el: [] for el in [container, *found]}
    for el in reversed(found):
        quote = _read_quote(el)
        quote.quotes = nested[el][::-1]
        nested[owners[el]].append(quote)
        remove(el)
    return nested[container][::-1]


def _owner(el: Any, container: Any) -> Any:
    """The nearest enclosing quote of `el` inside `container`, else `container`."""
    for ancestor in el.iterancestors():
        if ancestor is container or _is_quote(ancestor):
            return ancestor
    return container


def _read_quote(el: Any) -> Quote:
    header, author, quoted_at = _header(el)
    if header is not None:
        remove(header)
    return Quote(author=author, quoted_at=quoted_at, text=_text(el, _parts(el)))


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


def _parts(container: Any) -> list[Any]:
    """The descendants the text rules and the media fields look at, in one walk."""
    return list(container.iterdescendants(*_PARTS))


def _text(container: Any, parts: list[Any]) -> str:
    """Rules 1–3 on what is left of `container`: its text, one line per block.

    `Last Edited: …` notes (rule 1) are looked for only when the text holds one: they are rare.
    """
    for el in parts:
        if el.tag != "a" or _is_toggle(el):
            remove(el)
    text = _lines(container)
    if "last edit" not in text.lower():
        return text
    notes = [el for el in container.iterdescendants() if _is_edit_note(el)]
    for el in notes:
        remove(el)
    return _lines(container) if notes else text


def _is_edit_note(el: Any) -> bool:
    return bool(_EDIT_NOTE.match(_squash(string_value(el))))


def _lines(container: Any) -> str:
    """The container's text, split into lines at the BREAKs, whitespace squashed (rule 3)."""
    text = _NORMALIZED_TEXT(container)  # ASCII whitespace runs made one space, in C
    lines = "\n".join(filter(None, [line.strip(" ") for line in text.split(BREAK)]))
    return lines if only_plain_spaces(lines) else squash_lines(text, BREAK)


def only_plain_spaces(text: str) -> bool:
    """True when the only whitespace in `text` is " " and "\\n" (false for some others too)."""
    if text.isascii():  # a flag of the string: free
        return not any(space in text for space in _ASCII_WHITESPACE)
    return text.replace("\n", " ").isprintable()  # no U+00A0 and the like (nor controls)


def _is_toggle(link: Any) -> bool:
    """Rule 1 for links: the quote and spoiler toggles."""
    toggle = (link.get("id") or "").startswith("showQuoteLink")
    return toggle or "toggleShowSpoiler" in (link.get("onclick") or "")


def squash_lines(text: str, newline: str) -> str:
    """Rule 3 on every line at once: whitespace runs (U+00A0 included: str.split's whitespace)
    become one space, lines (split at `newline`) are stripped, empty ones dropped, and joined
    with "\\n". Newlines in an HTML source are plain whitespace: use newline=BREAK there.

    NUL, no whitespace to str.split, marks the breaks while the whole text is squashed in one go
    (a line at a time cost as much as extracting the text).
    """
    if "\0" in text:  # not from a page (libxml2 text has no NUL): clean line by line
        lines = (" ".join(line.split()) for line in text.split(newline))
        return "\n".join(line for line in lines if line)
    squashed = " ".join(text.replace(newline, "\0").split())
    squashed = squashed.replace(" \0", "\0").replace("\0 ", "\0")
    return "\n".join(filter(None, squashed.split("\0")))


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
