"""locale/en: the product's wording of allauth's strings is compiled (django.mo matches
django.po), so an edit of the .po without its .mo cannot ship unnoticed."""

import gettext
import re
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def _po_entries() -> list[tuple[str | None, str, str]]:
    text = (CATALOG / "django.po").read_text(encoding="utf-8")
    pattern = re.compile(r'(?:^msgctxt "(.*)"\n)?^msgid "(.+)"\nmsgstr "(.*)"$', re.M)
    return [(ctx or None, msgid, msgstr) for ctx, msgid, msgstr in pattern.findall(text)]


def test_the_compiled_catalog_says_what_the_po_file_says():
    with (CATALOG / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    entries = _po_entries()
    assert len(entries) > 50
    for ctx, msgid, msgstr in entries:
        found = catalog.pgettext(ctx, msgid) if ctx else catalog.gettext(msgid)
        assert found == msgstr, msgid


def test_the_wording_is_sentence_case():
    for _ctx, msgid, msgstr in _po_entries():
        words = msgstr.split(" ")[1:]
        assert not [w for w in words if w[:1].isupper() and not w.isupper() and w != "OAuth"], msgid
