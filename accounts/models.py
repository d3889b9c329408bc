from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac

from accounts.addresses import (
    UnusableEmailAddress,
    email_canonical,
    email_canonical_or_none,
    validate_email_canonicalizable,
)
from core.ids import new_public_id, validate_public_id
from core.leasedcache import TrackedQuerySet


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True
    # Writes announce to the leased cache (core.leasedcache; the verifier reads users:
    # apikeys/verifier/sources.py); Manager.get_queryset builds this class.
    _queryset_class = TrackedQuerySet

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The canonical form (accounts.addresses); Django's own lowercases only the domain.
        Raises UnusableEmailAddress (a ValueError) for an address without one."""
        return email_canonical(email or "")

    def _create(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        """`manage.py createsuperuser`: the operator at the console vouches for the address,
        so it is recorded as verified (the superuser then signs in through allauth)."""
        from allauth.account.models import EmailAddress

        extra.update(is_staff=True, is_superuser=True)
        user = self._create(email, password, **extra)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    def get_by_natural_key(self, username: str | None) -> "User":
        """The account known by this address in its canonical form (sign-in, createsuperuser's
        "already taken" check); an address without one names nobody."""
        canonical = email_canonical_or_none(username)
        if canonical is None:
            raise self.model.DoesNotExist("No account has that address.")
        return self.get(email=canonical)


class User(AbstractUser):
    """A person. Owns exactly one account (their projects: projects.models.Project); may be a
    member of others."""

    # Removing an inherited field by assigning None is Django's documented idiom; the stubs
    # declare these as CharFields on AbstractUser.
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    # Stored canonical (accounts.addresses; save() makes sure), so this unique index is the
    # uniqueness of the canonical form, and lookups compare exactly.
    email = models.EmailField(
        "email address", max_length=254, unique=True, validators=[validate_email_canonicalizable]
    )
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
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # The stubs type AbstractUser.objects as the username-based auth UserManager; ours is
    # keyed on the email address (create_user(email, ...)), so it cannot be that subclass.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        # Not AbstractUser.Meta's options. The address's uniqueness is the unique `email`
        # column itself: it holds the canonical form.
        constraints: ClassVar[list[models.BaseConstraint]] = []

    def __str__(self) -> str:
        return self.email

    @classmethod
    def normalize_username(cls, username: str) -> str:
        # The username is the address: AbstractBaseUser.clean would NFKC-normalise it, which
        # makes the look-alike `ſam@` (long s) `sam@`. clean() gives it its canonical form.
        return username

    def clean(self) -> None:
        """The address in its canonical form (ModelForms: the admin's, validate_unique then
        compares canonical forms)."""
        try:
            super().clean()  # AbstractUser.clean: UserManager.normalize_email
        except UnusableEmailAddress as exc:
            raise ValidationError({"email": str(exc)}) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Every save stores the address canonical, whoever wrote it (allauth, the admin,
        createsuperuser, a shell): a look-alike spelling can never reach the table. Raises
        UnusableEmailAddress for an address without a canonical form."""
        fields = kwargs.get("update_fields")
        if fields is None or "email" in fields:
            self.email = email_canonical(self.email or "")
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        if not self.session_epoch:  # sessions from before any epoch bump stay valid
            # A private AbstractBaseUser method the stubs do not declare.
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "keyservice.accounts.User.session_auth_hash",
            f"{self.password}\x00{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()
