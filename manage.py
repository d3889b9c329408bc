#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyservice.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from devstack import DevstackError
    from devstack.stack import stack_attach_in_development

    try:
        # Development: what neither the environment nor .env points elsewhere runs on this
        # checkout's private PostgreSQL and Redis (started if need be). Production sets both.
        stack_attach_in_development()
        execute_from_command_line(sys.argv)
    except (ImproperlyConfigured, DevstackError) as exc:
        sys.stderr.write(f"keyservice refuses to start: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
