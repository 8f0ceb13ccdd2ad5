"""Schemathesis over the whole OpenAPI schema (``/api/schema/``), as every demo role and
anonymously: valid and invalid requests generated from the schema never get a 5xx.

Bounded and reproducible: a fixed number of examples per operation and kind (valid,
invalid), derandomized. It runs in the test's transaction (Django's WSGI handler called
in-process on the test connection), so whatever the generated writes create is rolled
back and no other test sees it."""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from tests.conftest import DEMO_ACCOUNTS, in_test_transaction, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROLES = [None, *DEMO_ACCOUNTS]
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}


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
