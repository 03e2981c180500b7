"""Post body parsing on snippets in the markup of ../shared/reference/tlnet-markup.md."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tlcrawl.parsing.post_body import _BLOCK_TAGS, BREAK, fragment_text, mark_blocks, parse_body
from tlcrawl.parsing.thread_page import parse_thread_page

BASE = "https://tl.net"
FILES = Path(__file__).parent / "files"
SEED_URL = "https://tl.net/forum/games/619800-twitch-to-cease-business-operations-in-korea"


def toggle(n: int) -> str:
    return (
        f'<a href="#" id="showQuoteLink_{n}" onclick="javascript:toggleShowQuote({n}); '
        f'return false" style="font-size:8pt">Show nested quote +</a><br>'
    )


def test_post_text_excludes_quote_and_keeps_own_lines():
    html = (
        '<div class="quote"><hr><b>On December 06 2023 12:01 {CC}StealthBlue wrote:</b><br>'
        "Wow, very little notice.<br><br>Also isn't Twitch owned by Amazon...<hr></div><br>"
        "I don't think that's really how the regulations work AFAIK?<br><br>"
        "I'm sure there's a lot more nuance to this."
    )
    body = parse_body(html, BASE)
    assert body.text == (
        "I don't think that's really how the regulations work AFAIK?\n"
        "I'm sure there's a lot more nuance to this."
    )
    [quote] = body.quotes
    assert quote.author == "{CC}StealthBlue"
    assert quote.quoted_at == datetime(2023, 12, 6, 3, 1, tzinfo=UTC)  # 12:01 KST
    assert quote.text == "Wow, very little notice.\nAlso isn't Twitch owned by Amazon..."
    assert quote.quotes == []


def nested_quote(n: int, header: str, inner_html: str) -> str:
    """A depth-2 quote as tl.net serves it: toggle, then header and content in a hidden div."""
    return (
        f'<div class="quote"><hr>{toggle(n)}<div id="showQuoteRest_{n}" style="display: none;">'
        f"<b>On {header} wrote:</b><br>{inner_html}</div><hr></div>"
    )


def test_nested_quotes_three_deep_with_toggle():
    innermost = (  # deeper quotes sit in the hidden div without a toggle of their own
        '<div class="quote"><hr><b>On December 06 2023 12:01 {CC}StealthBlue wrote:</b><br>'
        "Wow, very little notice.<hr></div>"
    )
    middle = nested_quote(7, "December 06 2023 12:09 Waxangel", f"{innermost}I don't think so.<br>")
    html = (
        '<div class="quote"><hr><b>On December 06 2023 22:58 WGT-Baal wrote:</b><br>'
        f"{middle}You are correct.<br><hr></div><br>The ISPs are double dipping."
    )
    body = parse_body(html, BASE)
    assert body.text == "The ISPs are double dipping."
    [outer] = body.quotes
    assert (outer.author, outer.text) == ("WGT-Baal", "You are correct.")
    assert outer.quoted_at == datetime(2023, 12, 6, 13, 58, tzinfo=UTC)
    [mid] = outer.quotes
    assert (mid.author, mid.text) == ("Waxangel", "I don't think so.")
    assert mid.quoted_at == datetime(2023, 12, 6, 3, 9, tzinfo=UTC)
    [inner] = mid.quotes
    assert (inner.author, inner.text) == ("{CC}StealthBlue", "Wow, very little notice.")
    assert inner.quotes == []


def test_nested_quote_without_header_behind_toggle():
    html = (
        '<div class="quote"><hr><b>On March 02 2015 10:00 outer wrote:</b><br>'
        f'<div class="quote"><hr>{toggle(2)}<div id="showQuoteRest_2" style="display: none;">'
        "<b>just bold</b> inner words</div><hr></div>outer words<hr></div>"
    )
    [outer] = parse_body(html, BASE).quotes
    assert (outer.author, outer.text) == ("outer", "outer words")
    [inner] = outer.quotes
    assert (inner.author, inner.quoted_at, inner.text) == (None, None, "just bold inner words")


def test_toggle_and_hidden_div_around_the_nested_quote():
    # A variant: the toggle and hidden div belong to the outer quote and wrap the nested div.quote.
    html = (
        '<div class="quote"><hr><b>On March 02 2015 10:00 outer wrote:</b><br>'
        f'{toggle(2)}<div id="showQuoteRest_2" style="display: none;"><div class="quote"><hr>'
        "<b>On March 02 2015 09:00 inner wrote:</b><br>inner words<hr></div></div>"
        "outer words<hr></div>"
    )
    [outer] = parse_body(html, BASE).quotes
    assert (outer.author, outer.text) == ("outer", "outer words")
    [inner] = outer.quotes
    assert (inner.author, inner.text) == ("inner", "inner words")
    assert inner.quoted_at == datetime(2015, 3, 2, 0, 0, tzinfo=UTC)


def test_two_direct_quotes_in_document_order():
    html = (
        '<div class="quote"><hr><b>On May 01 2020 10:00 first wrote:</b><br>a<hr></div>reply one'
        '<div class="quote"><hr><b>On May 01 2020 11:00 second wrote:</b><br>b<hr></div>reply two'
    )
    body = parse_body(html, BASE)
    assert [q.author for q in body.quotes] == ["first", "second"]
    assert body.text == "reply one\nreply two"


def test_headerless_quote_has_no_author_or_time():
    html = '<div class="quote"><hr><b>Breaking:</b> Twitch leaves Korea.<hr></div>Official Post.'
    [quote] = parse_body(html, BASE).quotes
    assert (quote.author, quote.quoted_at) == (None, None)
    assert quote.text == "Breaking: Twitch leaves Korea."


def test_header_with_impossible_date_is_not_a_header():
    html = '<div class="quote"><hr><b>On Smarch 45 2020 10:00 bob wrote:</b><br>hi<hr></div>'
    [quote] = parse_body(html, BASE).quotes
    assert (quote.author, quote.quoted_at) == (None, None)
    assert quote.text == "On Smarch 45 2020 10:00 bob wrote:\nhi"


def test_user_names_with_spaces_brackets_dots_braces_parentheses():
    for name in ["[Phantom]", "PurE)Rabbit-SF", "{CC}StealthBlue", "Mr. T (the) [real] one"]:
        html = f'<div class="quote"><hr><b>On June 9 2019 8:05 {name} wrote:</b><br>x<hr></div>'
        [quote] = parse_body(html, BASE).quotes
        assert quote.author == name
        assert quote.quoted_at == datetime(2019, 6, 8, 23, 5, tzinfo=UTC)


def test_quote_time_crosses_year_boundary_kst_to_utc():
    html = '<div class="quote"><hr><b>On January 01 2024 08:30 nye wrote:</b><br>hny<hr></div>'
    [quote] = parse_body(html, BASE).quotes
    assert quote.quoted_at == datetime(2023, 12, 31, 23, 30, tzinfo=UTC)


def test_name_with_entity_is_decoded():
    html = '<div class="quote"><hr><b>On May 01 2020 10:00 Tom&amp;Jerry wrote:</b><br>x<hr></div>'
    assert parse_body(html, BASE).quotes[0].author == "Tom&Jerry"


def test_spoiler_toggle_dropped_hidden_text_kept():
    html = (
        "Before<br>"
        '<a href="#" onclick="return toggleShowSpoiler2(this, 1)" title="Ending">'
        "<span>+ Show</span> Spoiler [Ending]<span> +</span></a>"
        '<div id="spoiler_1" style="display:none"><div class="forummsg">He was dead all along'
        "</div></div>After"
    )
    body = parse_body(html, BASE)
    assert body.text == "Before\nHe was dead all along\nAfter"
    assert body.links == []


def test_images_smileys_and_videos():
    html = (
        'Look <img alt="" border="0" src="/mirror/smilies/smile.gif"> here:<br>'
        '<img title="" alt="[image loading]" src="/staff/pic.png">'
        '<img src="http://i.imgur.com/x.jpg"><img src="/staff/pic.png">'
        '<iframe class="youtube-player" type="text/html" src="https://www.youtube.com/embed/ID1"'
        ' frameborder="0" allowfullscreen="1"></iframe>'
        '<div class="quote"><hr><img src="/quoted.png"><iframe src="https://www.youtube.com/embed/Q">'
        "</iframe><hr></div>"
    )
    body = parse_body(html, BASE)
    assert body.text == "Look here:"
    assert body.images == ["https://tl.net/staff/pic.png", "http://i.imgur.com/x.jpg"]
    assert body.videos == ["https://www.youtube.com/embed/ID1"]


def test_links_absolute_deduplicated_quotes_and_toggles_excluded():
    html = (
        '<a href="/forum/viewpost.php?post_id=5" target="_blank">post</a> '
        '<a href="https://www.opennetkorea.org/" rel="nofollow">site</a> '
        '<a href="/forum/games/1-x?page=66#1308">page</a> '
        '<a href="/forum/viewpost.php?post_id=5">again</a> <a href="#">toggle</a>'
        '<div class="quote"><hr><a href="/quoted-link">q</a><hr></div>'
    )
    body = parse_body(html, "http://127.0.0.1:8123")
    assert body.links == [
        "http://127.0.0.1:8123/forum/viewpost.php?post_id=5",
        "https://www.opennetkorea.org/",
        "http://127.0.0.1:8123/forum/games/1-x?page=66#1308",
    ]
    assert body.text == "post site page again toggle"


def test_entities_and_whitespace_rules():
    html = (
        "\n  Tom &amp; Jerry&nbsp;&nbsp;&lt;3 it&#8217;s\n fine  <br>"
        "<p>   </p><b>bold</b><i>italic</i> <u>u</u>"
        "<ul><li>one</li><li>two</li></ul><font style='color: red'>red</font>"
        "<script>var x = 1;</script><style>p{}</style>"
    )
    assert parse_body(html, BASE).text == "Tom & Jerry <3 it’s fine\nbolditalic u\none\ntwo\nred"


def test_korean_text_kept():
    html = "트위치가 한국에서 철수합니다.<br>아프리카TV로 갑시다 ㅋㅋ"
    assert parse_body(html, BASE).text == "트위치가 한국에서 철수합니다.\n아프리카TV로 갑시다 ㅋㅋ"


def test_edit_notes_removed():
    html = (
        "Fixed it.<div style='float:right; font-size:8pt'>Last edit: 2015-01-20 16:02:25</div>"
        "<span>Last Edited: 2023-12-06 04:01:08</span><br>Last edited by me: see above"
    )
    assert parse_body(html, BASE).text == "Fixed it.\nLast edited by me: see above"


def test_empty_and_whitespace_bodies():
    for html in ["", "   \n "]:
        body = parse_body(html, BASE)
        assert (body.text, body.quotes, body.links, body.images, body.videos) == (
            "",
            [],
            [],
            [],
            [],
        )


def test_fragment_text_of_a_signature():
    sig = 'Horang2 fan<br><img src="/sig.png"> <a href="/x">Liquid`</a>'
    assert fragment_text(sig) == "Horang2 fan\nLiquid`"
    assert fragment_text("") == ""
    assert fragment_text(None) == ""
    assert fragment_text("<br> &nbsp; <img src='/a.png'>") == ""


def test_quote_to_dict_shape():
    html = (
        '<div class="quote"><hr><b>On May 01 2020 10:00 a wrote:</b><br>'
        '<div class="quote"><hr>inner<hr></div>outer<hr></div>'
    )
    [quote] = parse_body(html, BASE).quotes
    assert quote.to_dict() == {
        "author": "a",
        "quoted_at": datetime(2020, 5, 1, 1, 0, tzinfo=UTC),
        "text": "outer",
        "parent_id": None,
        "confidence": None,
        "quotes": [
            {
                "author": None,
                "quoted_at": None,
                "text": "inner",
                "parent_id": None,
                "confidence": None,
                "quotes": [],
            }
        ],
    }


# --- line breaks marked in the source (post_body.mark_blocks) -------------------------------------


def test_every_block_tag_is_marked_and_no_other():
    for tag in _BLOCK_TAGS:
        for form in (f"<{tag}>", f"</{tag}>", f"<{tag} class=x>", f"<{tag}/>", f"<{tag.upper()}>"):
            assert mark_blocks(f"a{form}b") == f"a{BREAK}{form}b", form
    for tag in ("b", "param", "span", "a", "header", "tbody", "td", "pre2", "br:x", "h7", "hr1"):
        assert mark_blocks(f"a<{tag}>b") == f"a<{tag}>b", tag


def test_upper_case_block_tags_break_lines():
    assert parse_body("one<BR>two<P>three</P>four<Div>five</DIV>", BASE).text == (
        "one\ntwo\nthree\nfour\nfive"
    )


def test_the_break_mark_written_in_a_page_is_a_space_not_a_line_break():
    for written in ("\u2029", "&#8233;", "&#x2029;", "&#X02029"):
        assert parse_body(f"one{written}two<br>three", BASE).text == "one two\nthree", written


def test_stored_html_never_holds_the_break_mark():
    page = (FILES / "thread_seed_p1.html").read_text()
    posts = parse_thread_page(page, SEED_URL).posts
    assert posts and all(BREAK not in post.html for post in posts)
    assert posts[0].html.startswith("Twitch has announced") and "<br><br>" in posts[0].html
