"""Seeding the small scale: users, keys and projects (bench/seed.py), the peers' keys.

The sampled users' credentials, the peers' API keys and knox tokens, the uploads of their
projects and one service token are what the request files are written from.
"""

from __future__ import annotations

import random
import time

from bench.config import DB, SAMPLE, SMALL
from bench.database import db_url
from bench.request_files import read_projects


def seed_small_and_peers() -> dict:
    from apikeys.service_tokens import service_token_create
    from bench.seed import seed_peers, seed_service, seed_uploads

    small_sample = set(random.sample(range(1, SMALL + 1), min(SAMPLE, SMALL)))
    started = time.monotonic()
    creds = seed_service(upto=SMALL, wanted=small_sample, reserve=SMALL + 1000)
    seconds = time.monotonic() - started
    small = [c for c in creds if c["index"] in small_sample]
    api_keys, knox_tokens = seed_peers(user_ids=[c["index"] for c in small])
    seed_uploads(dsn=db_url(DB), project_ids=read_projects(small))
    token = service_token_create(name="bench").plaintext
    return {
        "small": small,
        "api_keys": api_keys,
        "knox_tokens": knox_tokens,
        "service_token": token,
        "seed_seconds": seconds,
    }
