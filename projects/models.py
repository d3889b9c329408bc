from django.conf import settings
from django.db import models

from core.hostnames import MAX_DNS_NAME_LENGTH
from core.ids import new_public_id, validate_public_id
from core.leasedcache import TrackedManager
from projects.domains import validate_custom_domain


class Project(models.Model):
    """A project of one account (its owner). Its webhook settings are webhooks.models.Webhook."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    class Region(models.TextChoices):
        """Where the hosted platform streams a project from (API `region`). keyservice runs
        no streaming: the region is the project's setting, shown as it is."""

        US_EAST_1 = "us-east-1", "US-East-1"
        EUROPE = "europe", "Europe"
        ASIA_PACIFIC = "asia-pacific", "Asia Pacific"

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
    region = models.CharField(max_length=16, choices=Region.choices, default=Region.ASIA_PACIFIC)
    # API `customDomain`: a hostname (projects.domains), lower case; "" for none (null in
    # the API).
    custom_domain = models.CharField(
        "custom domain",
        max_length=MAX_DNS_NAME_LENGTH,
        blank=True,
        default="",
        validators=[validate_custom_domain],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Writes announce to the leased cache (core.leasedcache; apikeys/verifier/sources.py and
    # api/project_extras.py).
    objects = TrackedManager["Project"]()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"
