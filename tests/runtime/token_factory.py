"""Tokens for the authorizer tests: well-formed ones and every kind of wrong one, plus a JWKS
endpoint on loopback serving RSA and EC public keys generated in the test session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.runtime.loopback import LoopbackHTTPServer

HS256_SECRET = "k" * 20 + "-test-signing-key-0123456789"  # 48 bytes
OTHER_SECRET = "o" * 20 + "-another-signing-key-98765432"
ISSUER = "https://issuer.example.test/"
AUDIENCE = "alexho-invoice"


def claims(
    user_type: str | None = "CUSTOMER",
    customer_id: object = "cust-42",
    *,
    sub: str | None = "user-1",
    lifetime: int = 300,
    **extra: object,
) -> dict[str, Any]:
    """Claims of a token valid for ``lifetime`` seconds; ``None`` leaves a claim out."""
    now = int(time.time())
    payload: dict[str, Any] = {"iat": now, "exp": now + lifetime, **extra}
    for name, value in (("sub", sub), ("userType", user_type), ("customerId", customer_id)):
        if value is not None:
            payload[name] = value
    return payload


def hs256(payload: Mapping[str, Any], secret: str = HS256_SECRET) -> str:
    """An HS256 token."""
    return jwt.encode(dict(payload), secret, algorithm="HS256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: Mapping[str, Any]) -> str:
    """An ``alg: none`` token (no signature)."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(dict(payload)).encode())}."


def hmac_signed_with(payload: Mapping[str, Any], secret: bytes, kid: str | None = None) -> str:
    """An HS256 token signed by hand with ``secret`` (PyJWT refuses a PEM key as HMAC secret,
    which is exactly the algorithm-confusion attack this builds)."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(dict(payload)).encode())}"
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def tamper_signature(token: str) -> str:
    """The same token with a different (invalid) signature."""
    head, payload, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    return f"{head}.{payload}.{flipped}{signature[1:]}"


@dataclass
class SigningKey:
    """A private key with its ``kid`` and algorithm, and its public JWK."""

    kid: str
    algorithm: str
    private_key: Any
    jwk: dict[str, Any]

    def sign(self, payload: Mapping[str, Any], kid: str | None = None) -> str:
        """A token signed with this key (header ``kid`` overridable)."""
        return jwt.encode(
            dict(payload),
            self.private_key,
            algorithm=self.algorithm,
            headers={"kid": kid or self.kid},
        )

    def public_pem(self) -> bytes:
        """The public key in PEM (what an algorithm-confusion attacker uses as HMAC secret)."""
        pem: bytes = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem


def rsa_key(kid: str = "rsa-1") -> SigningKey:
    """A fresh RSA-2048 key for RS256."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "RS256", private, {**jwk, "kid": kid, "use": "sig", "alg": "RS256"})


def ec_key(kid: str = "ec-1") -> SigningKey:
    """A fresh P-256 key for ES256."""
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "ES256", private, {**jwk, "kid": kid, "use": "sig", "alg": "ES256"})


@dataclass
class JwksEndpoint:
    """A JWKS document served on loopback; counts how often it was fetched."""

    keys: list[dict[str, Any]]
    url: str = ""
    fetches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class JwksServer:
    """Serves a :class:`JwksEndpoint` at ``http://127.0.0.1:<port>/.well-known/jwks.json``."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.endpoint = JwksEndpoint(keys=keys)
        endpoint = self.endpoint

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Silence the default stderr access log."""

            def do_GET(self) -> None:
                with endpoint.lock:
                    endpoint.fetches += 1
                    body = json.dumps({"keys": endpoint.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = LoopbackHTTPServer(Handler)
        endpoint.url = f"{self._server.base_url}/.well-known/jwks.json"

    def __enter__(self) -> JwksEndpoint:
        self._server.start()
        return self.endpoint

    def __exit__(self, *_: object) -> None:
        self._server.stop()
