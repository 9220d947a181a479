"""Offline exchange: signed bundles for networks with no link between the nodes.

`accord export --for-node N` writes a STIX 2.1 bundle of exactly what a full pull by N
would fetch (the newest published version of each object `egress.sending_condition`
lets go to N, oldest first), each object in its travelling form, signed by its origin
node (egress.py). The bundle itself carries one more property, `x_accord_federation`:

    {"from_node": <this node's id>, "for_node": <N's id>, "created": <timestamp>,
     "count": <number of objects>, "signature": <Ed25519, base64url>}

where the signature is this node's, over the RFC 8785 canonical JSON of the whole
bundle with only that `signature` left out. `accord import FILE` on N recognises the
property, checks that the bundle is for N, comes from a node known here, and that its
signature verifies, before anything is written; then every object goes through
`ingress.receive` for the sending node, in one write transaction, exactly as if it had
been pulled. A changed value, a truncated file or a missing signature: nothing is
written.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

import orjson
import rfc8785
from sqlalchemy import select

from accord.db import Database
from accord.db.base import utcnow
from accord.errors import Invalid
from accord.federation import egress
from accord.federation.ingress import ReceiveResult, receive
from accord.federation.service import find_node, local_key
from accord.federation.signing import NodeKey
from accord.intel import timestamps
from accord.intel.models import StixObject
from accord.organizations.models import Node

FEDERATION = "x_accord_federation"
_PAGE = 1000


def is_federation_bundle(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("type") == "bundle" and FEDERATION in payload


def _canonical(bundle: dict[str, Any]) -> bytes:
    unsigned = dict(bundle)
    unsigned[FEDERATION] = {k: v for k, v in bundle[FEDERATION].items() if k != "signature"}
    return bytes(rfc8785.dumps(unsigned))


def _pending(db: Database, node_id: str, moment: datetime) -> list[int]:
    with db.read() as session:
        send = egress.policy(session, node_id)
        o = StixObject
        return list(
            session.scalars(
                select(o.pk)
                .where(o.is_latest_published.is_(True), egress.condition_for(send, moment))
                .order_by(o.pk)
            )
        )


def export_for_node(db: Database, node: str, out: IO[bytes]) -> int:
    """Write the signed bundle for peer `node` (name or id); returns the object count."""
    moment = utcnow()
    with db.read() as session:
        target = find_node(session, node).id
        local, key = local_key(session)
        local_id = local.id
    pks = _pending(db, target, moment)
    objects: list[dict[str, Any]] = []
    for start in range(0, len(pks), _PAGE):
        page = pks[start : start + _PAGE]
        texts = egress.serve(db, page)
        objects += [orjson.loads(texts[pk]) for pk in page if pk in texts]
    bundle: dict[str, Any] = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": objects,
        FEDERATION: {
            "from_node": local_id,
            "for_node": target,
            "created": timestamps.format_stix(moment),
            "count": len(objects),
        },
    }
    bundle[FEDERATION]["signature"] = key.sign(_canonical(bundle))
    out.write(orjson.dumps(bundle))
    out.write(b"\n")
    return len(objects)


@dataclass(frozen=True)
class Verified:
    sender: str
    objects: Sequence[Any]


def verify_bundle(db: Database, bundle: dict[str, Any]) -> Verified:
    """The sending node and the objects of a federation bundle, or Invalid (nothing read)."""
    meta = bundle.get(FEDERATION)
    if not isinstance(meta, dict):
        raise Invalid(f"not a federation bundle: {FEDERATION} is missing")
    signature, sender, target = meta.get("signature"), meta.get("from_node"), meta.get("for_node")
    if not isinstance(signature, str) or not signature:
        raise Invalid("the federation bundle is not signed: refused, nothing imported")
    objects = bundle.get("objects")
    if not isinstance(objects, list) or meta.get("count") != len(objects):
        raise Invalid("the federation bundle is incomplete: refused, nothing imported")
    with db.read() as session:
        local, _key = local_key(session)
        if target != local.id:
            raise Invalid("the federation bundle was made for another node: nothing imported")
        node = session.get(Node, sender) if isinstance(sender, str) else None
        public = node.public_key if node is not None and not node.is_local else None
    if public is None:
        raise Invalid("the federation bundle comes from a node not known here: nothing imported")
    if not NodeKey.from_public_text(public).verify(_canonical(bundle), signature):
        raise Invalid(
            "the federation bundle's signature does not verify (altered or forged): "
            "nothing imported"
        )
    assert isinstance(sender, str)
    return Verified(sender, objects)


def import_bundle(
    db: Database, bundle: dict[str, Any], *, future_tolerance: timedelta = timedelta(minutes=5)
) -> tuple[str, ReceiveResult]:
    """Verify, then receive every object for the sending node in one transaction."""
    verified = verify_bundle(db, bundle)
    with db.write() as session:
        result = receive(
            session,
            verified.sender,
            verified.objects,
            moment=utcnow(),
            future_tolerance=future_tolerance,
        )
        sender = session.get(Node, verified.sender)
        name = sender.name if sender is not None else verified.sender
    return name, result
