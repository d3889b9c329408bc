from accounts.models import User
from apikeys.models import ApiKey


def apikey_current_for(*, user: User) -> ApiKey | None:
    """The user's active key (hint and dates only are meant for display), or None."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).first()
