"""API fuzzing with schemathesis, in-process over WSGI: every operation the schema lists, found at run time.

The schema is read from the app itself (`/api/schema/` on the host under test), so operations added later
are fuzzed without editing the tests. For each operation, Hypothesis draws a bounded number of requests
(positive: valid by the schema; negative: invalid on purpose), a share of them aimed at ids that exist, and
each response is checked: no 5xx, a status code the schema documents, a content type and a body that match
the schema. Failures are collected (not raised at the first one) so one run reports them all.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import checks as builtin_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

CHECKS = [
    builtin_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@dataclass
class FuzzReport:
    operations: list[str] = field(default_factory=list)
    examples: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # "METHOD path: check" -> one example
    unsatisfiable: list[str] = field(default_factory=list)

    @property
    def total_examples(self) -> int:
        return sum(self.examples.values())

    def summary(self) -> str:
        lines = [
            f"{len(self.operations)} operations, {self.total_examples} requests, "
            f"{len(self.failures)} distinct failures",
            "statuses: " + ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items())),
        ]
        lines += [f"FAIL {key}\n    {example}" for key, example in sorted(self.failures.items())]
        return "\n".join(lines)


@contextlib.contextmanager
def connections_kept():
    """Like Django's test client: a request must not close the test's connection (its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def schema_load(*, host: str, headers: dict[str, str] | None = None) -> schemathesis.BaseSchema:
    """The OpenAPI schema the app serves on `host`, bound to the app for in-process calls."""
    app = WSGIHandler()
    with connections_kept():
        return schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", app, headers={"Host": host, "Accept": "application/json", **(headers or {})}
        )


def fuzz(
    schema: schemathesis.BaseSchema,
    *,
    host: str,
    headers: dict[str, str] | None = None,
    known_ids: Callable[[str], list] | None = None,
    fixed: dict[str, object] | None = None,
    max_examples: int = 25,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    before_each: Callable[[], None] | None = None,
) -> FuzzReport:
    """Fuzz every operation of `schema` against the app on `host`.

    `fixed` pins path parameters (the storefront's public key); `known_ids(name)` lists existing values of
    a path parameter, so that about half the requests reach real rows instead of 404s.
    """
    report = FuzzReport()
    base_url = f"http://{host}"
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        report.operations.append(label)
        path_names = [p.name for p in operation.path_parameters]
        for mode in modes:
            strategies = [operation.as_strategy(generation_mode=mode, path_parameters=_pinned(path_names, fixed))]
            if known_ids and any(known_ids(name) for name in path_names if name not in (fixed or {})):
                strategies.append(
                    st.fixed_dictionaries({n: _values(n, fixed, known_ids) for n in path_names}).flatmap(
                        lambda values, mode=mode, operation=operation: operation.as_strategy(
                            generation_mode=mode, path_parameters=values
                        )
                    )
                )

            _fuzz_one(report, label, mode, strategies, base_url, headers, max_examples, before_each)
    return report


def _fuzz_one(report, label, mode, strategies, base_url, headers, max_examples, before_each) -> None:
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case):
        if before_each:
            before_each()
        cache.clear()  # the storefront throttle counts per store and IP: fuzzing is not a flood
        report.examples[label] += 1
        try:
            response = case.call(base_url=base_url, headers=headers)
        except Exception as exc:  # an exception escaping the app is a 500
            report.statuses["exception"] += 1
            report.failures.setdefault(f"{label}: exception", f"{type(exc).__name__}: {exc}"[:400])
            return
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                _record(report, label, mode, case, response, failure)
        except Failure as failure:
            _record(report, label, mode, case, response, failure)

    with connections_kept():
        try:
            run()
        except Unsatisfiable:  # nothing of this operation can be made invalid (e.g. only a pinned key)
            report.unsatisfiable.append(f"{label} [{mode.value}]")


def _pinned(names: list[str], fixed: dict | None) -> dict:
    return {name: value for name, value in (fixed or {}).items() if name in names}


def _values(name: str, fixed: dict | None, known_ids: Callable[[str], list]):
    if fixed and name in fixed:
        return st.just(fixed[name])
    known = known_ids(name)
    return st.sampled_from(known) if known else st.integers(min_value=1, max_value=10**9)


def _record(report: FuzzReport, label: str, mode, case, response, failure: Failure) -> None:
    key = f"{label}: {failure.title} ({response.status_code})"
    if key not in report.failures:
        sent = {"path": case.formatted_path, "query": case.query, "body": case.body if case.body else None}
        report.failures[key] = (
            f"[{mode.value}] sent {json.dumps(sent, default=str)[:300]} -> "
            f"{response.status_code} {response.text[:300]!r}; {failure.message[:300]}"
        )
