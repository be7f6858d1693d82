"""The team map's edge rows read back as objects, for tests."""

from __future__ import annotations

from typing import Any


def edge_objects(data: dict[str, Any]) -> list[dict[str, Any]]:
    """``/api/map/teams`` edges as ``{source, target, weight, count, pairs, channels}`` objects.

    Ends are team keys; ``channels`` keeps the channels with interactions only.
    """
    assert data["edge_fields"] == ["source", "target", "weight", "count", "pairs", "channels"]
    ids = [n["id"] for n in data["nodes"]]
    found = []
    for source, target, weight, count, pairs, per_channel in data["edges"]:
        mix = dict(zip(data["channels"], per_channel, strict=True))
        found.append({
            "source": ids[source], "target": ids[target], "weight": weight, "count": count,
            "pairs": pairs, "channels": {name: n for name, n in mix.items() if n},
        })  # fmt: skip
    return found
