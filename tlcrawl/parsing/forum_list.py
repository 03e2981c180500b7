"""The forum list (`/forum/`) → one link per subforum, with its `data-fid` when the page has one."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tlcrawl.parsing import urls
from tlcrawl.parsing.dom import HtmlElement, forum_ref, load_html, read_int, text_of


@dataclass
class ForumLink:
    slug: str
    name: str
    forum_id: int | None
    url: str  # {base}/forum/<slug>/


def parse_forum_list(html: str | bytes, url: str) -> list[ForumLink]:
    """Subforum links (href exactly `/forum/<slug>/`) in document order, one per slug.

    Scoped to `div#main-content` when present, so sidebar and menu links are not counted.
    A slug linked first without text (an icon) takes its name from a later link. Never raises:
    a link that cannot be read is left out.
    """
    root = load_html(html)
    scope = root.xpath("//div[@id='main-content']") or [root]
    found: dict[str, ForumLink] = {}
    for link in scope[0].xpath(".//a[@href]"):
        try:
            slug = _forum_slug(link.get("href"), url)
            name = text_of(link)
            if slug is None or slug in found or not name:
                continue
            found[slug] = ForumLink(slug, name, _forum_id(link), urls.forum_url(url, slug))
        except ValueError:  # an unreadable href (`http://[::1`): not a subforum link
            continue
    return list(found.values())


def _forum_slug(href: str, page_url: str) -> str | None:
    """The slug of a bare subforum link; None for index pages (`?currentpage=`) or anything else."""
    if urlsplit(href).query:
        return None
    parsed = forum_ref(href, page_url)
    return parsed[0] if parsed else None


def _forum_id(link: HtmlElement) -> int | None:
    """`data-fid` of the nearest ancestor-or-self that carries one."""
    holders = link.xpath("ancestor-or-self::*[@data-fid][1]")
    return read_int(holders[0].get("data-fid")) if holders else None
