import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# NUL (which PostgreSQL text cannot hold) and lone surrogates (which cannot be UTF-8 encoded)
# are never meaningful in this API: a body carrying them is malformed, whatever the field.
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


# No body of this API nests beyond a few levels; deeper is malformed, and is refused before
# any code walks it.
MAX_JSON_DEPTH = 32


def _check_structure(value) -> None:
    """ParseError if `value` nests beyond MAX_JSON_DEPTH or holds an unusable string (key or
    value). An explicit stack, not recursion: any depth JSON's scanner accepts is safe here."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _UNUSABLE.search(item) is not None:
                raise ParseError("JSON text with NUL or unpaired surrogates")
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise ParseError("JSON nested too deeply")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, plus: absurd nesting, NUL characters and lone surrogates make a
    malformed body (400), never a crash further down."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply") from None
        _check_structure(data)
        return data
