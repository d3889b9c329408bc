import secrets

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from core.ids import new_public_id, validate_public_id


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        """`manage.py createsuperuser`: the operator at the console vouches for the address,
        so it is recorded as verified (the superuser then signs in through allauth)."""
        from allauth.account.models import EmailAddress

        extra.update(is_staff=True, is_superuser=True)
        user = self._create(email, password, **extra)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person. Owns exactly one account (their projects); may be a member of others."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    public_id = models.CharField(
        "userId",
        max_length=24,
        unique=True,
        default=new_public_id,
        editable=False,
        validators=[validate_public_id],
    )

    # Bumped to end every session of the user at once (accounts.services.user_sessions_end):
    # it is part of the session auth hash Django checks on every request.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email

    def _get_session_auth_hash(self, secret=None) -> str:
        if not self.session_epoch:  # sessions from before any epoch bump stay valid
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "keyservice.accounts.User.session_auth_hash",
            f"{self.password}\x00{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


def new_webhook_secret() -> str:
    """A project's webhook signing secret (HMAC-SHA256 key, 256 random bits)."""
    return secrets.token_hex(32)


class Project(models.Model):
    """A project of one account (its owner)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="projects")
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
    # Webhooks (see the `webhooks` app): where to POST, which events (names from
    # webhooks.events.WEBHOOK_EVENTS), and the per-project secret deliveries are signed with.
    webhook_url = models.URLField(max_length=2048, blank=True)
    webhook_events = models.JSONField(default=list, blank=True)
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"
