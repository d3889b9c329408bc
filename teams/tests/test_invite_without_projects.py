"""An invitation with no project ticked asks first (issue 24): the form explains and offers
"Send without projects"; nothing is sent until that is chosen. An owner with no projects at
all has nothing to tick and is not asked."""

import pytest

from teams.models import Invitation

pytestmark = pytest.mark.django_db


def test_an_invitation_without_a_project_asks_before_sending(client, owner, showroom):
    client.force_login(owner)
    response = client.post("/team/invite/", {"email": "new@example.com", "role": "READONLY"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "No project is ticked" in html
    assert 'name="without_projects" value="on">Send without projects</button>' in html
    assert not Invitation.objects.exists()

    response = client.post(
        "/team/invite/",
        {"email": "new@example.com", "role": "READONLY", "without_projects": "on"},
    )
    assert response.status_code == 302
    assert list(Invitation.objects.values_list("email", flat=True)) == ["new@example.com"]


def test_an_invitation_with_a_project_is_sent_without_asking(client, owner, showroom):
    client.force_login(owner)
    response = client.post(
        "/team/invite/",
        {"email": "new@example.com", "role": "READONLY", "projects": [showroom.public_id]},
    )
    assert response.status_code == 302
    assert Invitation.objects.count() == 1


def test_an_owner_without_projects_is_not_asked(client, owner):
    client.force_login(owner)
    response = client.post("/team/invite/", {"email": "new@example.com", "role": "READONLY"})
    assert response.status_code == 302
    assert Invitation.objects.count() == 1
