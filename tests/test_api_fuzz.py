"""Schemathesis over the whole OpenAPI schema (``/api/schema/``), as every demo role and
anonymously: valid and invalid requests generated from the schema never get a 5xx.

Bounded and reproducible: a fixed number of examples per operation and kind (valid,
invalid), derandomized. It runs in the test's transaction (Django's WSGI handler called
in-process on the test connection), so whatever the generated writes create is rolled
back and no other test sees it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from tests.conftest import token_for

pytestmark = pytest.mark.django_db

ROLES = [
    None,
    "city_admin",
    "district_admin",
    "street_admin",
    "community_worker",
    "surveyor_water",
    "surveyor_green",
    "planner",
    "auditor",
]
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}


@contextmanager
def in_test_transaction() -> Iterator[None]:
    """Requests made through the WSGI handler must not close the test's connection (the
    test runs inside a transaction): close_old_connections is off while they run."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fuzz(schema: Any, headers: dict[str, str]) -> list[str]:
    """Every operation, valid then invalid examples; the 5xx answers found."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, count in EXAMPLES.items():
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(
                max_examples=count,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case: Any) -> None:
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except FailureGroup:  # collected, not raised: no shrinking, every one listed
                    failures.append(
                        f"{response.status_code} {case.method} {case.formatted_path} "
                        f"query={case.query} body={str(case.body)[:200]}"
                    )

            with suppress(Unsatisfiable):  # nothing invalid to send (no inputs)
                run()
            assert not connection.needs_rollback, f"{operation.label} left the transaction"
    return failures


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_no_request_from_the_schema_gets_a_server_error(role: str | None) -> None:
    assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
    headers = {"Authorization": f"Token {token_for(Client(), role)}"} if role else {}
    document = json.loads(Client().get("/api/schema/", HTTP_ACCEPT="application/json").content)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    # after the test client's requests: each one connects close_old_connections again
    with in_test_transaction():
        failures = fuzz(schema, headers)
    assert not failures, "\n".join(failures)
