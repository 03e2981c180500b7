"""Small lxml helpers shared by the page parsers: load any HTML, match classes, read text."""

from __future__ import annotations

import html as html_lib

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


def inner_html(element: HtmlElement) -> str:
    """The element's content as HTML, without the element's own tag."""
    head = html_lib.escape(element.text, quote=False) if element.text else ""
    children = (lxml.html.tostring(child, encoding="unicode") for child in element)
    return head + "".join(children)
