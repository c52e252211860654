"""Ids are version-7 UUIDs that increase strictly within a process (kit/ids.py)."""

from __future__ import annotations

import uuid

from needleplan.kit.ids import new_id


def test_ids_made_one_after_another_sort_in_that_order() -> None:
    # Thousands fall within single milliseconds: random bits alone would misorder some.
    ids = [new_id() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_an_id_is_a_version_7_rfc_9562_uuid() -> None:
    parsed = uuid.UUID(new_id())
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
