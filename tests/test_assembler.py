from datetime import UTC, datetime

from tlcrawl.items import PostItem
from tlcrawl.spiders.assembler import ThreadAssembler


def _posts(page: int, count: int = 2) -> list[PostItem]:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    first = (page - 1) * count + 1
    return [
        PostItem(
            _id=n, thread_id=7, forum="f", page=page, number=n, url="u", author="a", posted_at=at
        )
        for n in range(first, first + count)
    ]


def _numbers(posts) -> list[int]:
    return [post.number for post in posts]


def test_pages_in_order_are_released_at_once():
    assembler = ThreadAssembler(thread_id=7, pages=2)
    assert _numbers(assembler.add_page(1, _posts(1))) == [1, 2]
    assert not assembler.complete
    assert _numbers(assembler.add_page(2, _posts(2))) == [3, 4]
    assert assembler.complete


def test_later_pages_wait_for_earlier_ones():
    assembler = ThreadAssembler(thread_id=7, pages=3)
    assert _numbers(assembler.add_page(3, _posts(3))) == []
    assert _numbers(assembler.add_page(2, _posts(2))) == []
    assert _numbers(assembler.add_page(1, _posts(1))) == [1, 2, 3, 4, 5, 6]
    assert assembler.complete


def test_a_failed_page_does_not_hold_back_the_rest():
    assembler = ThreadAssembler(thread_id=7, pages=3)
    assert _numbers(assembler.add_page(1, _posts(1))) == [1, 2]
    assert _numbers(assembler.add_page(3, _posts(3))) == []
    assert _numbers(assembler.fail_page(2)) == [5, 6]
    assert assembler.complete
    assert assembler.failed_pages == [2]


def test_a_page_answered_twice_counts_once():
    assembler = ThreadAssembler(thread_id=7, pages=2)
    assert _numbers(assembler.add_page(2, _posts(2))) == []
    assert _numbers(assembler.add_page(2, _posts(2))) == []
    assert _numbers(assembler.add_page(1, _posts(1))) == [1, 2, 3, 4]
