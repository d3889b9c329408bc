"""Teams and sign-up: invitation lifetime and mail limits, who may sign up and from which domains.

KEYSERVICE_SIGNUP is "open" (anyone, like the hosted platform) or "invite-only"; the allowed
domains are kept in the canonical form addresses are compared in (accounts.addresses), and a
malformed one stops the process at start.
"""

from django.core.exceptions import ImproperlyConfigured

from accounts.addresses import UnusableEmailAddress, email_domain_canonical
from keyservice.settings.env import env

# --- Teams ---------------------------------------------------------------------------------
KEYSERVICE_INVITATION_DAYS = env.int("KEYSERVICE_INVITATION_DAYS", default=7)
# Invitation emails (no mail-bombing relay): per owner per day (new and resent), and resends
# of one address per owner at most once every N minutes and M times a day.
KEYSERVICE_INVITATIONS_PER_DAY = env.int("KEYSERVICE_INVITATIONS_PER_DAY", default=50)
KEYSERVICE_INVITATION_RESEND_MINUTES = env.int("KEYSERVICE_INVITATION_RESEND_MINUTES", default=10)
KEYSERVICE_INVITATION_RESENDS_PER_DAY = env.int("KEYSERVICE_INVITATION_RESENDS_PER_DAY", default=5)
# "open" (anyone may sign up, like the hosted platform) or "invite-only" (only addresses with a
# pending invitation); optionally only addresses of these domains (comma-separated), kept in
# the canonical form addresses are compared in (IDNA A-labels: accounts.addresses).
KEYSERVICE_SIGNUP = env.str("KEYSERVICE_SIGNUP", default="open")
try:
    KEYSERVICE_SIGNUP_DOMAINS = [
        email_domain_canonical(d.strip().lstrip("@"))
        for d in env.list("KEYSERVICE_SIGNUP_DOMAINS", default=[])
    ]
except UnusableEmailAddress as exc:
    raise ImproperlyConfigured(f"KEYSERVICE_SIGNUP_DOMAINS: {exc}") from None
if KEYSERVICE_SIGNUP not in ("open", "invite-only"):
    raise ImproperlyConfigured('KEYSERVICE_SIGNUP must be "open" or "invite-only".')
