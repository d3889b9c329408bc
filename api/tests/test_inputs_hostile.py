"""Hostile `page`/`limit` values and `fileUrl`s are a 400 naming the field, never a 5xx:
one parser for positive integers from query strings, one validator for URLs (api.inputs)."""

from __future__ import annotations

import pytest

from api.inputs import MAX_INT_DIGITS, http_url, positive_int
from apikeys.services import apikey_issue
from builds.models import MAX_FILE_URL_LENGTH, Upload
from tests.support.api import LIST, UPLOAD, VALID_ZIP

pytestmark = pytest.mark.django_db

HOSTILE_INTS = [
    "²",  # superscript two: str.isdigit() is True, int() raises
    "١٢",  # Arabic-Indic digits: int() accepts them
    "۳",  # Extended Arabic-Indic
    "１",  # fullwidth
    "𝟏",  # mathematical bold
    "9" * 5000,  # beyond Python's int-from-str limit (4300 digits)
    "1" * (MAX_INT_DIGITS + 1),
    "0",
    "00",
    "-1",
    "+1",
    " 1",
    "1 ",
    "1\n",
    "1.0",
    "1e3",
    "0x10",
    "1_000",
    "",
    "\x00",
]

HOSTILE_URLS = [
    "https://[builds.example.com/app.zip",  # urlsplit: "Invalid IPv6 URL"
    "https://builds.example.com]/app.zip",
    "https://[::1/app.zip",
    "http://[v1.x]/app.zip",
    "https://[not-an-ip]/app.zip",
    "https://builds.example.com:99999/app.zip",  # .port raises
    "https://builds.example.com:-1/app.zip",
    "https://builds.example.com:abc/app.zip",
    "https://builds.example.com/a pp.zip",
    "https://builds.example.com/app.zip\n",
    "https://builds.example.com\\@evil.example/app.zip",
    "https://builds.example.com/\u202eapp.zip",  # a format character
    "https://builds.example.com/\x7fapp.zip",
    "https:///app.zip",
    "//builds.example.com/app.zip",
    "ftp://builds.example.com/app.zip",
    "javascript:alert(1)//.zip",
    "https://builds.example.com/app.tar",
    "https://" + "a" * MAX_FILE_URL_LENGTH + ".com/app.zip",  # over fileUrl's 8 KiB
    "\ud800",  # never reaches here (the JSON parser refuses it) but the validator copes
]


@pytest.mark.parametrize("value", HOSTILE_INTS, ids=repr)
def test_the_int_parser_refuses_what_is_not_a_few_ascii_digits(value):
    assert positive_int(value) is None


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("007", 7), ("999999999", 999999999)])
def test_the_int_parser_accepts_ascii_digits(value, expected):
    assert positive_int(value) == expected


@pytest.mark.parametrize("name", ["page", "limit"])
@pytest.mark.parametrize("value", HOSTILE_INTS, ids=repr)
def test_hostile_page_and_limit_values_are_a_400_naming_the_field(client, owner, name, value):
    key = apikey_issue(user=owner).plaintext
    response = LIST.call(client, api_key=key, user_id=owner.public_id, **{name: value})
    assert (response.status_code, response.json()) == (400, {"message": f"Invalid field: {name}"})


def test_the_largest_page_accepted_answers_an_empty_page(client, owner, showroom):
    key = apikey_issue(user=owner).plaintext
    page = "9" * MAX_INT_DIGITS
    response = LIST.call(client, api_key=key, user_id=owner.public_id, page=page, limit="100")
    assert response.status_code == 200
    assert response.json()["projects"] == []


@pytest.mark.parametrize("value", HOSTILE_URLS, ids=repr)
def test_the_url_validator_refuses_hostile_urls_without_raising(value):
    parts = http_url(value)
    assert parts is None or not parts.path.endswith(".zip")


@pytest.mark.parametrize("value", [v for v in HOSTILE_URLS if "\ud800" not in v], ids=repr)
def test_hostile_file_urls_are_a_400_naming_the_field(client, owner, showroom, value):
    key = apikey_issue(user=owner).plaintext
    response = UPLOAD.call(
        client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id, fileUrl=value
    )
    assert (response.status_code, response.json()) == (400, {"message": "Invalid field: fileUrl"})
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    "value",
    [
        VALID_ZIP,
        "http://[2001:db8::1]:8080/builds/app.ZIP",
        "https://bücher.example/app.zip",
        "https://builds.example.com/app.zip?sig=a%20b&x=1",
    ],
)
def test_ordinary_file_urls_are_still_accepted(client, owner, showroom, value):
    key = apikey_issue(user=owner).plaintext
    response = UPLOAD.call(
        client, api_key=key, user_id=owner.public_id, project_id=showroom.public_id, fileUrl=value
    )
    assert response.status_code == 200, response.json()
