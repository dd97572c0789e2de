"""The app against its own OpenAPI schema (schemathesis, every check), on the tiny app: no 5xx, every response
matches the schema it declares, a request valid by the schema is accepted and an invalid one refused, undeclared
methods get 405. Kept small by default; `CITEQA_SCHEMA_EXAMPLES=1500` runs about 7 700 cases (README, Security)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.app import create_app
from tests.tiny import KeywordEmbedder, build_tiny_index, tiny_settings

# The schema is read when the module is collected, but the index is only built when the tests run (the fixture
# below): the app touches its index in the lifespan, which schemathesis starts at the first call.
# (`schemathesis.openapi.from_asgi` would start the lifespan at collection, and `schemathesis.pytest.from_fixture`
# fails on pytest 9: it reads `request.node._nodeid`, which pytest 9 no longer has.)
_ROOT = Path(tempfile.mkdtemp(prefix="citeqa-schema-"))
atexit.register(shutil.rmtree, _ROOT, True)
# No rate limit: schemathesis sends far more than a caller's burst, and a 429 would hide what it tests.
_APP = create_app(tiny_settings(_ROOT / "index", rate_limit_per_min=0), embedder=KeywordEmbedder())

schema = schemathesis.openapi.from_dict(_APP.openapi())
schema.app = _APP
schema.location = "/openapi.json"


@pytest.fixture(scope="module", autouse=True)
def _tiny_index() -> None:
    build_tiny_index(_ROOT / "index")


def test_the_served_schema_is_the_one_tested() -> None:
    from fastapi.testclient import TestClient

    assert TestClient(_APP).get("/openapi.json").json() == _APP.openapi()


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("CITEQA_SCHEMA_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    chat = case.path == "/v1/chat/completions"
    # A chat request valid by the schema may still carry no question: the schema cannot say "the last user
    # message holds text once control characters are removed", and such a request gets a 422 whose detail says
    # what to fix.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance] if chat else None)
    if chat and response.status_code == 422:
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail.strip(), response.text
