"""Small lxml helpers shared by the page parsers: load any HTML, match classes, read text."""

from __future__ import annotations

import lxml.html
from lxml.etree import ParserError
from lxml.html import HtmlElement


def load_html(html: str | bytes) -> HtmlElement:
    """The document's root element; never raises (lxml recovers truncated or broken HTML).

    Bytes are decoded as UTF-8, the site's encoding, so a missing charset declaration
    cannot make libxml2 guess Latin-1.
    """
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    try:
        return lxml.html.document_fromstring(html)
    except ParserError:  # empty or whitespace-only document
        return lxml.html.document_fromstring("<html><body></body></html>")


def has_class(name: str) -> str:
    """An XPath predicate body: the element's class list contains `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def text_of(element: HtmlElement) -> str:
    """The element's text with whitespace runs (U+00A0 included) collapsed."""
    return " ".join(element.text_content().split())


def current_page_marker(pager: HtmlElement) -> int | None:
    """The pager's current page: the number shown as plain text (`<b>` or `span.current`)."""
    for marker in pager.xpath(f".//b[not(ancestor::a)] | .//span[{has_class('current')}]"):
        label = text_of(marker)
        if label.isdigit():
            return int(label)
    return None


def inner_html(element: HtmlElement) -> str:
    """The element's content as HTML, without the element's own tag.

    Serializes the element once (per child is several times slower) and cuts off its own tags,
    measured on an empty copy so the opening tag's attributes are serialized identically.
    """
    whole = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    empty = element.makeelement(element.tag, element.attrib)
    shell = lxml.html.tostring(empty, encoding="unicode")
    closing = f"</{element.tag}>"
    if not shell.endswith(closing) or not whole.endswith(closing):  # void element: no content
        return ""
    return whole[len(shell) - len(closing) : -len(closing)]
