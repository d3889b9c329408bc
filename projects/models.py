from django.conf import settings
from django.db import models

from core.ids import new_public_id, validate_public_id


class Project(models.Model):
    """A project of one account (its owner). Its webhook settings are webhooks.models.Webhook."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects"
    )
    public_id = models.CharField(
        "projectId",
        max_length=24,
        unique=True,
        default=new_public_id,
        editable=False,
        validators=[validate_public_id],
    )
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"
