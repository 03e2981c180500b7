"""ThreadState on its own: page order, failures, checkpoints, refresh plans, release stamps."""

from __future__ import annotations

from datetime import UTC, datetime

from tlcrawl.items import PostItem, stamp_of
from tlcrawl.spiders.thread_state import PageItems, RefreshPlan, ThreadState

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def page(number: int, per_page: int = 2) -> PageItems:
    first = (number - 1) * per_page + 1
    posts = [
        PostItem(
            _id=100 + n,
            thread_id=7,
            forum="f",
            page=number,
            number=n,
            url="u",
            author="a",
            posted_at=T0,
        )
        for n in range(first, first + per_page)
    ]
    return PageItems(posts)


def numbers(pages: list[PageItems]) -> list[int]:
    return [post.number for items in pages for post in items.posts]


def test_pages_are_released_in_order_whatever_order_they_arrive_in():
    state = ThreadState(7, "u")
    assert state.start(3) == [1, 2, 3]
    assert numbers(state.add_page(3, page(3))) == []
    assert numbers(state.add_page(2, page(2))) == []
    assert not state.complete
    assert numbers(state.add_page(1, page(1))) == [1, 2, 3, 4, 5, 6]
    assert state.complete and state.stored_through == 3
    assert state.seen == {101, 102, 103, 104, 105, 106}
    assert state.first_post.number == 1 and state.last_post.number == 6


def test_a_failed_page_is_skipped_and_caps_the_checkpoint():
    state = ThreadState(7, "u")
    state.start(3)
    assert numbers(state.add_page(1, page(1))) == [1, 2]
    assert state.stored_through == 1
    assert numbers(state.add_page(3, page(3))) == []
    assert numbers(state.fail_page(2)) == [5, 6]
    assert state.complete and state.incomplete
    assert state.stored_through == 1, "pages after a failed page are not a safe resume point"


def test_a_page_answered_twice_counts_once():
    state = ThreadState(7, "u")
    state.start(2)
    assert numbers(state.add_page(2, page(2))) == []
    assert numbers(state.add_page(2, page(2))) == []
    assert numbers(state.add_page(1, page(1))) == [1, 2, 3, 4]


def test_a_refresh_starts_at_its_plan_page_and_checks_the_first_post_there():
    plan = RefreshPlan(start_page=3, expected=(105, 106), start_number=5)
    state = ThreadState(7, "u", plan=plan)
    assert state.start(4) == [3, 4]
    assert state.matches_archive(3, [105, 106])
    assert not state.matches_archive(3, [106, 107]), "a post before page 3 was deleted"
    assert not state.matches_archive(3, [])
    assert numbers(state.add_page(3, page(3))) == [5, 6]
    assert state.stored_through == 3  # pages 1-2 were stored by an earlier crawl
    assert numbers(state.add_page(4, page(4))) == [7, 8]
    assert state.complete


def test_pages_moved_under_the_archive_switch_to_the_whole_thread():
    state = ThreadState(7, "u", plan=RefreshPlan(3, (105, 106), 5))
    state.start(4)
    assert state.fetch_whole() == [1, 2]
    assert state.plan.whole
    assert numbers(state.add_page(3, page(3))) == []
    assert numbers(state.add_page(1, page(1))) == [1, 2]
    assert numbers(state.add_page(2, page(2))) == [3, 4, 5, 6]


def test_expected_posts_follow_the_reply_count():
    state = ThreadState(7, "u")
    state.replies = 44  # 45 posts: 20 + 20 + 5
    state.start(3)
    assert [state.expected_posts(p) for p in (1, 2, 3)] == [20, 20, 5]


def test_items_are_stamped_in_release_order_and_the_last_is_marked():
    state = ThreadState(7, "u")
    first, second, third = (
        object.__new__(PostItem),
        object.__new__(PostItem),
        object.__new__(PostItem),
    )
    state.stamp_items([first, second])
    state.stamp_items([third], last=True)
    stamps = [stamp_of(item) for item in (first, second, third)]
    assert [(s.thread_id, s.position, s.last) for s in stamps] == [
        (7, 0, False),
        (7, 1, False),
        (7, 2, True),
    ]


def test_a_binary_search_finds_the_page_where_a_deletion_moved_the_pages():
    # 100 pages stored; a post of page 37 (not its first) was deleted: pages 38.. start one
    # post later than stored. The refresh starts at page 100, which no longer starts as stored.
    state = ThreadState(7, "u", plan=RefreshPlan(100, (9_999,), 1981))
    state.start(100)
    state.begin_search(100)
    probes = []
    while (probe := state.next_probe()) is not None:
        probes.append(probe)
        starts_as_stored = probe <= 37
        state.probed(probe, (probe * 1000, probe * 20 - 19) if starts_as_stored else None, None)
    assert len(probes) <= 7, "log2(100) pages, not 99"
    assert state.search == (37, 38)
    assert state.end_search() == list(range(37, 100))
    assert state.plan.start_page == 37 and state.plan.start_number == 37 * 20 - 19
    assert not state.plan.whole


def test_a_search_that_reaches_page_1_fetches_the_whole_thread():
    state = ThreadState(7, "u", plan=RefreshPlan(4, (1,), 61))
    state.start(4)
    state.begin_search(4)
    assert state.next_probe() == 2
    state.probed(2, None, page(2))  # page 2 moved too
    assert state.next_probe() is None
    assert state.end_search() == [1, 3], "page 2 was kept from its probe"
    assert state.plan.whole
    assert numbers(state.add_page(1, page(1))) == [1, 2, 3, 4]
