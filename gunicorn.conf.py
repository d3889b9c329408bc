"""gunicorn settings for the image (docker-compose `web`). Override with GUNICORN_* env vars."""

import os
from pathlib import Path

import environ

# The same environment as Django's settings: real variables win over the env file.
_env = environ.Env()
_env_file = os.environ.get("KEYSERVICE_ENV_FILE", str(Path(__file__).resolve().parent / ".env"))
if _env_file and Path(_env_file).is_file():
    _env.read_env(_env_file, overwrite=False)

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = "-"
# %(U)s is the path without the query string: GET requests of the public API carry
# `apikey` in the query, which must never reach a log line.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'

# Which proxy headers mark a request as HTTPS is decided by one setting for Django and
# gunicorn alike: DJANGO_TRUST_X_FORWARDED_PROTO (Django's SECURE_PROXY_SSL_HEADER). Off,
# gunicorn trusts none (its default trusts X-Forwarded-Proto/-Ssl/-Protocol from loopback);
# on, only `X-Forwarded-Proto: https`, as Django does.
_trust_proto = _env.bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False)
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"} if _trust_proto else {}
# Peers allowed to send those headers (and gunicorn's forwarder headers); loopback only
# unless set, e.g. to the proxy's address.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
