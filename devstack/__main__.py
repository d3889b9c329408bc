"""python -m devstack up|down|status|env|run — the checkout's private servers (see README)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from devstack.env_file import env_file_read
from devstack.errors import DevstackError
from devstack.locations import DATABASE_NAME, var_dir
from devstack.stack import Stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("--var", type=Path, default=var_dir(), help="the servers' folder (var/)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("up", help="start the private PostgreSQL and Redis; keep them running")
    verbs.add_parser("down", help="stop them")
    verbs.add_parser("status", help="say whether each runs, and where")
    verbs.add_parser("env", help='print their URLs as shell exports (eval "$(make -s env)")')
    run = verbs.add_parser("run", help="migrate, load the demo, run web, workers and beat")
    run.add_argument("--address", default="127.0.0.1:8000", help="where the web server listens")
    args = parser.parse_args(argv)
    stack = Stack(args.var.resolve())
    try:
        if args.verb == "run":
            from devstack.topology import stack_run

            environ = {**env_file_read(), **os.environ}
            return stack_run(environ=environ, address=args.address, stack=stack)
        if args.verb in ("up", "env"):
            with stack.locked():
                stack.start({"postgres", "redis"})
                stack.pin(True)
        if args.verb == "down":
            with stack.locked():
                stack.pin(False)
                for server in stack.servers().values():
                    server.stop()
        if args.verb == "env":
            for name, kind in (("DATABASE_URL", "postgres"), ("REDIS_URL", "redis")):
                print(f"export {name}={shlex.quote(stack.url(kind))}")
            return 0
    except DevstackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    postgres, redis = stack.postgres, stack.redis
    print(
        f"PostgreSQL 16: {'running' if postgres.running() else 'stopped'}, "
        f"{postgres.url(DATABASE_NAME)} (data in {postgres.data})"
    )
    redis_where = redis.url(0) if redis.port else "never started"
    print(f"Redis: {'running' if redis.running() else 'stopped'}, {redis_where}")
    if stack.pinned:
        print("Pinned by `make services`: they run until `make services-stop`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
