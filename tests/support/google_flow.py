"""Sign in with Google the way a browser does, against the fake Google server (`google`
fixture): Django's test client plays the browser, `requests` carries it to Google and back."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.contrib.auth import SESSION_KEY

from accounts.models import User

CALLBACK = "/accounts/google/login/callback/"


def sign_in_with_google(client, google, **data):
    """POST allauth's Google login, approve at the fake Google, follow the callback."""
    response = client.post("/accounts/google/login/", data)
    assert response.status_code == 302, response
    approved = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert approved.status_code == 302, approved.text
    target = urlsplit(approved.headers["Location"])
    assert target.path == CALLBACK
    return client.get(f"{target.path}?{target.query}")


def signed_in_user(client) -> User | None:
    """Who the client's session belongs to, as the next request would see it."""
    user_id = client.session.get(SESSION_KEY)
    if not user_id:
        return None
    response = client.get("/")
    return User.objects.filter(pk=user_id).first() if response.status_code == 200 else None
