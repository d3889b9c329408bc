import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# NUL (which PostgreSQL text cannot hold) and lone surrogates (which cannot be UTF-8 encoded)
# are never meaningful in this API: a body carrying them is malformed, whatever the field.
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


# No body of this API nests beyond a few levels; deeper is malformed, and is refused before
# any code walks it.
MAX_JSON_DEPTH = 32


def json_structure_refused(value: object) -> str | None:
    """Why `value` is refused, if it nests beyond MAX_JSON_DEPTH or holds an unusable string
    (key or value); None if it is usable. An explicit stack, not recursion: any depth JSON's
    scanner accepts is safe here."""
    if isinstance(value, dict) and all(type(v) is str for v in value.values()):
        # A flat object of strings (every body the hot path gets): one search over them
        # all, keys included (they are strings), finds what a search of each would.
        found = _UNUSABLE.search("".join((*value, *value.values())))
        return None if found is None else "JSON text with NUL or unpaired surrogates"
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _UNUSABLE.search(item) is not None:
                return "JSON text with NUL or unpaired surrogates"
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                return "JSON nested too deeply"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, plus: absurd nesting, NUL characters and lone surrogates make a
    malformed body (400), never a crash further down."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply") from None
        if (refused := json_structure_refused(data)) is not None:
            raise ParseError(refused)
        return data
