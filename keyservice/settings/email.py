"""Outgoing email: EMAIL_URL, or EMAIL_HOST and its companions, or the console in development.

EMAIL_URL (django-environ's form, e.g. smtp+tls://user:password@host:587) wins over the
separate EMAIL_HOST variables; with neither, emails are printed to the console (and, in a
Celery worker, logged at INFO).
"""

from keyservice.settings.env import env

# --- Email ---------------------------------------------------------------------------------
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
elif "EMAIL_HOST" in env:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="keyservice <keys@localhost>")
# Every email names the product, never the host it was requested on (allauth's default prefix
# is the request's host:port), and ends with the operator's contact line when one is set.
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[keyservice] "
KEYSERVICE_CONTACT = env.str("KEYSERVICE_CONTACT", default="")
