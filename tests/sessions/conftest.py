"""The clinic the session tests book into: two providers, so moves have somewhere to go."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Headers
from tests.factories import Clinic, make_clinic


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin, providers=2)
