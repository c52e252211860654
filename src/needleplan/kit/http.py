"""Small response helpers shared by the routers."""

from __future__ import annotations

from fastapi import Response

from needleplan.kit.etag import etag


def created(response: Response, location: str, version: int | None = None) -> None:
    response.headers["Location"] = location
    if version is not None:
        response.headers["ETag"] = etag(version)


def tag_version(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)
