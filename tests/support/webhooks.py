"""Webhook settings for tests, stored as given: no URL check, so tests can store the URLs the
service refuses (a URL saved before a policy, or by hand) and see the send path refuse them."""

from __future__ import annotations

from projects.models import Project
from webhooks.configure import webhook_get_or_create
from webhooks.models import Webhook


def webhook_set(project: Project, **fields) -> Webhook:
    """Set fields (`url`, `events`) of `project`'s webhook settings and save them."""
    hook = webhook_get_or_create(project=project)
    for name, value in fields.items():
        setattr(hook, name, value)
    hook.save()
    return hook
