"""What teams does at the points of an account's life (accounts.hooks), registered by
keyservice.wiring: a membership is a holding (teams.invitations.invitation_pending_for
answers whether an address was invited)."""

from __future__ import annotations

from accounts.models import User
from teams.models import Membership


def membership_held_by(*, user: User) -> bool:
    """Whether `user` is in a team, as a member or as the owner."""
    return (
        Membership.objects.filter(member=user).exists()
        or Membership.objects.filter(owner=user).exists()
    )
