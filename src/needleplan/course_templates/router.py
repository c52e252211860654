from __future__ import annotations

from needleplan.kit.transaction import v1_router

router = v1_router(prefix="/course-templates", tags=["course-templates"])
