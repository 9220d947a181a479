"""Node keys (Ed25519) and signed provenance over RFC 8785 canonical JSON.

An object that leaves its origin node carries, in Accord's property extension, the
origin node's id and its signature over the object's canonical JSON (RFC 8785, JCS)
with only the signature itself left out. Distribution and sharing group are signed
too, so a relay cannot widen what the origin allowed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from accord.intel.extension import EXTENSION_ID

JCS_INT_MAX = 2**53 - 1  # beyond it an integer has no exact IEEE 754 double (RFC 8785)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class NodeKey:
    """A node's signing key; `private` is None for a peer's (public) key."""

    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None = None

    @classmethod
    def generate(cls) -> NodeKey:
        private = Ed25519PrivateKey.generate()
        return cls(private.public_key(), private)

    @classmethod
    def from_private_text(cls, text: str) -> NodeKey:
        private = Ed25519PrivateKey.from_private_bytes(_unb64(text))
        return cls(private.public_key(), private)

    @classmethod
    def from_public_text(cls, text: str) -> NodeKey:
        try:
            return cls(Ed25519PublicKey.from_public_bytes(_unb64(text)))
        except ValueError:
            raise ValueError("not an Ed25519 public key") from None

    def private_text(self) -> str:
        assert self.private is not None
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return _b64(raw)

    def public_text(self) -> str:
        return _b64(self.public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def fingerprint(self) -> str:
        return fingerprint_of(self.public_text())

    def sign(self, data: bytes) -> str:
        assert self.private is not None, "a peer's key cannot sign"
        return _b64(self.private.sign(data))

    def verify(self, data: bytes, signature: str) -> bool:
        try:
            self.public.verify(_unb64(signature), data)
        except (InvalidSignature, ValueError):
            return False
        return True


def fingerprint_of(public_text: str) -> str:
    """SHA-256 of the raw public key, as colon-separated hex pairs (what operators compare)."""
    digest = hashlib.sha256(_unb64(public_text)).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2)).upper()


def normalize_fingerprint(text: str) -> str:
    hexdigits = "".join(c for c in text.upper() if c in "0123456789ABCDEF")
    return ":".join(hexdigits[i : i + 2] for i in range(0, len(hexdigits), 2))


def canonical(obj: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of the object without its signature."""
    extensions = obj.get("extensions")
    if not isinstance(extensions, dict):
        return jcs(obj)
    ext = extensions.get(EXTENSION_ID)
    if not isinstance(ext, dict) or "signature" not in ext:
        return jcs(obj)
    # Copies along the path to the signature only: the rest is shared, never changed.
    unsigned_ext = {k: v for k, v in ext.items() if k != "signature"}
    return jcs({**obj, "extensions": {**extensions, EXTENSION_ID: unsigned_ext}})


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON, byte for byte.

    For the values STIX objects are made of, orjson's compact output with sorted keys is
    the same bytes (same string escapes, keys in the same order when ASCII, integers
    alike), and far quicker than the general serializer, used for everything else.
    """
    if _orjson_exact(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # e.g. a lone surrogate: let RFC 8785 decide
            pass
    return rfc8785.dumps(value)


def _orjson_exact(value: Any) -> bool:
    """No floats (their formats differ), integers that RFC 8785 writes exactly, ASCII keys
    (UTF-16 and code point orders agree on them)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            for key, member in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                stack.append(member)
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not -JCS_INT_MAX <= item <= JCS_INT_MAX:
                return False
        elif kind is not str and kind is not bool and item is not None:
            return False
    return True


def sign_object(obj: dict[str, Any], key: NodeKey, origin_node: str) -> dict[str, Any]:
    """A copy of the object carrying the origin node's id and signature."""
    signed = copy.deepcopy(obj)
    ext = signed.setdefault("extensions", {}).setdefault(EXTENSION_ID, {})
    ext["origin_node"] = origin_node
    ext.pop("signature", None)
    ext["signature"] = key.sign(canonical(signed))
    return signed


def provenance(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """(origin node id, signature) as the object claims them."""
    ext = obj.get("extensions", {}).get(EXTENSION_ID)
    if not isinstance(ext, dict):
        return None, None
    origin, signature = ext.get("origin_node"), ext.get("signature")
    return (
        origin if isinstance(origin, str) else None,
        signature if isinstance(signature, str) else None,
    )


def verify_object(obj: dict[str, Any], key: NodeKey) -> bool:
    _origin, signature = provenance(obj)
    return signature is not None and key.verify(canonical(obj), signature)
