"""Generated request ids: 128 random bits each, and a forked worker never repeats its parent's."""

from __future__ import annotations

import os
import re

from core.request_id import _new_id


def test_a_generated_request_id_is_32_hex_digits_and_never_repeats():
    ids = {_new_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_forked_worker_generates_other_ids_than_its_parent():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a gunicorn worker right after the fork
        os.write(write, _new_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    assert child != _new_id()  # the same state would give the same next id
