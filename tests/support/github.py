"""A stand-in for GitHub's secret scanning: a local HTTP server publishing its public keys
(the JSON of https://api.github.com/meta/public_keys/secret_scanning) on 127.0.0.1, and the
private keys to sign reports with, as GitHub does (ECDSA P-256, SHA-256, base64 DER)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEYS_PATH = "/meta/public_keys/secret_scanning"


@dataclass(frozen=True)
class SigningKey:
    identifier: str
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        private = ec.generate_private_key(ec.SECP256R1())
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(identifier=hashlib.sha256(der).hexdigest(), private=private)

    @property
    def pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


class FakeGithubKeys:
    """Serves `{"public_keys": [...]}` of `published` at `url`; counts the fetches."""

    def __init__(self) -> None:
        self.published: list[SigningKey] = [SigningKey.generate()]
        self.fetches = 0
        self.status = 200
        self.extra_keys: list[dict] = []  # further entries, as published (tests of odd ones)
        self.padding = 0  # bytes of whitespace appended to the document
        self._lock = threading.Lock()
        keys = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with keys._lock:
                    keys.fetches += 1
                    body = json.dumps(keys.document()).encode() + b" " * keys.padding
                    status = keys.status
                if self.path != KEYS_PATH:
                    status, body = 404, b'{"message": "Not Found"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def current(self) -> SigningKey:
        return self.published[-1]

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}{KEYS_PATH}"

    def document(self) -> dict:
        return {
            "public_keys": [
                {"key_identifier": k.identifier, "key": k.pem, "is_current": k is self.current}
                for k in self.published
            ]
            + self.extra_keys
        }

    def rotate(self) -> SigningKey:
        """GitHub publishes a new current key (the old one stays listed)."""
        key = SigningKey.generate()
        with self._lock:
            self.published.append(key)
        return key

    def start(self) -> FakeGithubKeys:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
