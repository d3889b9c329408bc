"""The log filter and formatter named in settings.LOGGING (and gunicorn.conf.py): the
mechanism lives in core.logs, shared by Django's and gunicorn's loggers."""

from core.logs import JsonFormatter, RedactSecrets, escape_controls, log_safe, redact

__all__ = ["JsonFormatter", "RedactSecrets", "escape_controls", "log_safe", "redact"]
