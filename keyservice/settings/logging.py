"""Logging: one console handler, plain or JSON, with request ids and secrets redacted.

DJANGO_LOG_FORMAT picks "plain" or "json" (core.logs.JsonFormatter); every record passes the
request-id filter and the secret redaction, runserver's request lines included.
"""

from keyservice.settings.env import env

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "filters": {
        "redact_secrets": {"()": "core.logs.RedactSecrets"},
        "request_id": {"()": "core.request_id.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("DJANGO_LOG_FORMAT", default="plain"),
            "filters": ["request_id", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # runserver's request lines carry query strings: route them through the redacting handler.
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
