"""Conformance gate: every test in expected_pass.txt must still pass against the embedded engine.

With ES360_CONFORMANCE_FULL=1 the whole selection runs too and its summary line is printed.
"""

from __future__ import annotations

import os

import pytest

from tests.conformance.runner import (
    MISSING_SUITE,
    Result,
    patterns_for_ids,
    read_expected,
    regressions,
    run_cases,
    serve,
    summarize,
)
from tests.conformance.suite import Case, default_suite_path, find_suite_dir, load_cases

pytestmark = pytest.mark.conformance
ENV_FULL = "ES360_CONFORMANCE_FULL"


def _cases_to_run(full: bool, expected: list[str]) -> tuple[list[Case], set[str]]:
    """Cases for the expected ids (plus the whole selection when full) and the selection's ids."""
    suite = find_suite_dir()
    assert suite is not None
    cases = {c.id: c for c in load_cases(suite, patterns_for_ids(expected), ids=expected)} if expected else {}
    selection: set[str] = set()
    if full:
        for case in load_cases(suite):
            cases.setdefault(case.id, case)
            selection.add(case.id)
    return list(cases.values()), selection


def test_expected_conformance_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    """Run the expected-pass list on one engine; fail listing the regressions."""
    if find_suite_dir() is None:
        pytest.skip(MISSING_SUITE.format(path=default_suite_path()))
    full = os.environ.get(ENV_FULL) == "1"
    expected = read_expected()
    if not expected and not full:
        pytest.skip("expected_pass.txt lists no tests yet")
    cases, selection = _cases_to_run(full, expected)
    with serve() as url:
        results: list[Result] = run_cases(cases, url)
    if full:
        with capsys.disabled():
            print(f"\nconformance selection:\n{summarize(r for r in results if r.id in selection)}")
    lost = regressions(expected, results)
    if lost:
        pytest.fail(f"{len(lost)} conformance regression(s):\n" + "\n".join(lost), pytrace=False)
