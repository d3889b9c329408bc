"""The multi-replica race: verifies spread over the replicas behind a load balancer while keys
are rotated, members removed and users deactivated through other replicas, over real HTTP.

A verify is a *stale accept* when it STARTED after the write that invalidated its credential
RETURNED (the write's response was read) and was still accepted. Writes go through the load
balancer pinned to one replica (`X-Rig-Pin`, tests/support/rig.py), so most verifies after a
write are answered by replicas that did not serve it; the report counts those separately.

The writes are what people do: the owner's dashboard POSTs (Request API Key, Remove member)
and an operator's admin change form (Active unticked). Only the sign-ins are made in-process
(`Client.force_login` writes a session row); sign-in is not what the race is about. Needs
Django configured on the rig's database (the seeding uses the ORM).
"""

from __future__ import annotations

import random
import re
import secrets
import string
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy

import requests
from django.conf import settings
from django.test import Client

from accounts.models import User
from apikeys.service_tokens import service_token_create
from projects.models import Project
from teams.models import Membership, Role
from tests.support.accounts import verified_user

KEY_IN_PAGE = re.compile(r'<code id="api-key">([^<]+)</code>')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
KINDS = ("rotate", "remove", "deactivate")


class Browser:
    """A signed-in person's browser over plain HTTP to the load balancer (which is the TLS
    hop: it marks every request https). Cookies are sent by hand, since Secure cookies are
    never sent to an http:// URL by a cookie jar."""

    def __init__(self, base_url: str, user: User) -> None:
        client = Client()
        client.force_login(user)
        self.base = base_url
        self.csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={session_id}; {settings.CSRF_COOKIE_NAME}={self.csrf}"
        )
        self.http = requests.Session()
        self.http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.http.headers.update({"Cookie": cookie})

    def _headers(self, path: str, pin: str | None) -> dict[str, str]:
        https_base = self.base.replace("http://", "https://", 1)
        return {"Referer": https_base + path, **({"X-Rig-Pin": pin} if pin else {})}

    def get(self, path: str, pin: str | None = None) -> requests.Response:
        return self.http.get(self.base + path, headers=self._headers(path, pin), timeout=60)

    def post(self, path: str, data: dict, pin: str | None = None) -> requests.Response:
        form = {"csrfmiddlewaretoken": self.csrf, **data}
        return self.http.post(
            self.base + path,
            data=form,
            headers=self._headers(path, pin),
            allow_redirects=False,
            timeout=60,
        )

    def request_key(self, pin: str | None = None) -> str:
        key = self.request_key_or_refusal(pin)
        assert key is not None, "the key request was refused"
        return key

    def request_key_or_refusal(self, pin: str | None = None) -> str | None:
        """The new key, or None when the site refused the request and issued nothing (its
        leased cache's Redis was down: a redirect back with the reason, core.leasedcache)."""
        page = self.get("/keys/request/", pin)
        nonce = NONCE.search(page.text)
        assert page.status_code == 200 and nonce, (page.status_code, page.text[:300])
        issued = self.post("/keys/request/", {"nonce": nonce[1]}, pin)
        if issued.status_code == 302:
            return None
        found = KEY_IN_PAGE.search(issued.text)
        assert issued.status_code == 200 and found, (issued.status_code, issued.text[:300])
        return found[1]


@dataclass
class Subject:
    kind: str  # rotate | remove | deactivate | control
    user: User
    project: Project
    actor: Browser  # who writes: the owner, or the operator for a deactivation
    own: Browser  # the subject's own browser (requests its first key)
    key: str = ""
    new_key: str | None = None
    written_at: float | None = None  # monotonic time the write's response was read
    write_replica: str = ""


@dataclass
class Verify:
    subject: int
    new: bool  # the key a rotation issued (must be accepted)
    started: float
    status: int
    valid: bool
    replica: str


@dataclass
class Race:
    base_url: str
    per_kind: int = 12
    controls: int = 6
    replicas: list[str] = field(default_factory=lambda: ["web1", "web2"])
    subjects: list[Subject] = field(default_factory=list)
    keys_issued: list[str] = field(default_factory=list)
    token: str = ""
    writes_refused: int = 0  # refused while the leased cache's Redis was down: nothing changed

    def seed(self, tag: str) -> None:
        """Users, projects, memberships in the ORM; every first key through the dashboard."""
        self.token = service_token_create(name=f"race-{tag}").plaintext
        operator = verified_user(f"operator-{tag}@example.com", is_staff=True, is_superuser=True)
        admin = Browser(self.base_url, operator)
        plan = [k for k in KINDS for _ in range(self.per_kind)] + ["control"] * self.controls
        for i, kind in enumerate(plan):
            owner = verified_user(f"owner-{tag}-{i}@example.com", name=f"Owner {i}")
            project = Project.objects.create(owner=owner, name=f"Race {tag} {i}")
            user = owner
            if kind == "remove":
                user = verified_user(f"member-{tag}-{i}@example.com")
                membership = Membership.objects.create(owner=owner, member=user, role=Role.FULL)
                membership.projects.set([project])
            actor = admin if kind == "deactivate" else Browser(self.base_url, owner)
            own = actor if user == owner and kind != "deactivate" else Browser(self.base_url, user)
            subject = Subject(kind, user, project, actor, own)
            subject.key = own.request_key()
            self.keys_issued.append(subject.key)
            self.subjects.append(subject)

    def write(self, subject: Subject, pin: str) -> None:
        """One write through a replica. While the leased cache's Redis is down the site
        refuses it and changes nothing (503, or the key page's redirect): it is counted as
        refused, and the subject's credential stays valid (so no verify of it is stale)."""
        if subject.kind == "rotate":
            new_key = subject.actor.request_key_or_refusal(pin)
            if new_key is None:
                self.writes_refused += 1
                return
            subject.new_key = new_key
            self.keys_issued.append(subject.new_key)
        elif subject.kind == "remove":
            path = f"/team/members/{subject.user.public_id}/remove/"
            response = subject.actor.post(path, {}, pin)
            if response.status_code == 503:
                self.writes_refused += 1
                return
            assert response.status_code == 302, (response.status_code, response.text[:300])
        else:
            path = f"/{settings.KEYSERVICE_ADMIN_PATH}accounts/user/{subject.user.pk}/change/"
            form = {"email": subject.user.email, "name": subject.user.name, "_save": "Save"}
            response = subject.actor.post(path, form, pin)  # "is_active" unticked
            if response.status_code == 503:
                self.writes_refused += 1
                return
            assert response.status_code == 302, (response.status_code, response.text[:500])
        subject.written_at = time.monotonic()
        subject.write_replica = pin

    def run(
        self,
        *,
        verifies: int,
        clients: int = 8,
        at: dict[float, Callable[[], None]] | None = None,
    ) -> dict:
        """At least `verifies` verifies from `clients` threads; the writes spread evenly over
        them; `at` runs hooks when that fraction of the verifies is done (an outage)."""
        targets = [i for i, s in enumerate(self.subjects) if s.kind != "control"]
        random.Random(7).shuffle(targets)
        records: list[Verify] = []
        lock = threading.Lock()
        done = threading.Event()
        hot: list[int | None] = [None]
        hooks = sorted((at or {}).items())
        marks: dict[str, float] = {}

        def verifier(seed: int) -> None:
            rng = random.Random(seed)
            http = requests.Session()
            http.headers["Authorization"] = f"Bearer {self.token}"
            mine: list[Verify] = []
            while not done.is_set():
                focus = hot[0]
                i = focus if focus is not None and rng.random() < 0.5 else None
                i = rng.randrange(len(self.subjects)) if i is None else i
                subject = self.subjects[i]
                new = subject.new_key is not None and rng.random() < 0.5
                body = {
                    "apiKey": subject.new_key if new else subject.key,
                    "userId": subject.user.public_id,
                    "projectId": subject.project.public_id,
                    "access": "read",
                }
                started = time.monotonic()
                try:
                    r = http.post(self.base_url + "/internal/v1/verify", json=body, timeout=60)
                    status, replica = r.status_code, r.headers.get("X-Rig-Replica", "?")
                    valid = status == 200 and r.json().get("valid") is True
                except requests.RequestException:
                    status, replica, valid = 599, "?", False  # no answer: counted as a 5xx
                mine.append(Verify(i, new, started, status, valid, replica))
                if len(mine) % 50 == 0:
                    with lock:
                        records.extend(mine)
                    mine = []
            with lock:
                records.extend(mine)

        threads = [threading.Thread(target=verifier, args=(n,)) for n in range(clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            for n, index in enumerate(targets):
                threshold = verifies * (n + 1) / (len(targets) + 1)
                while len(records) < threshold:
                    self._hooks(hooks, len(records) / verifies, marks)
                    time.sleep(0.02)
                # Verifies may outrun the writes (each takes 0.35 s): the hooks still fire
                # between them, so writes fall before, during and after an outage.
                self._hooks(hooks, len(records) / verifies, marks)
                hot[0] = index
                time.sleep(0.05)  # verifies of this credential are in flight as it changes
                self.write(self.subjects[index], self.replicas[n % len(self.replicas)])
                time.sleep(0.3)
                hot[0] = None
            while hooks or len(records) < verifies:
                self._hooks(hooks, len(records) / verifies, marks)
                time.sleep(0.02)
                if len(records) >= verifies:
                    self._hooks(hooks, 2.0, marks)
            tail = len(records) + verifies // 5  # verifies go on after the last hook (recovery)
            while marks and len(records) < tail:
                time.sleep(0.02)
        finally:
            done.set()
            for thread in threads:
                thread.join(timeout=120)
        return self.analyse(records, time.monotonic() - began, marks)

    @staticmethod
    def _hooks(hooks: list, progress: float, marks: dict[str, float]) -> None:
        while hooks and hooks[0][0] <= progress:
            _, hook = hooks.pop(0)
            hook()
            marks[getattr(hook, "__name__", "hook")] = time.monotonic()

    def analyse(self, records: list[Verify], seconds: float, marks: dict[str, float]) -> dict:
        stale, wrong, after, other, gaps = 0, 0, 0, 0, []
        for v in records:
            s = self.subjects[v.subject]
            changed = s.written_at is not None and v.started > s.written_at
            if v.new or s.kind == "control":
                wrong += not v.valid and v.status < 500  # a current credential refused
                continue
            if changed and s.written_at is not None:
                after += 1
                other += v.replica != s.write_replica
                gaps.append(v.started - s.written_at)
                stale += v.valid
        statuses = Counter(v.status for v in records)
        result = {
            "verifies": len(records),
            "seconds": round(seconds, 1),
            "verifies_per_second": round(len(records) / seconds, 1),
            "per_replica": dict(sorted(Counter(v.replica for v in records).items())),
            "statuses": {str(k): n for k, n in sorted(statuses.items())},
            "accepted": sum(v.valid for v in records),
            "server_errors": sum(n for k, n in statuses.items() if k >= 500),
            "writes": dict(Counter(s.kind for s in self.subjects if s.written_at)),
            "writes_per_replica": dict(
                sorted(Counter(s.write_replica for s in self.subjects if s.written_at).items())
            ),
            "writes_refused": self.writes_refused,
            "verifies_after_their_write": after,
            "after_write_on_another_replica": other,
            "after_write_within_50ms": sum(g < 0.05 for g in gaps),
            "stale_accepts": stale,
            "current_credentials_refused": wrong,
        }
        if "redis_kill" in marks:
            down, up = marks["redis_kill"], marks.get("redis_restart", float("inf"))
            result["outage"] = self._window(records, down, up)
            result["after_restart"] = self._window(records, up, float("inf"))
        return result

    def _window(self, records: list[Verify], start: float, end: float) -> dict:
        """Verifies that started in [start, end): their errors and stale accepts."""
        inside = [v for v in records if start <= v.started < end]
        stale = 0
        for v in inside:
            s = self.subjects[v.subject]
            if not v.new and s.kind != "control" and s.written_at and v.started > s.written_at:
                stale += v.valid
        last = max((v.started for v in inside), default=start)
        return {
            "seconds": round(min(end, last) - start, 1),
            "verifies": len(inside),
            "accepted": sum(v.valid for v in inside),
            "server_errors": sum(v.status >= 500 for v in inside),
            "stale_accepts": stale,
            "writes": sum(1 for s in self.subjects if s.written_at and start <= s.written_at < end),
        }
