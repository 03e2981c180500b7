"""Quote-parent resolution: header match, text tie-break, and refusing to guess."""

from __future__ import annotations

from datetime import UTC, datetime

from tlcrawl.parsing.post_body import parse_body
from tlcrawl.quotes.index import QuoteCounts, ThreadIndex
from tlcrawl.quotes.resolve import make_candidate, resolve, similarity


def at(day: int, hour: int, minute: int, month: int = 12, year: int = 2023) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


WAX_THEN = (
    "I don't think that's really how the regulations work AFAIK? The consequence is that ISP's "
    "seem to incentivized to place huge fees on content providers + their normal business motive."
)
WAX_NOW = (
    "I don't think that's really how the regulations work AFAIK? The consequence is that ISP's "
    "seem to be incentivized to place huge fees on content providers to recoup costs + their "
    "normal business motive."
)
BLUE = "Wow, very little notice. Streamers will need to switch over to YouTube asap."
DANTE = "It's still a business though, even mega corps like Amazon wouldn't want to stomach costs."


def thread() -> list:
    return [
        make_candidate(102, "{CC}StealthBlue", at(6, 3, 1), 2, BLUE),
        make_candidate(103, "Waxangel", at(6, 3, 9), 3, WAX_NOW, edited=True),
        make_candidate(104, "Dante08", at(6, 3, 59), 4, DANTE),
    ]


def test_unique_header_match_is_certain():
    result = resolve("{CC}StealthBlue", at(6, 3, 1), BLUE, thread())
    assert (result.parent_id, result.confidence, result.ambiguous) == (102, 1.0, False)


def test_header_seconds_do_not_matter():
    posted = datetime(2023, 12, 6, 3, 1, 42, tzinfo=UTC)
    candidates = [make_candidate(7, "bob", posted, 1, "hello there")]
    assert resolve("bob", at(6, 3, 1), "hello there", candidates).parent_id == 7


def test_author_compared_with_whitespace_squashed():
    candidates = [make_candidate(7, "Mr.  T (x)", at(6, 3, 1), 1, "pity the fool")]
    assert resolve("Mr. T (x)", at(6, 3, 1), "pity the fool", candidates).parent_id == 7


def test_quoted_post_edited_since_still_certain():
    result = resolve("Waxangel", at(6, 3, 9), WAX_THEN, thread())
    assert (result.parent_id, result.confidence) == (103, 1.0)


def test_excerpt_of_the_post_is_certain():
    result = resolve("Dante08", at(6, 3, 59), "even mega corps like Amazon", thread())
    assert (result.parent_id, result.confidence) == (104, 1.0)


def test_rewritten_post_kept_when_it_was_edited():
    candidates = [make_candidate(9, "al", at(6, 1, 0), 1, "[removed by author]", edited=True)]
    result = resolve(
        "al", at(6, 1, 0), "A long opinion about ISP fees in Korea and elsewhere.", candidates
    )
    assert (result.parent_id, result.confidence) == (9, 0.75)


def test_unrelated_text_of_an_unedited_post_is_refused():
    # Same author, same minute, but a different post: the quoted one vanished.
    candidates = [make_candidate(9, "al", at(6, 1, 0), 1, "Anyone up for a game tonight on EU?")]
    quoted = "The regulation has extra teeth when it comes to tax and content control."
    assert resolve("al", at(6, 1, 0), quoted, candidates).parent_id is None


def test_same_author_twice_in_a_minute_tie_break_by_text():
    candidates = [
        make_candidate(21, "ejozl", at(6, 10, 25), 8, "Starcraft on Twitch was an awesome time."),
        make_candidate(22, "ejozl", at(6, 10, 25), 9, "Also Rumble allows multiple platforms."),
        make_candidate(23, "ejozl", at(6, 10, 26), 10, "Rumble allows multiple platforms, yes."),
    ]
    result = resolve("ejozl", at(6, 10, 25), "Rumble allows multiple platforms.", candidates)
    assert result.parent_id == 22
    assert result.ambiguous
    assert 0 < result.confidence < 1.0


def test_same_author_same_minute_identical_texts_refused():
    candidates = [
        make_candidate(21, "ejozl", at(6, 10, 25), 8, "double post, sorry"),
        make_candidate(22, "ejozl", at(6, 10, 25), 9, "double post, sorry"),
    ]
    result = resolve("ejozl", at(6, 10, 25), "double post, sorry", candidates)
    assert (result.parent_id, result.confidence, result.ambiguous) == (None, None, True)


def test_vanished_post_gets_no_parent_even_if_text_matches_elsewhere():
    # The quoted post (Waxangel, 03:10) is gone; a copy of its words by someone else is no parent,
    # and neither is the same author's post a minute earlier.
    candidates = [
        *thread(),
        make_candidate(105, "copycat", at(6, 4, 0), 5, "Gone but not forgotten words here."),
    ]
    result = resolve("Waxangel", at(6, 3, 10), "Gone but not forgotten words here.", candidates)
    assert (result.parent_id, result.confidence) == (None, None)


def test_later_posts_are_not_candidates():
    result = resolve("Dante08", at(6, 3, 59), DANTE, thread(), before_number=4)
    assert result.parent_id is None


def test_year_boundary_kst_to_utc():
    html = (
        '<div class="quote"><hr><b>On January 01 2024 08:30 nye wrote:</b><br>'
        "Happy new year everyone!<hr></div>thanks"
    )
    [quote] = parse_body(html, "https://tl.net").quotes
    candidates = [
        make_candidate(1, "nye", at(1, 8, 30, month=1, year=2024), 1, "wrong year's minute"),
        make_candidate(2, "nye", at(31, 23, 30), 2, "Happy new year everyone!"),
    ]
    result = resolve(quote.author, quote.quoted_at, quote.text, candidates)
    assert (result.parent_id, result.confidence) == (2, 1.0)


def test_headerless_verbatim_excerpt_of_one_post():
    result = resolve(None, None, "streamers will need to switch over to YouTube", thread())
    assert result.parent_id == 102
    assert 0 < result.confidence < 1.0


def test_headerless_near_verbatim_with_typo():
    quoted = "Its still a business though, even mega corps like Amazon wouldnt want to stomach"
    assert resolve(None, None, quoted, thread()).parent_id == 104


def test_headerless_too_short_or_external_or_in_two_posts_refused():
    assert resolve(None, None, "Amazon", thread()).parent_id is None
    external = "Ultimately, the cost to operate Twitch in Korea is prohibitively expensive."
    assert resolve(None, None, external, thread()).parent_id is None
    twice = [*thread(), make_candidate(106, "echo", at(6, 5, 0), 6, f"as he said: {BLUE}")]
    assert resolve(None, None, BLUE, twice).parent_id is None


def test_similarity_penalizes_short_posts_inside_long_quotes():
    assert similarity("based take my dude", "lol based take my dude lol") == 100
    assert similarity("lol that is a long quote about many things", "lol") < 10
    assert similarity("", "x") == 0


def test_thread_index_nested_quotes_predate_their_enclosing_parent():
    index = ThreadIndex()
    index.add(1, "al", at(6, 1, 0), 1, "my first take on the news", edited=False)
    index.add(2, "bo", at(6, 1, 0), 2, "I disagree", edited=False)
    index.add(3, "al", at(6, 1, 0), 3, "my first take on the news, updated", edited=False)
    nested = {"author": "al", "quoted_at": at(6, 1, 0), "text": "my first take on the news"}
    quotes = [
        {"author": "bo", "quoted_at": at(6, 1, 0), "text": "I disagree", "quotes": [nested]},
        {"author": "bo", "quoted_at": at(6, 1, 0), "text": "I disagree", "quotes": []},
        {"author": "al", "quoted_at": at(6, 1, 0), "text": "my first take on the news"},
    ]
    counts = QuoteCounts()
    assert index.resolve_tree(quotes, before_number=4, counts=counts) == [2]
    assert (quotes[0]["parent_id"], quotes[0]["confidence"]) == (2, 1.0)
    # Only #1 predates #2, which quoted it; at top level #1 and #3 tie on text: no parent.
    assert (nested["parent_id"], nested["confidence"]) == (1, 1.0)
    assert (quotes[2]["parent_id"], quotes[2]["confidence"]) == (None, None)
    assert counts == QuoteCounts(seen=4, resolved=3, unresolved=1, ambiguous=1)


def test_thread_index_ignores_a_post_delivered_twice():
    index = ThreadIndex()
    index.add(1, "al", at(6, 1, 0), 1, "hi", edited=False)
    index.add(1, "al", at(6, 1, 0), 1, "hi", edited=False)
    assert len(index) == 1
