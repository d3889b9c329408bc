from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    FULL = "FULL", "Full access"
    READONLY = "READONLY", "Read-only"


class Membership(models.Model):
    """A member's place in another user's account: a role and the projects it reaches."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    projects = models.ManyToManyField("accounts.Project", blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "member"], name="membership_unique"),
            models.CheckConstraint(
                condition=~models.Q(owner=models.F("member")), name="membership_not_self"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["FULL", "READONLY"]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.owner}'s account ({self.role})"
