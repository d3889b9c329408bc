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

# The worker model (docs/deployment.md, "A slow client holds no worker"): gevent. A worker
# serves each connection in a greenlet of its own, and a greenlet waiting for a client's next
# bytes (an unfinished header block, a body sent slowly) yields the process to the others,
# so a client's pace never holds a worker. gunicorn's own parser, header policy and access
# log are the same as the sync worker's. `sync` (one connection per process at a time: three
# slow clients stop the service) remains for comparison only (bench/worker_models.py).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
# Connections one worker holds open at once (gevent); past it, new ones wait in the backlog.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# Seconds a kept-alive connection may stay idle. The gevent worker also reads each request
# line and header block under this timeout: a client that has not sent them in full by then
# is disconnected. Longer than the proxy's upstream keepalive (deploy/Caddyfile), so the
# proxy always closes an idle connection first and never sends on one gunicorn just closed.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
if worker_class == "gevent":
    # A greenlet would otherwise hold a PostgreSQL connection of its own, as many as there
    # are concurrent requests: each worker shares a pool instead (KEYSERVICE_DB_POOL_SIZE,
    # keyservice/settings/database.py; read by Django in the worker, after the fork).
    os.environ.setdefault("KEYSERVICE_DB_POOL_SIZE", "4")
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
# Honour no forwarder header from any peer (gunicorn's default lets allowed peers set
# SCRIPT_NAME and PATH_INFO, which cut the front off the path Django routes): the app
# routes exactly the path the proxy saw. Other underscore headers are dropped.
forwarder_headers = ""
header_map = "drop"

# gunicorn's own loggers (errors, worker timeouts, invalid request lines, the access log)
# go through the filter Django's logging uses (core.logs): no secret, one line per record.
_log_format = _env.str("DJANGO_LOG_FORMAT", default="plain")
_formatters = {
    "plain": {
        "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
        "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
    },
    "access": {"format": "%(message)s"},
    "json": {"()": "core.logs.JsonFormatter"},
}
_filter = {"()": "core.logs.RedactSecrets", "key_prefix": _env.str("KEYSERVICE_KEY_PREFIX", "")}


def _handler(stream: str, formatter: str) -> dict:
    return {
        "class": "logging.StreamHandler",
        "stream": stream,
        "formatter": "json" if _log_format == "json" else formatter,
        "filters": ["redact_secrets"],
    }


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": _filter},
    "formatters": _formatters,
    "handlers": {
        "error_console": _handler("ext://sys.stderr", "plain"),
        "console": _handler("ext://sys.stdout", "access"),
    },
    "root": {"level": "INFO", "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}

# Prometheus (core.metrics): every worker counts into files under PROMETHEUS_MULTIPROC_DIR,
# which /metrics adds up. Set here, in the master, before any worker imports
# prometheus_client; unset, a private directory is made for this server and removed when it
# exits. Either way it is emptied of older runs' files at start. A worker that exits (killed,
# timed out, recycled) has its counts folded into archive files and its files removed
# (child_exit, core.metrics_archive): totals never go backwards, and the directory holds the
# live workers' files and one archive per kind, however many workers came and went.
_metrics_dir_made = False
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="keyservice-metrics-")
    _metrics_dir_made = True


def _metrics_dir() -> Path:
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_starting(server) -> None:
    from core.metrics_archive import metrics_dir_clear

    directory = _metrics_dir()
    directory.mkdir(parents=True, exist_ok=True)
    metrics_dir_clear(str(directory))  # only prometheus_client's files and ours, nothing else


def post_fork(server, worker) -> None:
    """A new worker stops at once when told to before it has its own signal handlers: it
    inherits the master's, which only queue the signal in the master's (now copied) memory,
    and gevent's monkey-patching comes before the worker installs its own. A SIGTERM in that
    window was lost, and the worker served on until graceful_timeout's SIGKILL (30 s)."""
    import signal

    for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(stop, signal.SIG_DFL)


def post_worker_init(worker) -> None:
    """Start the leased cache's lease holder as soon as the app is loaded, so the worker holds
    its lease (and may answer from memory) by its first requests instead of after them
    (core.leasedcache; none starts while the cache is off)."""
    from core.leasedcache import lease_holder

    lease_holder()


def child_exit(server, worker) -> None:
    from core.metrics_archive import metrics_process_archive

    metrics_process_archive(directory=str(_metrics_dir()), pid=worker.pid)


def on_exit(server) -> None:
    if _metrics_dir_made:
        import shutil

        shutil.rmtree(_metrics_dir(), ignore_errors=True)
