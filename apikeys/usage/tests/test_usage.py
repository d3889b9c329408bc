"""Key usage (issue 13, parts 1-2): every use of a key the verifier matched is counted in the
process, flushed to Redis, collected into PostgreSQL; uses of a retired key are recognised by
the same lookup, refused, shown on the dashboard and mailed to the owner at most once a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from apikeys.models import ApiKey
from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from apikeys.usage.collect import BATCHES, usage_collect
from apikeys.usage.counting import COUNTS, usage_buffer_take, usage_flush_local
from apikeys.usage.models import KeyUsageDay, KeyUse, UsageBatch
from outbox.models import OutboxEmail
from tests.support.api import DETAIL, UPLOAD, VALID_ZIP, internal_verify

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


@pytest.fixture
def usage_redis(redis_url, settings):
    """The usage pipeline on a real Redis database of its own, emptied before and after."""
    url = settings.TEST_REDIS_SPARE_URL
    client = redis.Redis.from_url(url)
    client.flushdb()
    settings.KEYSERVICE_USAGE_REDIS_URL = url
    usage_buffer_take()  # uses left by other tests
    yield client
    client.flushdb()


def verify(client, token: str, **body):
    return internal_verify(client, token, extra={"REMOTE_ADDR": "10.1.2.3"}, **body)


def collect() -> None:
    usage_flush_local()
    usage_collect()


def test_an_accepted_verify_is_counted_with_its_address_and_surface_after_a_collection(
    client, usage_redis, owner, showroom
):
    key = apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    for _ in range(3):
        answer = verify(
            client,
            token,
            apiKey=key.plaintext,
            userId=owner.public_id,
            projectId=showroom.public_id,
        )
        assert answer.status_code == 200
    collect()
    day = KeyUsageDay.objects.get(key=key.api_key)
    assert (day.accepted, day.refused) == (3, 0)
    use = KeyUse.objects.get(key=key.api_key)
    assert (use.last_address, use.last_surface, use.last_accepted) == ("10.1.2.3", "internal", True)
    assert use.retired_uses == 0


def test_a_readonly_member_writing_through_the_public_api_is_a_refused_use_of_their_key(
    client, usage_redis, readonly_member, showroom
):
    key = apikey_issue(user=readonly_member)
    answer = UPLOAD.call(
        client,
        api_key=key.plaintext,
        user_id=readonly_member.public_id,
        project_id=showroom.public_id,
        fileUrl=VALID_ZIP,
    )
    assert answer.status_code == 403
    read = DETAIL.call(
        client,
        api_key=key.plaintext,
        user_id=readonly_member.public_id,
        project_id=showroom.public_id,
    )
    assert read.status_code == 200
    collect()
    day = KeyUsageDay.objects.get(key=key.api_key)
    assert (day.accepted, day.refused) == (1, 1)
    assert KeyUse.objects.get(key=key.api_key).last_surface == "public"


def test_a_request_with_a_valid_key_makes_one_query_and_no_write_with_usage_on(
    client, usage_redis, owner, showroom, django_assert_num_queries
):
    key = apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    body = {"apiKey": key.plaintext, "userId": owner.public_id, "projectId": showroom.public_id}
    verify(client, token, **body)  # warm: sessions, content types
    with django_assert_num_queries(1) as captured:
        assert verify(client, token, **body).status_code == 200
    assert captured.captured_queries[0]["sql"].lstrip().upper().startswith("SELECT")
    assert usage_redis.hlen(COUNTS) == 0  # nothing leaves the process on the request path


def test_the_old_key_after_a_rotation_is_refused_counted_as_retired_and_mailed_once_a_day(
    client, usage_redis, owner, showroom
):
    old = apikey_issue(user=owner)
    apikey_issue(user=owner)  # rotation: the old key is retired
    token = service_token_create(name="edge").plaintext
    body = {"apiKey": old.plaintext, "userId": owner.public_id, "projectId": showroom.public_id}
    for _ in range(2):
        answer = verify(client, token, **body)
        assert (answer.status_code, answer.json()) == (
            401,
            {"message": "Unauthorized: Invalid API Key"},
        )
    collect()
    use = KeyUse.objects.get(key=old.api_key)
    assert (use.retired_uses, use.last_accepted) == (2, False)
    assert use.retired_last_at is not None

    def notices():
        return OutboxEmail.objects.filter(kind=ApiKey.EmailKind.RETIRED_IN_USE.value)

    assert [n.subject_id for n in notices()] == [old.api_key.pk]
    assert KeyUsageDay.objects.get(key=old.api_key).refused == 2

    verify(client, token, **body)
    collect()
    assert notices().count() == 1  # at most one a day
    KeyUse.objects.filter(pk=use.pk).update(retired_notified_at=timezone.now() - timedelta(days=1))
    verify(client, token, **body)
    collect()
    assert notices().count() == 2
    assert KeyUse.objects.get(key=old.api_key).retired_uses == 4


def test_the_still_in_use_email_names_the_hint_time_address_and_surface_never_the_key(
    client, usage_redis, owner, showroom, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    old = apikey_issue(user=owner)
    apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    verify(
        client, token, apiKey=old.plaintext, userId=owner.public_id, projectId=showroom.public_id
    )
    mailoutbox.clear()
    collect()
    [mail] = [m for m in mailoutbox if "still in use" in m.subject]
    assert mail.to == [owner.email]
    assert old.api_key.hint in mail.body
    assert "10.1.2.3" in mail.body and "internal verify" in mail.body
    assert old.plaintext not in mail.body


def test_a_batch_taken_twice_is_applied_once(client, usage_redis, owner, showroom):
    """A collector that committed a batch and died before deleting it from Redis."""
    key = apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    verify(
        client, token, apiKey=key.plaintext, userId=owner.public_id, projectId=showroom.public_id
    )
    usage_flush_local()
    usage_collect()
    [batch] = UsageBatch.objects.values_list("batch_id", flat=True)
    usage_redis.hset(f"{COUNTS}:{batch}", f"{key.api_key.pk}:{timezone.now().date()}:a", 1)
    usage_redis.sadd(BATCHES, batch)  # as if the delete had never happened
    usage_collect()
    assert KeyUsageDay.objects.get(key=key.api_key).accepted == 1
    assert not usage_redis.exists(BATCHES)


def test_uses_stay_in_the_process_while_redis_is_down_and_arrive_when_it_is_back(
    client, usage_redis, owner, showroom, settings
):
    key = apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    good_url = settings.KEYSERVICE_USAGE_REDIS_URL
    settings.KEYSERVICE_USAGE_REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    body = {"apiKey": key.plaintext, "userId": owner.public_id, "projectId": showroom.public_id}
    assert verify(client, token, **body).status_code == 200
    assert usage_flush_local() == 0
    settings.KEYSERVICE_USAGE_REDIS_URL = good_url
    assert verify(client, token, **body).status_code == 200
    collect()
    assert KeyUsageDay.objects.get(key=key.api_key).accepted == 2


def test_uses_of_a_key_deleted_before_collection_are_dropped_quietly(
    client, usage_redis, owner, showroom
):
    key = apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    verify(
        client, token, apiKey=key.plaintext, userId=owner.public_id, projectId=showroom.public_id
    )
    ApiKey.objects.filter(pk=key.api_key.pk).delete()
    collect()
    assert not KeyUsageDay.objects.exists() and not KeyUse.objects.exists()


def test_usage_off_counts_nothing(client, usage_redis, owner, showroom, settings):
    settings.KEYSERVICE_USAGE = False
    key = apikey_issue(user=owner)
    token = service_token_create(name="edge").plaintext
    verify(
        client, token, apiKey=key.plaintext, userId=owner.public_id, projectId=showroom.public_id
    )
    collect()
    assert not KeyUse.objects.exists()
