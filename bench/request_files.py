"""Request files for wrk: what each target sends, one request per sampled credential.

Each target is a method, a path, headers and bodies, written under bench/out for the Lua
scripts in bench/lua; the peers' targets (djangorestframework-api-key, knox) likewise.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.config import OUT

JSON_HEADERS = ["Content-Type: application/json", "X-Forwarded-Proto: https"]


def verify_body(c: dict, access: str) -> dict:
    """Read: own project or the membership's (FULL or READONLY); write: own or FULL."""
    project = c["own_project"]
    if c["member_project"] and (access == "read" or c["member_role"] == "FULL"):
        project = c["member_project"]
    return {"apiKey": c["api_key"], "userId": c["user_id"], "projectId": project, "access": access}


def read_projects(creds: list[dict]) -> list[int]:
    """Ids of the projects the read targets ask for (bench user i owns project i; see seed)."""
    return sorted({c["index"] - {2: 1, 3: 2}.get(c["index"] % 4, 0) for c in creds})


def write_requests(name: str, headers: list[str], rows: list[tuple[str, str, str]]) -> Path:
    path = OUT / f"requests-{name}.txt"
    with path.open("w") as f:
        for header in headers:
            f.write(f"H\t{header}\n")
        for method, url, body in rows:
            f.write(f"R\t{method}\t{url}\t{body}\n")
    return path


def compact_json(body: dict) -> str:
    """A request body as the files carry it: JSON without spaces."""
    return json.dumps(body, separators=(",", ":"))


def targets_for(seeded: dict, creds: list[dict], suffix: str = "") -> dict[str, dict]:
    from urllib.parse import urlencode

    token = seeded["service_token"]
    bearer = [*JSON_HEADERS, f"Authorization: Bearer {token}"]

    def post(path: str, bodies: list[dict]) -> list[tuple[str, str, str]]:
        return [("POST", path, compact_json(b)) for b in bodies]

    read_bodies = [verify_body(c, "read") for c in creds]
    write_bodies = [verify_body(c, "write") for c in creds]
    targets = {
        "plain": {
            "file": write_requests(
                "plain" + suffix, JSON_HEADERS, post("/bench/plain", read_bodies)
            ),
            "expect": 200,
        },
        "drf": {
            "file": write_requests("drf" + suffix, JSON_HEADERS, post("/bench/drf", read_bodies)),
            "expect": 200,
        },
        "verify_read": {
            "file": write_requests(
                "verify-read" + suffix, bearer, post("/internal/v1/verify", read_bodies)
            ),
            "expect": 200,
        },
        "verify_write": {
            "file": write_requests(
                "verify-write" + suffix, bearer, post("/internal/v1/verify", write_bodies)
            ),
            "expect": 200,
        },
        "project_detail": {
            "file": write_requests(
                "project-detail" + suffix,
                ["X-Forwarded-Proto: https"],
                [
                    (
                        "GET",
                        f"/pixelStripeApi/projects/{b['projectId']}?"
                        + urlencode({"userId": b["userId"], "apikey": b["apiKey"]}),
                        "",
                    )
                    for b in read_bodies
                ],
            ),
            "expect": 200,
        },
    }
    # The same requests against the bare project (its server is set by main()).
    targets["bare_plain"] = {"file": targets["plain"]["file"], "expect": 200}
    if suffix:
        return targets
    upload = [
        {k: v for k, v in b.items() if k != "access"}
        | {"fileUrl": "https://cdn.example.com/builds/bench.zip", "autoRelease": True}
        for b in write_bodies
    ]
    targets["upload_check"] = {
        "file": write_requests(
            "upload-check",
            JSON_HEADERS,
            post(
                "/pixelStripeApi/projects/upload-file",
                [u | {"fileUrl": "ftp://x/a.txt"} for u in upload],
            ),
        ),
        # every check of rows 1-12 passes; the invalid fileUrl stops it before any write
        "expect": 400,
    }
    targets["upload_real"] = {
        "file": write_requests(
            "upload-real", JSON_HEADERS, post("/pixelStripeApi/projects/upload-file", upload)
        ),
        "expect": 200,
    }
    small = {c["index"]: c for c in creds}
    # djangorestframework-api-key in its own bare project (bench/bare/settings_apikey.py). The
    # in-stack peers (bench/views.py, inside keyservice's server) are no longer measured: they
    # pay the dashboard's middleware chain, which the APIs no longer do (core/chains.py).
    targets["bare_apikey"] = {
        "file": write_peer(
            "peer-apikey", "/bench/peer-apikey", "Api-Key", seeded["api_keys"], small
        ),
        "expect": 200,
    }
    targets["verify_read_nocache"] = {**targets["verify_read"]}
    targets["verify_read_nousage"] = {**targets["verify_read"]}
    return targets


def write_peer(name: str, path: str, scheme: str, secrets_by_user: dict, creds: dict) -> Path:
    out = OUT / f"requests-{name}.txt"
    with out.open("w") as f:
        for header in JSON_HEADERS:
            f.write(f"H\t{header}\n")
        for uid, secret in secrets_by_user.items():
            b = verify_body(creds[uid], "read")
            b.pop("apiKey")
            f.write(f"R\tPOST\t{path}\t{compact_json(b)}\tAuthorization: {scheme} {secret}\n")
    return out
