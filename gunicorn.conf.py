"""gunicorn settings for the image (docker-compose `web`). Override with GUNICORN_* env vars."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = "-"
# %(U)s is the path without the query string: GET requests of the public API carry
# `apikey` in the query, which must never reach a log line.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'
