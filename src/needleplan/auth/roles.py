"""API-key roles. Each role may do all that the one before it may (docs/api.md#roles)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    integration = "integration"
    front_desk = "front_desk"
    clinician = "clinician"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def may_act_as(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}
