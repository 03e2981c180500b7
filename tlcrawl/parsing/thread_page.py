"""A thread page (`/forum/<slug>/<id>-<title>[?page=N]`) → the thread's facts and its posts.

Keys on the class names and text patterns in the data contract, never on nesting: the real page's
nesting is unknown. Posts are found by pairing, in document order, each post `header` with the next
`article.forumPost` and the first `div.forumsig` before the next header. A post missing a required
part is reported in `problems` and skipped; the others are kept.

Every field of every post (text, quotes, links, media, signature, content hash) is extracted here,
in one parse of the page: the spider's items are complete and the pipelines never re-parse HTML.
Never raises: a page that cannot be read at all comes back with `error` set (see ThreadPage).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml.etree import XPath

from tlcrawl.parsing import times, urls
from tlcrawl.parsing.dom import (
    HtmlElement,
    as_text,
    classes,
    current_page_marker,
    find_all,
    inner_html,
    load_html,
    main_content,
    read_int,
    text_of,
    thread_ref,
)
from tlcrawl.parsing.post_body import (
    EMPTY_BODY,
    Body,
    Quote,
    content_hash,
    extract_body,
    extract_text,
    mark_blocks,
    remove,
    unmark,
)

# Per-post queries, compiled once (compiling per call was a third of the parse time). Simple
# ones are lxml iter calls with a class test (dom.find_all): an XPath call costs more.
_FIND_NUMBER_ANYWHERE = XPath(".//*[starts-with(normalize-space(), '#')]")
_FIND_TEXTS = XPath(".//text()")

_POST_COUNT = re.compile(r"^([0-9,]+)\s+Posts?$")
_JOINED = re.compile(r"Joined ([A-Z][a-z]+) (\d{4})")
_EDITED = re.compile(r"Last Edited:\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")
_NUMBER = re.compile(r"^#([0-9]+)$")
_COMMENTS = re.compile(r"\b([0-9][0-9,]*)\s*Comment")
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
_BREADCRUMB_SEPARATORS = " >»›/"
_BREADCRUMB_DEPTH = 4
_LOCKED = "This thread is locked."


class PostError(ValueError):
    """A required part of one post is missing or unreadable."""


@dataclass
class ParsedPost:
    post_id: int
    number: int
    author: str
    posted_at: datetime
    url: str  # the post's permalink on the crawl's base
    profile_url: str
    html: str  # inner HTML of the body, signature excluded
    edited_at: datetime | None = None
    country: str | None = None
    post_count: int | None = None
    joined: str | None = None  # YYYY-MM
    tl_plus: bool = False
    # The body's fields by the data contract's text rules, read off the page's own tree.
    text: str = ""
    quotes: list[Quote] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    signature: str | None = None  # the signature's text; None when it has none
    content_hash: str = content_hash("")


@dataclass
class ThreadPage:
    """One thread page. Never raised: bad parts are in `problems`.

    `error` is the page-level failure marker: None when the page was read (even with posts
    skipped, each named in `problems`); else why nothing could be read, also the last of
    `problems`. A page with `error` set has no posts and must be treated as failed (its thread
    incomplete), not as an empty page.
    """

    thread_id: int | None
    forum: str | None
    title: str
    url: str | None  # canonical page-1 URL
    page: int
    pages: int
    replies: int | None
    locked: bool
    forum_name: str | None
    posts: list[ParsedPost] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    skipped_posts: int = 0  # posts on the page that could not be read (each named in problems)


@dataclass
class _RawPost:
    header: HtmlElement
    parts: _HeaderParts
    article: HtmlElement | None = None
    signature: HtmlElement | None = None
    body: HtmlElement | None = None  # the article's section
    label: str = ""


def parse_thread_page(html: str | bytes, url: str) -> ThreadPage:
    """Parse one thread page fetched from `url`; never raises, whatever the input."""
    try:
        return _parse_thread_page(html, url)
    except Exception as error:  # a bug meeting odd markup: fail this page, keep the crawl
        problem = f"page not parsed: {type(error).__name__}: {error}"[:500]
        return ThreadPage(
            thread_id=None,
            forum=None,
            title="",
            url=None,
            page=1,
            pages=1,
            replies=None,
            locked=False,
            forum_name=None,
            problems=[problem],
            error=problem,
        )


def _parse_thread_page(html: str | bytes, url: str) -> ThreadPage:
    root = load_html(mark_blocks(as_text(html)))  # bodies' line breaks marked: see post_body
    problems: list[str] = []
    ref = thread_ref(url, url)
    if ref is None or ref.canonical_url is None:
        ref = _ref_from_pager(root, url)
    if ref is None:
        problems.append(f"not a thread URL: {url}")
    title = _title(root)
    if not title:
        problems.append("no h1.title")
    page, pages = _pager(root, url, ref.page if ref else 1)
    posts, skipped = _posts(root, urls.origin(url), problems)  # consumes the posts' bodies
    texts = _page_texts(root)
    result = ThreadPage(
        thread_id=ref.thread_id if ref else None,
        forum=ref.forum if ref else None,
        title=title,
        url=ref.canonical_url if ref else None,
        page=page,
        pages=pages,
        replies=_replies(texts),
        locked=any(_LOCKED in text for text in texts),
        forum_name=_forum_name(texts),
        posts=posts,
        problems=problems,
        skipped_posts=skipped,
    )
    if ref is None:
        result.error = f"not a thread page: no thread in its URL or pager ({url})"
    elif not title and not result.posts and not any(map(_post_part, root.iter("header"))):
        result.error = "not a thread page: no title and no post"
    if result.error:
        problems.append(result.error)
    return result


# --- thread-level facts -------------------------------------------------------------------------


def _title(root: HtmlElement) -> str:
    found = find_all(root, "h1", "title")
    return text_of(found[0]) if found else ""


def _pager_links(root: HtmlElement) -> list[HtmlElement]:
    """Pagination blocks: the thread docks' when present, else any `div.pagination`."""
    docks = [
        block
        for dock in find_all(root, "tr", "thread_dock")
        for block in find_all(dock, "div", "pagination")
    ]
    return docks or find_all(root, "div", "pagination")


def _ref_from_pager(root: HtmlElement, url: str) -> urls.ThreadRef | None:
    """The thread a page belongs to, read from its pager links when its URL does not say."""
    for block in _pager_links(root):
        for href in block.xpath(".//a/@href"):
            ref = thread_ref(href, url)
            if ref is not None and ref.canonical_url is not None:
                return ref
    return None


def _pager(root: HtmlElement, url: str, url_page: int) -> tuple[int, int]:
    """(current page, total pages): the pager's non-link page number wins over the URL's."""
    current: int | None = None
    seen = [1]
    for block in _pager_links(root):
        for link in block.xpath(".//a[@href]"):
            number = read_int(text_of(link))
            if number is not None:
                seen.append(number)
                continue
            ref = thread_ref(link.get("href"), url)  # only Next/Prev/All: parsing URLs is dear
            if ref is not None and not ref.last_page and not ref.view_all:
                seen.append(ref.page)  # Next/Prev point at existing pages
        current = current_page_marker(block) or current
    page = current or url_page
    return page, max([*seen, page])


def _page_texts(root: HtmlElement) -> list:
    """Main-content text nodes that may hold the comment count, breadcrumb or lock notice.

    Posts and the title are left out: users and thread titles may write these words. One scan
    of what is left once the posts were read and removed (a scan of every text node cost as much
    as all post fields).
    """
    scope = main_content(root)
    found = [
        text
        for text in _FIND_TEXTS(scope)  # one query and a Python test: 3 `contains` cost more
        if "Comment" in text or "Forum Index" in text or _LOCKED in text
    ]
    return [text for text in found if not _inside(text, "self::article or self::h1")]


def _inside(text, test: str) -> bool:
    """The text node's element, or an ancestor of it, passes the XPath `test`."""
    return bool(_text_element(text).xpath(f"ancestor-or-self::*[{test}]"))


def _replies(texts: list) -> int | None:
    """N from the `N Comments` bar, the number in the same text or just before it."""
    for text in texts:
        if _inside(text, "self::a"):  # a link to a thread about comments
            continue
        match = _COMMENTS.search(text)
        if match:
            return read_int(match.group(1).replace(",", ""))
        if text.strip().startswith("Comment"):
            return read_int(_text_before(text))
    return None


def _text_element(text) -> HtmlElement:
    """The element whose content holds an lxml text node (a tail belongs to the parent)."""
    parent = text.getparent()
    return parent.getparent() if text.is_tail and parent.getparent() is not None else parent


def _text_before(text) -> str:
    """The last word before an lxml text node: its element's (for a tail) or the sibling's."""
    element = text.getparent()
    previous = element if text.is_tail else element.getprevious()
    words = text_of(previous).split() if previous is not None else []
    return words[-1].replace(",", "") if words else ""


def _forum_name(texts: list) -> str | None:
    """The breadcrumb item after `Forum Index` (`Forum Index > General Games`).

    Climbs from the `Forum Index` text's element until its container also holds the next item.
    """
    text = next((text for text in texts if "Forum Index" in text), None)
    element = _text_element(text) if text is not None else None
    for _ in range(_BREADCRUMB_DEPTH):
        if element is None:
            break
        after = text_of(element).split("Forum Index", 1)[-1].strip(_BREADCRUMB_SEPARATORS)
        if after:
            return after.split(">")[0].strip()
        element = element.getparent()
    return None


# --- posts --------------------------------------------------------------------------------------


def _pair_post_parts(root: HtmlElement, problems: list[str]) -> list[_RawPost]:
    """Walk headers, bodies and signatures in document order, pairing them up."""
    raw: list[_RawPost] = []
    for element in root.iter("header", "article", "div"):
        if element.tag == "header":  # read once: for the test and for the fields
            parts = _header_parts(element)
            if parts.is_post_header:
                raw.append(_RawPost(element, parts))
            continue
        part = _post_part(element)
        if part == "article":
            if raw and raw[-1].article is None:
                raw[-1].article = element
            else:
                problems.append(f"post body without a header (after {len(raw)} headers)")
        elif part == "signature" and raw and _takes_signature(raw[-1]):
            raw[-1].signature = element
    return raw


def _takes_signature(raw: _RawPost) -> bool:
    return raw.article is not None and raw.signature is None


def _post_part(element: HtmlElement) -> str | None:
    """Which part of a post `element` is: a `header` with a username, `article.forumPost`, or
    `div.forumsig` (a signature); None for anything else."""
    if element.tag == "header":
        return "header" if _header_parts(element).is_post_header else None
    kind = classes(element)
    if element.tag == "article":
        return "article" if "forumPost" in kind else None
    return "signature" if "forumsig" in kind else None


def _posts(root: HtmlElement, base: str, problems: list[str]) -> tuple[list[ParsedPost], int]:
    """Every readable post, and how many were skipped (each named in `problems`).

    Two passes: the headers and the stored HTML first, then the bodies' fields, last post
    first. Reading a body consumes its elements, and on a broken page a later post's parts may
    sit inside an earlier post's body.
    """
    found: list[tuple[_RawPost, ParsedPost]] = []
    pairs = _pair_post_parts(root, problems)
    for index, raw in enumerate(pairs, start=1):
        number = _number(raw.header, raw.parts.links)
        raw.label = f"post #{number}" if number is not None else f"post {index} on the page"
        try:
            found.append((raw, _post(raw, number, base, problems)))
        except Exception as error:  # any failure loses this post only
            problems.append(f"{raw.label}: {_reason(error)}")
    posts: list[ParsedPost] = []
    for raw, post in reversed(found):
        try:
            _fill_body(post, raw, base)
        except Exception as error:
            problems.append(f"{raw.label}: unreadable body ({_reason(error)})")
            continue
        posts.append(post)
    for raw in pairs:  # the posts' parts: out of the way of the page-wide text scan
        for part in (raw.header, raw.article, raw.signature):
            if part is not None:
                remove(part)
    return posts[::-1], len(pairs) - len(posts)


def _reason(error: Exception) -> str:
    """A PostError's message; for anything else its type too (an unexpected failure)."""
    message = str(error)[:300]
    return message if isinstance(error, PostError) else f"{type(error).__name__}: {message}"


def _post(raw: _RawPost, number: int | None, base: str, problems: list[str]) -> ParsedPost:
    parts, label = raw.parts, raw.label
    author = _author(parts)
    if number is None:
        raise PostError("missing post number")
    post_id, posted_at = _post_link(parts)
    if raw.article is None:
        raise PostError("missing body")
    header_text = text_of(raw.header)
    country, post_count = _user_info(parts)
    joined = _joined(parts, header_text)
    if post_count is None:
        problems.append(f"{label}: no post count")
    if joined is None:
        problems.append(f"{label}: no join date")
    return ParsedPost(
        post_id=post_id,
        number=number,
        author=author,
        posted_at=posted_at,
        url=urls.post_url(base, post_id),
        profile_url=urls.profile_url(base, author),
        html=_body_html(raw),
        edited_at=_edited_at(header_text),
        country=country,
        post_count=post_count,
        joined=joined,
        tl_plus="plus1" in classes(raw.header),
    )


def _fill_body(post: ParsedPost, raw: _RawPost, base: str) -> None:
    """The body's fields and the signature's text, read off (and consuming) their elements."""
    if raw.signature is not None:
        post.signature = extract_text(raw.signature) or None
        remove(raw.signature)  # a signature inside the body is not body
    fields: Body = extract_body(raw.body, base) if raw.body is not None else EMPTY_BODY
    post.text, post.quotes = fields.text, fields.quotes
    post.links, post.images, post.videos = fields.links, fields.images, fields.videos
    post.content_hash = content_hash(post.text)


# The header classes the fields are read from: one walk of the header finds them all.
_HEADER_CLASSES = frozenset(
    {"fpost-username", "fpost-userinfo", "tooltip", "tt-userinfo", "submessage"}
)


@dataclass
class _HeaderParts:
    """A post header's elements, found in one walk instead of a search per field."""

    by_class: dict[tuple[str, str], list[HtmlElement]]  # (tag, class) -> elements, in order
    links: list[HtmlElement]
    tooltip_spans: list[HtmlElement]  # `aside.tooltip span.tt-userinfo`: `Joined <Month> <YYYY>`

    def get(self, tag: str, class_name: str) -> list[HtmlElement]:
        return self.by_class.get((tag, class_name), [])

    @property
    def is_post_header(self) -> bool:
        """A post's header shows a username; other `header` elements are not posts."""
        return bool(self.get("div", "fpost-username"))


def _header_parts(header: HtmlElement) -> _HeaderParts:
    by_class: dict[tuple[str, str], list[HtmlElement]] = {}
    links = []
    for element in header.iter("div", "span", "a", "aside"):
        if element.tag == "a":
            links.append(element)
        for name in classes(element):
            if name in _HEADER_CLASSES:
                by_class.setdefault((element.tag, name), []).append(element)
    tooltip_spans = [
        span
        for tooltip in by_class.get(("aside", "tooltip"), ())
        for span in find_all(tooltip, "span", "tt-userinfo")
    ]
    return _HeaderParts(by_class, links, tooltip_spans)


def _author(parts: _HeaderParts) -> str:
    username = parts.get("div", "fpost-username")[0]
    spans = [child for child in username if child.tag == "span"] or list(username.iter("span"))
    author = text_of(spans[0]) if spans else ""
    if not author:
        raise PostError("missing author")
    return author


def _number(header: HtmlElement, links: list[HtmlElement]) -> int | None:
    """The `#N` post number: an `a` (name/href) preferred, any element as a fallback."""
    for element in links:
        lead = (element.text or "").lstrip()
        if lead and not lead.startswith("#"):  # the link's text cannot start with '#'
            continue
        number = _read_number(text_of(element))
        if number is not None:
            return number
    for element in _FIND_NUMBER_ANYWHERE(header):
        number = _read_number(text_of(element))
        if number is not None:
            return number
    return None


def _read_number(text: str) -> int | None:
    match = _NUMBER.match(text)
    return read_int(match.group(1)) if match else None


def _post_link(parts: _HeaderParts) -> tuple[int, datetime]:
    """Post id and posted time from `a.submessage` (`viewpost.php?post_id=N`)."""
    for link in parts.get("a", "submessage"):
        try:
            post_id = urls.post_id_from_url(link.get("href") or "")
        except ValueError:  # an id of thousands of digits
            post_id = None
        if post_id is None:
            continue
        try:
            return post_id, times.parse_post_time(text_of(link), link.get("title"))
        except ValueError as error:
            raise PostError(f"unreadable post time ({error})") from None
    raise PostError("missing post link")


def _user_info(parts: _HeaderParts) -> tuple[str | None, int | None]:
    """(country, post count) from the `.fpost-userinfo span.tt-userinfo` spans."""
    tooltip = set(parts.tooltip_spans)  # the same class: leave them out
    spans = [
        span
        for info in parts.get("div", "fpost-userinfo")
        for span in find_all(info, "span", "tt-userinfo")
        if span not in tooltip
    ]
    labels = [text_of(span) for span in spans]
    counts = [_POST_COUNT.match(label) for label in labels]
    post_count = next((read_int(m.group(1).replace(",", "")) for m in counts if m), None)
    country = None
    if labels and not counts[0] and not _JOINED.search(labels[0]):
        country = labels[0] or _flag_name(spans[0])
    return country, post_count


def _flag_name(span: HtmlElement) -> str | None:
    """A country shown only as a flag image: its alt or title."""
    for image in span.iter("img"):
        name = (image.get("alt") or image.get("title") or "").strip()
        if name:
            return name
    return None


def _joined(parts: _HeaderParts, header_text: str) -> str | None:
    """`Joined <Month> <YYYY>` (the tooltip, or anywhere in the header) as `YYYY-MM`."""
    for text in [*map(text_of, parts.tooltip_spans), header_text]:
        match = _JOINED.search(text)
        if match and match.group(1) in _MONTHS:
            return f"{match.group(2)}-{_MONTHS.index(match.group(1)) + 1:02d}"
    return None


def _edited_at(header_text: str) -> datetime | None:
    match = _EDITED.search(header_text)
    if not match:
        return None
    try:
        return times.parse_edit_time(match.group(1))
    except ValueError as error:  # `2023-12-06 04:01:99`
        raise PostError(f"unreadable edit time ({error})") from None


def _body(article: HtmlElement) -> HtmlElement | None:
    """`article.forumPost > section`, the body (any section inside the article as a fallback)."""
    sections = [child for child in article if child.tag == "section"]
    sections = sections or list(article.iter("section"))
    return sections[0] if sections else None


def _body_html(raw: _RawPost) -> str:
    """Inner HTML of the body, any signature inside it removed."""
    body = raw.body = _body(raw.article)
    if body is None:
        raise PostError("missing body")
    if find_all(body, "div", "forumsig"):
        body = copy.deepcopy(body)
        for signature in find_all(body, "div", "forumsig"):
            remove(signature)
    return unmark(inner_html(body))
