"""Small lxml helpers shared by the page parsers: load any HTML, match classes, read text, numbers.

Everything here takes any input without raising: the parsers' contract is to report, never crash.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.etree import XPath

from tlcrawl.parsing import urls

# Plain lxml elements: lxml.html's element classes are looked up in Python for every element
# touched, which cost more than the parse itself on a thread page.
HtmlElement = etree._Element
_PARSER = etree.HTMLParser(collect_ids=False)  # no id table: nothing looks ids up
string_value = XPath("string()")  # an element's text content, as lxml.html's text_content()

# A page number, count or id: ASCII digits only ('²'.isdigit() is True but int() refuses it),
# and short enough for int() (over 4,300 digits raise) and for MongoDB's 64-bit integers.
_NUMBER = re.compile(r"[0-9]{1,18}")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def as_text(html: str | bytes) -> str:
    """Bytes decoded as UTF-8, the site's encoding, so a missing charset declaration cannot make
    libxml2 guess Latin-1."""
    return html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html


def load_html(html: str | bytes) -> HtmlElement:
    """The document's root element; never raises (lxml recovers truncated or broken HTML)."""
    # lxml refuses text that declares an encoding: the declaration means nothing once decoded.
    html = _XML_DECLARATION.sub("", as_text(html), count=1)
    try:
        root = etree.fromstring(html, _PARSER)
    except (etree.LxmlError, ValueError):  # unencodable document
        root = None
    return root if root is not None else etree.fromstring("<html><body></body></html>", _PARSER)


def has_class(name: str) -> str:
    """An XPath predicate body: the element's class list contains `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def classes(element: HtmlElement) -> list[str]:
    return (element.get("class") or "").split()


def find_all(root: HtmlElement, tag: str, class_name: str) -> list[HtmlElement]:
    """`root`'s descendants `tag.class_name`, in document order.

    lxml's C-level iter and a class test in Python: document-wide XPath (`//h1[...]`) costs more
    than the whole rest of a thread page.
    """
    return [el for el in root.iter(tag) if class_name in classes(el)]


def main_content(root: HtmlElement) -> HtmlElement:
    """`div#main-content`, else the whole document."""
    return next((el for el in root.iter("div") if el.get("id") == "main-content"), root)


def read_int(text: str | None) -> int | None:
    """The number written as `text` (surrounding whitespace allowed), else None."""
    text = (text or "").strip()
    return int(text) if _NUMBER.fullmatch(text) else None


def text_of(element: HtmlElement) -> str:
    """The element's text with whitespace runs (U+00A0 included) collapsed."""
    if len(element):
        text = etree.tostring(element, method="text", encoding="unicode", with_tail=False)
    else:  # no children: its own text is all of it, no serialising needed
        text = element.text or ""
    return " ".join(text.split())


_FIND_CURRENT_PAGE = XPath(f".//b[not(ancestor::a)] | .//span[{has_class('current')}]")


def current_page_marker(pager: HtmlElement) -> int | None:
    """The pager's current page: the number shown as plain text (`<b>` or `span.current`)."""
    for marker in _FIND_CURRENT_PAGE(pager):
        page = read_int(text_of(marker))
        if page is not None:
            return page
    return None


def thread_ref(href: str | None, base: str) -> urls.ThreadRef | None:
    """`urls.parse_thread_url`, None for what it cannot read (a 5,000-digit thread id)."""
    try:
        return urls.parse_thread_url(href or "", base)
    except ValueError:
        return None


def forum_ref(href: str | None, base: str) -> tuple[str, int] | None:
    """`urls.parse_forum_url`, None for what it cannot read."""
    try:
        return urls.parse_forum_url(href or "", base)
    except ValueError:
        return None


def inner_html(element: HtmlElement) -> str:
    """The element's content as HTML, without the element's own tag.

    Serializes the element once (per child is several times slower) and cuts off its own tags,
    measured on an empty copy so the opening tag's attributes are serialized identically.
    """
    whole = etree.tostring(element, method="html", encoding="unicode", with_tail=False)
    closing = f"</{element.tag}>"
    if not element.attrib:  # the usual `<section>`: no need to serialize the shell
        shell = f"<{element.tag}>{closing}"
    else:
        empty = element.makeelement(element.tag, element.attrib)
        shell = etree.tostring(empty, method="html", encoding="unicode")
    if not shell.endswith(closing) or not whole.endswith(closing):  # void element: no content
        return ""
    return whole[len(shell) - len(closing) : -len(closing)]
