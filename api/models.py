from django.db import models


class ServiceToken(models.Model):
    """A credential of one internal service for /internal/v1. Only its digest is stored."""

    name = models.CharField(max_length=100, unique=True, help_text="The calling service.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}{', revoked' if self.revoked_at else ''})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
