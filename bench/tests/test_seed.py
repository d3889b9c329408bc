"""The benchmark's seeder writes today's schema: its COPY column lists must name every column
without a default (a migration that adds one broke `make bench` while the suite stayed green),
and what it writes is what the service accepts."""

from __future__ import annotations

from django.db import connection

from apikeys.service_tokens import service_token_create
from bench.seed import seed_service, seed_uploads
from tests.support.api import internal_verify
from tests.support.services import database_url
from webhooks.models import Webhook


def test_the_bench_seeds_users_keys_projects_and_memberships_the_service_accepts(postgres, client):
    dsn = database_url(connection.settings_dict)
    creds = seed_service(upto=8, wanted={1, 2, 3}, dsn=dsn, processes=1)
    seed_uploads(dsn=dsn, project_ids=[1, 2], per_project=2)
    assert [c["index"] for c in creds] == [1, 2, 3]
    assert Webhook.objects.count() == 8
    token = service_token_create(name="bench-seed").plaintext
    for cred in creds:
        for project, role in (
            (cred["own_project"], "OWNER"),
            (cred["member_project"], cred["member_role"]),
        ):
            if project is None:
                continue
            answer = internal_verify(
                client,
                token,
                extra={"secure": True},
                apiKey=cred["api_key"],
                userId=cred["user_id"],
                projectId=project,
            )
            assert answer.status_code == 200, answer.content
            assert answer.json()["role"] == role
