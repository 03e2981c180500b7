from datetime import UTC, datetime

import pytest

from tlcrawl.parsing.times import (
    parse_edit_time,
    parse_index_time,
    parse_post_time,
    parse_quote_time,
)


def test_post_time_is_gmt():
    assert parse_post_time("December 06 2023 02:50 GMT") == datetime(2023, 12, 6, 2, 50, tzinfo=UTC)


def test_relative_post_time_uses_title():
    got = parse_post_time("5 minutes ago", title="December 06 2023 02:50 GMT")
    assert got == datetime(2023, 12, 6, 2, 50, tzinfo=UTC)


def test_relative_post_time_without_title_is_an_error():
    with pytest.raises(ValueError):
        parse_post_time("3 hours ago")


def test_quote_time_is_kst_nine_hours_ahead():
    # Seed thread: post #2 at 03:01 GMT is quoted as "On December 06 2023 12:01 ... wrote:".
    assert parse_quote_time("December 06 2023 12:01") == datetime(2023, 12, 6, 3, 1, tzinfo=UTC)


def test_quote_time_crosses_year_boundary_backwards():
    assert parse_quote_time("January 01 2024 08:30") == datetime(2023, 12, 31, 23, 30, tzinfo=UTC)


def test_edit_time():
    got = parse_edit_time("Last Edited: 2023-12-06 04:01:08")
    assert got == datetime(2023, 12, 6, 4, 1, 8, tzinfo=UTC)


def test_index_time():
    assert parse_index_time("10:56 Apr 21 2012") == datetime(2012, 4, 21, 10, 56, tzinfo=UTC)
