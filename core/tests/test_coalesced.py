"""core.coalesced on a real Redis: a flood of items asks for one drain, drains take bounded
batches, a drain that died leaves its batch for the next, no item is ever stranded."""

from __future__ import annotations

import threading

import pytest
import redis

from core.coalesced import Coalesced, Pushed


@pytest.fixture
def client(redis_server):
    connection = redis.Redis.from_url(redis_server.url)
    yield connection
    connection.close()


@pytest.fixture
def work(client) -> Coalesced:
    return Coalesced(client=client, name="test-work", capacity=1000)


def drain_all(work: Coalesced, count: int) -> list[list[str]]:
    """What a chain of drains does: a batch, done, and again while finish says so."""
    batches = []
    while True:
        batches.append(work.take(count))
        work.done()
        if not work.finish():
            return batches


def test_a_flood_of_pushes_asks_for_exactly_one_drain(work):
    pushed = [work.push(f"item-{n}") for n in range(500)]

    assert pushed[0] is Pushed.SCHEDULE
    assert set(pushed[1:]) == {Pushed.QUEUED}
    assert work.waiting() == 500


def test_drains_take_bounded_batches_oldest_first_until_none_wait(work):
    for n in range(120):
        work.push(f"item-{n}")

    batches = drain_all(work, 50)

    assert [len(b) for b in batches] == [50, 50, 20]
    assert [item for batch in batches for item in batch] == [f"item-{n}" for n in range(120)]
    assert work.waiting() == 0
    assert work.push("later") is Pushed.SCHEDULE  # nothing scheduled any more: a new drain


def test_a_batch_left_by_a_drain_that_died_is_taken_again_before_new_items(work):
    for n in range(5):
        work.push(f"item-{n}")
    first = work.take(3)  # ... and the drain dies: no done(), no finish()

    again = work.take(3)
    work.done()

    assert again == first == ["item-0", "item-1", "item-2"]
    assert work.take(3) == ["item-3", "item-4"]


def test_an_item_pushed_while_a_drain_runs_is_never_stranded(work):
    """Whatever the order of a push and the end of a drain, either the push is told to
    schedule a drain or the ending drain is told to schedule the next one."""
    work.push("first")
    work.take(10)
    work.done()

    during = work.push("during")  # the flag is the running drain's: queued behind it
    more = work.finish()

    assert (during, more) == (Pushed.QUEUED, True)
    assert drain_all(work, 10) == [["during"]]
    after = work.push("after")
    assert after is Pushed.SCHEDULE


def test_past_capacity_a_push_is_refused_and_stores_nothing(client):
    work = Coalesced(client=client, name="small", capacity=3)

    pushed = [work.push(f"item-{n}") for n in range(5)]

    assert pushed[3:] == [Pushed.FULL, Pushed.FULL]
    assert work.waiting() == 3


def test_release_lets_the_next_push_schedule_the_drain_the_first_could_not(work):
    assert work.push("a") is Pushed.SCHEDULE
    work.release()  # the broker refused the drain's message

    assert work.push("b") is Pushed.SCHEDULE


def test_claim_schedules_a_drain_only_for_items_left_without_one(work, client):
    assert work.claim() is False  # nothing waits
    work.push("a")
    assert work.claim() is False  # a drain is scheduled
    client.delete("test-work:scheduled")  # its message was lost, the flag expired

    assert work.claim() is True
    assert work.claim() is False  # claimed once
    assert drain_all(work, 10) == [["a"]]


def test_concurrent_producers_and_a_drainer_handle_every_item_and_schedule_few_drains(work):
    """4 producers push 2 000 items while a drainer runs a drain chain whenever one is asked
    for: every item is handled exactly once (no drain died), and only the pushes that found no
    drain scheduled were asked to schedule one."""
    scheduled = threading.Semaphore(0)  # the drain messages "queued"
    outcomes: list[Pushed] = []
    handled: list[str] = []
    producing = threading.Event()
    producing.set()

    def produce(offset: int) -> None:
        for n in range(500):
            outcome = work.push(f"item-{offset + n}")
            outcomes.append(outcome)  # list.append is atomic
            if outcome is Pushed.SCHEDULE:
                scheduled.release()

    def drainer() -> None:
        while True:
            if scheduled.acquire(timeout=0.2):
                for batch in drain_all(work, 25):
                    handled.extend(batch)
            elif not producing.is_set():
                return

    producers = [threading.Thread(target=produce, args=(k * 500,)) for k in range(4)]
    draining = threading.Thread(target=drainer)
    draining.start()
    for thread in producers:
        thread.start()
    for thread in producers:
        thread.join()
    producing.clear()
    draining.join(timeout=60)

    assert sorted(handled) == sorted(f"item-{n}" for n in range(2000))
    assert work.waiting() == 0
    assert outcomes.count(Pushed.SCHEDULE) < 200  # of 2 000 pushes
