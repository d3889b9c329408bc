import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# NUL (which PostgreSQL text cannot hold) and lone surrogates (which cannot be UTF-8 encoded)
# are never meaningful in this API: a body carrying them is malformed, whatever the field.
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


def _has_unusable_text(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return _UNUSABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unusable_text(k) or _has_unusable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unusable_text(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, plus: absurd nesting, NUL characters and lone surrogates make a
    malformed body (400), never a crash further down."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply") from None
        if _has_unusable_text(data):
            raise ParseError("JSON text with NUL or unpaired surrogates")
        return data
