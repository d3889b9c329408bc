"""A writer waiting for the lease holders polls closely while they answer as usual (a few
milliseconds) and sparingly once one hangs, so a hung holder costs Redis little."""

from __future__ import annotations

from core.leasedcache._publish import (
    POLL_CLOSE,
    POLL_CLOSE_FOR,
    POLL_FIRST,
    POLL_SPARSE,
    poll_pause_after,
)


def _schedule(until: float) -> list[tuple[float, float]]:
    """(waited, pause) for each poll of a writer whose holders never answer."""
    waited, pause, polls = 0.0, POLL_FIRST, []
    while waited < until:
        polls.append((waited, pause))
        waited += pause
        pause = poll_pause_after(pause, waited=waited)
    return polls


def test_the_writer_never_oversleeps_an_acknowledgement_by_more_than_a_millisecond_at_first():
    early = [pause for waited, pause in _schedule(POLL_CLOSE_FOR) if waited < POLL_CLOSE_FOR]
    assert max(early) == POLL_CLOSE == 0.001
    assert early[0] == POLL_FIRST  # the first look comes after a fifth of a millisecond


def test_a_hung_holder_is_polled_every_five_milliseconds_not_every_millisecond():
    polls = _schedule(1.0)
    late = [pause for waited, pause in polls if waited > POLL_CLOSE_FOR + POLL_SPARSE]
    assert set(late) == {POLL_SPARSE}
    assert len(polls) < 250  # a second of waiting: about 200 looks, not 1,000
