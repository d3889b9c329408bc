from django.conf import settings
from django.db import models

from core.ids import new_public_id
from core.leasedcache import TrackedManager

# fileUrl: presigned URLs (the hosted platform's recommendation) run to a few KiB. Checked
# by the API (api.inputs.http_url); not a URLField, whose validator stops at 2048.
MAX_FILE_URL_LENGTH = 8192


class Upload(models.Model):
    """A build handed over by `upload-file`. keyservice records it; the pipeline processes it
    and reports each state through the internal API (builds.services, the lifecycle model).

    `approved_at` is when it first entered Approved (validated and stored); `released_at` when
    it went live. An `autoRelease: false` build is Approved but not live until distribute-file
    sends it through Distribute.
    """

    class Status(models.TextChoices):
        # The documented spellings: these strings are files[].status and the webhook status.
        PENDING = "pending", "pending"
        DOWNLOADING = "Downloading Files", "Downloading Files"
        EXTRACTING = "Extracting & Scanning", "Extracting & Scanning"
        SAVING = "Saving to Repository", "Saving to Repository"
        DISTRIBUTE = "Distribute", "Distribute"
        APPROVED = "Approved", "Approved"
        REJECT = "Reject", "Reject"

    public_id = models.CharField("uploadId", max_length=24, unique=True, default=new_public_id)
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="uploads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="uploads"
    )
    file_url = models.CharField(max_length=MAX_FILE_URL_LENGTH)
    auto_release = models.BooleanField(default=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PENDING)
    # The pipeline's reason for a Reject; "" otherwise (null in answers and webhook payloads).
    objection = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set once the pipeline's queue accepted the hand-over message; the sweep retries the rest.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    distribution_requested_at = models.DateTimeField(null=True, blank=True)
    # Set once the queue accepted the distribute message of the last request; the sweep
    # re-sends a request the broker never got (it was down when distribute-file was called).
    distribution_handed_over_at = models.DateTimeField(null=True, blank=True)
    # Who made that request: the distribute message names them (the sweep re-sends it as is).
    distribution_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    # Writes announce to the leased cache (core.leasedcache): the public project read caches
    # a project's files (api/project_extras.py, PROJECT_EXTRAS_SOURCES).
    objects = TrackedManager["Upload"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.released_at is not None
