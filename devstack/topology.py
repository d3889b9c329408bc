"""`make run`: docker-compose's topology on one machine, as child processes of one terminal.

The table below is the whole of it: the web server and, as in docker-compose.yml, a worker on
the default queue (key emails, periodic tasks), a worker on the webhooks queue, one on the
leak reports queue, and beat (a test compares the queues with the compose file). honcho runs
them, prefixes each line with the process's name, and stops them all on Ctrl-C or as soon as
one of them exits."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from honcho.manager import Manager

from devstack.locations import ROOT
from devstack.stack import Stack, stack_leave, stack_use

DEMO_DIRECTORY = Path("demo/directory.json")
DEMO_LOGINS = """\
Demo logins (password: keyservice-demo):
  owner@example.com     owns the demo projects
  full@example.com      member with FULL on Showroom and Configurator
  readonly@example.com  member with READONLY on Showroom
  outsider@example.com  no access to the owner's projects
"""


def processes(*, python: str, address: str, var: Path) -> dict[str, list[str]]:
    """Each process of the stack by name: its command line (run from the checkout)."""
    celery = [python, "-m", "celery", "-A", "keyservice"]
    worker_options = ["--concurrency=2", "--loglevel=INFO"]
    return {
        # Django's development server: reloads on code changes; static files from the app dirs.
        "web": [python, "manage.py", "runserver", address],
        "worker": [*celery, "worker", "-n", "worker@%h", "-Q", "celery", *worker_options],
        "worker-webhooks": [
            *celery,
            *("worker", "-n", "worker-webhooks@%h", "-Q", "webhooks", *worker_options),
        ],
        "worker-leak-reports": [
            *celery,
            *("worker", "-n", "worker-leak-reports@%h", "-Q", "leak-reports"),
            *("--concurrency=1", "--loglevel=INFO"),
        ],
        "beat": [*celery, "beat", "--loglevel=INFO", f"--schedule={var / 'celerybeat-schedule'}"],
    }


def stack_run(*, environ: Mapping[str, str], address: str, stack: Stack) -> int:
    """Migrate, load the demo directory, then run every process until Ctrl-C."""
    env = dict(environ)
    stack_use(env, stack)
    try:
        for step in (["migrate", "--noinput"], ["import_directory", str(DEMO_DIRECTORY)]):
            subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)  # noqa: S603
        serving = f"Serving on http://{address}/ (Ctrl-C stops every process)"
        print(f"\n{DEMO_LOGINS}\n{serving}\n", flush=True)
        manager = Manager()
        table = processes(python=sys.executable, address=address, var=stack.var)
        for name, command in table.items():
            manager.add_process(name, shlex.join(command), env=env, cwd=str(ROOT))
        manager.loop()
        # Ctrl-C is how one stops it: not a failure.
        return 0 if manager.returncode in (None, 130) else int(manager.returncode)
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        stack_leave(stack)
