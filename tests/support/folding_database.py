"""A test database whose character type folds Unicode case the way production's does.

The suite's PostgreSQL (devstack/) is initialised with `--locale=C`, where UPPER() and LOWER()
change ASCII letters only. Production runs the compose file's postgres image, whose locale
(en_US.utf8) folds Unicode case: UPPER('vıctim') is 'VICTIM' there, so `iexact` (UPPER(a) =
UPPER(b)) calls `vıctim@gmail.com` `victim@gmail.com`. Tests that must see what an `iexact`
would do in production run on a database created here with a libc locale that folds
(LC_CTYPE, e.g. C.utf8; LC_COLLATE stays C) and migrated like the test database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

# A libc locale of this server whose UPPER() folds the dotless i (U+0131) and long s (U+017F).
_FOLDING_LOCALE = """
    SELECT collname, collctype FROM pg_collation
    WHERE collprovider = 'c' AND collencoding IN (-1, 6) AND collctype NOT IN ('C', 'POSIX')
    ORDER BY collctype ILIKE 'C.%' DESC, collctype
"""


def _folding_locale() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_FOLDING_LOCALE)
        for collation, locale in cursor.fetchall():
            cursor.execute(
                f"SELECT upper(%s COLLATE {connection.ops.quote_name(collation)})", ["ıſ"]
            )
            if cursor.fetchone()[0] == "IS":
                return locale
    raise AssertionError("this PostgreSQL server has no libc locale that folds Unicode case")


@contextmanager
def database_folding_unicode_case() -> Iterator[str]:
    """For the duration: the default connection on a fresh, migrated database whose
    LC_CTYPE folds Unicode case (yields its locale); then the test database again."""
    original = connection.settings_dict["NAME"]
    name = f"{original}_folding"
    quoted = connection.ops.quote_name(name)
    locale = _folding_locale()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
        literal = "'" + locale.replace("'", "''") + "'"
        cursor.execute(
            f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8' "
            f"LC_COLLATE 'C' LC_CTYPE {literal}"
        )
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
        ContentType.objects.clear_cache()
        yield locale
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        ContentType.objects.clear_cache()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
