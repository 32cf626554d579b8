#!/usr/bin/env python3
"""Read Portrait profile events in Python (standard library only): docs/events.md.

    python3 decode_profile.py < events.jsonl     # profile event values, one JSON object per line
    python3 decode_profile.py events.jsonl

prints one JSON line per event: userId, version, schemaVersion, dim, the top interest, the
interests and top terms as objects, and the centroid as a list of floats (null for an event
written without one: profile.eventCentroid none).

The centroid of schemaVersion 2 (the default) is int8 with one scale per vector:
    {"encoding": "int8", "scale": 0.0031, "data": "<base64 of embedder.dim signed bytes>"}
component i = signed_byte(data[i]) * scale. schemaVersion 1 (profile.eventCentroid: decimal)
has it as a list of numbers. centroid_of() reads both.

schemaVersion 2 also writes interests as [label, score, share, confidence] arrays and top terms
as [term, score]; schemaVersion 1 as {"label", "score", "share", "confidence"} and
{"term", "score"} objects. interests_of() and top_terms_of() give objects (dicts) for both.

In a Kafka consumer (confluent-kafka, kafka-python, ...), per record of the profiles topic:
a null value is a tombstone (forget the user, key = userId); otherwise
    event = json.loads(value); vector = centroid_of(event); interests = interests_of(event)
"""
import base64
import json
import math
import sys
from array import array

SCHEMA_VERSIONS = (1, 2)


def centroid_of(event):
    """The event's centroid as floats (length embedder.dim), or None when the event has none."""
    if event.get("schemaVersion") not in SCHEMA_VERSIONS:
        raise ValueError(f"unsupported schemaVersion {event.get('schemaVersion')!r}")
    c = event.get("centroid")
    if c is None:
        return None
    dim = event["embedder"]["dim"]
    if isinstance(c, list):  # schemaVersion 1: decimals
        values = [float(x) for x in c]
    elif c.get("encoding") == "int8":  # schemaVersion 2: signed bytes times one scale
        q = array("b", base64.b64decode(c["data"], validate=True))
        scale = float(c["scale"])
        values = [x * scale for x in q]
    else:
        raise ValueError(f"unknown centroid encoding {c.get('encoding')!r}")
    if len(values) != dim:
        raise ValueError(f"centroid has {len(values)} components, embedder.dim is {dim}")
    return values


INTEREST_FIELDS = ("label", "score", "share", "confidence")
TERM_FIELDS = ("term", "score")


def _objects(entries, fields):
    out = []
    for e in entries or []:
        if isinstance(e, list):  # schemaVersion 2: the fields by position
            if len(e) != len(fields):
                raise ValueError(f"expected {len(fields)} items ({', '.join(fields)}), got {len(e)}")
            out.append(dict(zip(fields, e)))
        else:  # schemaVersion 1: already an object
            out.append(dict(e))
    return out


def interests_of(event):
    """The event's interests, highest score first, as dicts: label, score, share, confidence."""
    return _objects(event.get("interests"), INTEREST_FIELDS)


def top_terms_of(event):
    """The event's top terms, highest score first, as dicts: term, score."""
    return _objects(event.get("topTerms"), TERM_FIELDS)


def cosine(a, b):
    """Cosine similarity of two centroids (compare only centroids of the same embedder.id)."""
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def main(lines):
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        interests = interests_of(event)
        print(json.dumps({
            "userId": event["userId"],
            "version": event["version"],
            "schemaVersion": event["schemaVersion"],
            "dim": event["embedder"]["dim"],
            "top": interests[0]["label"] if interests else None,
            "interests": interests,
            "topTerms": top_terms_of(event),
            "centroid": centroid_of(event),
        }, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as f:
            main(f)
    else:
        main(sys.stdin)
