"""Request API Key: one confirmation nonce issues exactly one key, even when the same form is
posted many times at once from the same browser session (real threads, real connections)."""

import re
import threading

import requests
from django.test import Client

from apikeys.models import ApiKey

KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
RACERS = 8


def test_eight_concurrent_posts_of_one_nonce_issue_exactly_one_key(live_server, postgres, owner):
    base = live_server.url
    client = Client()
    client.force_login(owner)
    cookies = {c.key: c.value for c in client.cookies.values()}
    page = requests.get(base + "/keys/request/", cookies=cookies, timeout=30)
    cookies.update(page.cookies.get_dict())  # the CSRF cookie
    form = {"csrfmiddlewaretoken": TOKEN.search(page.text)[1], "nonce": NONCE.search(page.text)[1]}
    barrier = threading.Barrier(RACERS)
    answers: list[requests.Response] = []
    notices: list[str] = []  # the page each redirected browser lands on
    lock = threading.Lock()

    def post() -> None:
        # one requests.Session per thread, all carrying the same session cookie; the live
        # server answers each on its own thread and database connection
        with requests.Session() as session:
            session.cookies.update(cookies)
            session.headers["Referer"] = base + "/keys/request/"
            barrier.wait(timeout=30)
            response = session.post(
                base + "/keys/request/", data=form, allow_redirects=False, timeout=60
            )
            landed = ""
            if response.status_code == 302:
                landed = session.get(base + response.headers["Location"], timeout=30).text
        with lock:
            answers.append(response)
            notices.append(landed)

    threads = [threading.Thread(target=post) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    shown = [k for r in answers for k in KEY_IN_PAGE.findall(r.text)]
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [302] * (RACERS - 1)
    assert all(r.headers["Location"] == "/keys/request/" for r in answers if r.status_code == 302)
    assert len(shown) == 1
    assert ApiKey.objects.filter(user=owner).count() == 1  # issued, not merely left active
    # the losers were told why, and shown no key
    told = [html for html in notices if html]
    assert len(told) == RACERS - 1
    assert all("already handled" in html and shown[0] not in html for html in told)


def test_a_nonce_already_spent_in_the_database_issues_nothing(client, owner):
    """The database check alone (as if the session still held the nonce) refuses a replay."""
    from apikeys.refusals import KeyRefusal
    from apikeys.services import apikey_issue
    from core.errors import ApplicationError

    apikey_issue(user=owner, request_nonce="n-1")
    try:
        apikey_issue(user=owner, request_nonce="n-1")
    except ApplicationError as refused:
        assert refused.reason is KeyRefusal.REQUEST_ALREADY_HANDLED
    else:
        raise AssertionError("a spent nonce issued a second key")
    apikey_issue(user=owner, request_nonce="n-2")  # another request is another key
    assert ApiKey.objects.filter(user=owner).count() == 2
