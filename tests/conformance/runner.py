"""Conformance runner: replays Elastic's YAML REST tests against the embedded engine (or a URL).

Usage::

    python -m tests.conformance.runner --report [-v] [--folders core/search,core/bulk]
        [--filter TEXT] [--url URL] [--all] [--write-expected] [--check] [--json FILE]

Public functions: find_suite_dir, load_cases, serve, run_cases, summarize, format_report,
read_expected, write_expected, regressions, main.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from elasticsearch import TransportError, UnsupportedProductError

from tests.conformance.api import ApiResult, Backend, ParamError
from tests.conformance.matching import (
    AssertionFailure,
    Stash,
    check_close_to,
    check_compare,
    check_contains,
    check_exists,
    check_length,
    check_match,
    check_true,
    is_regex,
    lookup,
    regex_matches,
    short,
    split_path,
    transform_value,
)
from tests.conformance.skips import (
    DEFAULT_ENGINE_VERSION,
    Environment,
    file_requires_reason,
    steps_skip_reason,
)
from tests.conformance.suite import (
    EXPECTED_FILE,
    Case,
    default_suite_path,
    find_suite_dir,
    load_cases,
    read_list,
)

__all__ = [
    "Result",
    "find_suite_dir",
    "format_report",
    "load_cases",
    "main",
    "read_expected",
    "regressions",
    "run_cases",
    "serve",
    "summarize",
    "write_expected",
]

PASS, FAIL, SKIP = "pass", "fail", "skip"
CATCH_STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "missing": 404,
    "request_timeout": 408,
    "conflict": 409,
    "unavailable": 503,
}
# 7.x-era assertions on mapping types; 8.x has no `_type`, so `match`/`is_true` on it are not checked.
LEGACY_FIELDS = frozenset({"_type"})
IGNORED_DO_KEYS = (
    "warnings",
    "allowed_warnings",
    "warnings_regex",
    "allowed_warnings_regex",
    "node_selector",
)
MISSING_SUITE = "Elastic's YAML REST tests not found at {path}; set ES360_CONFORMANCE_DIR"


@dataclass
class Result:
    """Outcome of one test case."""

    id: str
    folder: str
    outcome: str
    reason: str = ""
    commit: str | None = None


class Executor:
    """Runs test cases step by step against a backend."""

    def __init__(self, backend: Any, env: Environment) -> None:
        self.backend = backend
        self.env = env
        self.handlers = self._handlers()

    def run_case(self, case: Case) -> Result:
        """Skip, or wipe state and run setup, the test and teardown."""
        reason = (
            file_requires_reason(case.file_requires)
            or steps_skip_reason(case.setup, self.env)
            or steps_skip_reason(case.steps, self.env)
        )
        if reason:
            return Result(case.id, case.folder, SKIP, reason, case.commit)
        self.backend.wipe()
        stash = Stash()
        failure = self._run_sections(case, stash)
        teardown_failure = self._run_section("teardown", case.teardown, stash)
        failure = failure or (teardown_failure and f"teardown: {teardown_failure}")
        outcome = FAIL if failure else PASS
        return Result(case.id, case.folder, outcome, " ".join((failure or "").split()), case.commit)

    def _run_sections(self, case: Case, stash: Stash) -> str | None:
        return self._run_section("setup", case.setup, stash) or self._run_section("test", case.steps, stash)

    def _run_section(self, label: str, steps: Sequence[dict[str, Any]], stash: Stash) -> str | None:
        for number, step in enumerate(steps, start=1):
            try:
                self.run_step(step, stash)
            except AssertionFailure as exc:
                return f"{label} step {number}: {exc}"
            except UnsupportedProductError:
                raise
            except TransportError as exc:
                return f"{label} step {number}: transport error: {short(str(exc))}"
            except Exception as exc:  # a runner or data problem must not stop the whole run
                return f"{label} step {number}: runner error: {type(exc).__name__}: {short(str(exc))}"
        return None

    def run_step(self, step: dict[str, Any], stash: Stash) -> None:
        """Execute one step (a single-key mapping)."""
        for kind, arg in step.items():
            handler = self.handlers.get(kind)
            if handler is None:
                raise AssertionFailure(f"unsupported step {kind!r}")
            handler(arg, stash)

    def _handlers(self) -> dict[str, Callable[[Any, Stash], None]]:
        return {
            "do": self._do,
            "match": lambda a, s: self._each(a, s, check_match),
            "length": lambda a, s: self._each(a, s, check_length),
            "contains": lambda a, s: self._each(a, s, check_contains),
            "close_to": lambda a, s: self._each(a, s, check_close_to),
            "gt": lambda a, s: self._each(a, s, lambda p, e, v: check_compare("gt", p, e, v)),
            "gte": lambda a, s: self._each(a, s, lambda p, e, v: check_compare("gte", p, e, v)),
            "lt": lambda a, s: self._each(a, s, lambda p, e, v: check_compare("lt", p, e, v)),
            "lte": lambda a, s: self._each(a, s, lambda p, e, v: check_compare("lte", p, e, v)),
            "is_true": lambda a, s: None if _is_legacy(a) else check_true(_text(a), self._value(a, s), True),
            "is_false": lambda a, s: check_true(_text(a), self._value(a, s), False),
            "exists": lambda a, s: check_exists(_text(a), self._value(a, s), True),
            "not_exists": lambda a, s: check_exists(_text(a), self._value(a, s), False),
            "set": self._set,
            "transform_and_set": self._transform_and_set,
            "skip": lambda a, s: None,
            "requires": lambda a, s: None,
        }

    @staticmethod
    def _value(path: Any, stash: Stash) -> Any:
        text = _text(path)
        if text.startswith("$") and text[1:] in stash.values:
            return stash.values[text[1:]]  # `match: {$first_created: ...}` checks the stashed value itself
        return lookup(stash.last_body, text, stash)

    def _each(self, arg: Any, stash: Stash, check: Callable[[str, Any, Any], None]) -> None:
        if not isinstance(arg, dict):
            raise AssertionFailure(f"assertion needs a mapping, got {short(arg)}")
        for path, expected in arg.items():
            path_text = _text(path)
            if check is check_match and _is_legacy(path_text):
                continue
            check(path_text or "$body", stash.substitute(expected), self._value(path_text, stash))

    @staticmethod
    def _set(arg: Any, stash: Stash) -> None:
        for path, name in (arg or {}).items():
            stash.set(str(name), lookup(stash.last_body, str(path), stash))

    @staticmethod
    def _transform_and_set(arg: Any, stash: Stash) -> None:
        for name, expression in (arg or {}).items():
            stash.set(str(name), transform_value(str(expression), stash))

    def _do(self, arg: Any, stash: Stash) -> None:
        spec = dict(arg or {})
        catch = stash.substitute(spec.pop("catch", None))
        headers = stash.substitute(spec.pop("headers", None) or {})
        for key in IGNORED_DO_KEYS:
            spec.pop(key, None)
        if len(spec) != 1:
            raise AssertionFailure(f"do: expected exactly one API, got {sorted(spec)}")
        ((api, args),) = spec.items()
        try:
            result = self.backend.call(
                api, stash.substitute(args or {}), headers, catch_param=catch == "param"
            )
        except ParamError as exc:
            if catch == "param":
                stash.last_body = None
                return
            raise AssertionFailure(f"{api}: {exc}") from exc
        stash.last_body = result.body
        check_catch(api, catch, result)


def _text(path: Any) -> str:
    """A YAML path key as text (an empty key means the whole body)."""
    return "" if path is None else str(path)


def _is_legacy(path: Any) -> bool:
    """A path ending in a legacy field such as `_type`."""
    parts = split_path(_text(path))
    return bool(parts) and parts[-1] in LEGACY_FIELDS


def check_catch(api: str, catch: Any, result: ApiResult) -> None:
    """Compare a call's outcome with its `catch` (None: the call must succeed)."""
    if catch is None:
        if result.is_error:
            raise AssertionFailure(f"{api} returned {result.status}: {error_summary(result)}")
        return
    catch_text = str(catch)
    if catch_text in CATCH_STATUS:
        if result.status != CATCH_STATUS[catch_text]:
            raise AssertionFailure(
                f"{api}: expected {catch_text} ({CATCH_STATUS[catch_text]}), got {_status(result)}"
            )
        return
    if not result.is_error:
        raise AssertionFailure(f"{api}: expected error {short(catch_text)}, got {_status(result)}")
    if catch_text == "param":
        if result.status != 400:
            raise AssertionFailure(f"{api}: expected a parameter error, got {_status(result)}")
    elif catch_text == "request":
        return
    elif is_regex(catch_text):
        if not regex_matches(catch_text, result.error_text, comments=False):
            raise AssertionFailure(
                f"{api}: error does not match {short(catch_text)}: {error_summary(result)}"
            )
    elif catch_text not in result.error_text:
        raise AssertionFailure(f"{api}: expected error {catch_text!r}, got {error_summary(result)}")


def _status(result: ApiResult) -> str:
    return f"status {result.status}" + (f" ({error_summary(result)})" if result.is_error else "")


def error_summary(result: ApiResult) -> str:
    """`type: reason` of an error body, else a short rendering of it."""
    body = result.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return short(f"{error.get('type')}: {error.get('reason')}")
    return short(body)


@contextmanager
def serve(url: str | None = None) -> Iterator[str]:
    """Yield `url`, or start the embedded engine in a temporary data dir and yield its URL."""
    if url:
        yield url.rstrip("/")
        return
    from es360.embedded.server import start_server

    with tempfile.TemporaryDirectory(prefix="es360-conformance-") as data_dir:
        server = start_server(data_dir, port=0)
        try:
            yield server.url
        finally:
            server.stop()


def run_cases(
    cases: Iterable[Case], url: str, on_result: Callable[[Result], None] | None = None
) -> list[Result]:
    """Run cases against the server at `url`; client warnings are silenced."""
    backend = Backend(url)
    env = Environment(
        version=backend.engine_version() or DEFAULT_ENGINE_VERSION, capabilities=backend.has_capabilities
    )
    executor = Executor(backend, env)
    results: list[Result] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            result = executor.run_case(case)
            results.append(result)
            if on_result:
                on_result(result)
    return results


def summarize(results: Iterable[Result]) -> str:
    """'N passed, M failed, K skipped'."""
    counts = {PASS: 0, FAIL: 0, SKIP: 0}
    for result in results:
        counts[result.outcome] += 1
    return f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts[SKIP]} skipped"


def format_report(results: Sequence[Result], verbose: bool = False, per_folder: bool = True) -> list[str]:
    """Lines: failures (when verbose), a summary per folder (when per_folder), then the overall one."""
    lines = [f"FAIL {r.id}: {r.reason}" for r in results if verbose and r.outcome == FAIL]
    folders: dict[str, list[Result]] = {}
    for result in results:
        folders.setdefault(result.folder, []).append(result)
    if per_folder:
        lines += [f"{folder}: {summarize(group)}" for folder, group in sorted(folders.items())]
    return [*lines, summarize(results)]


def read_expected(path: Path = EXPECTED_FILE) -> list[str]:
    """Ids in the expected-pass list."""
    return read_list(path)


def write_expected(results: Iterable[Result], path: Path = EXPECTED_FILE) -> list[str]:
    """Rewrite the expected-pass list: ids run now take their new outcome, others are kept."""
    results = list(results)
    ran = {r.id for r in results}
    kept = {i for i in read_expected(path) if i not in ran}
    ids = sorted(kept | {r.id for r in results if r.outcome == PASS})
    header = "# Conformance tests expected to pass. Regenerate: python -m tests.conformance.runner --write-expected\n"
    path.write_text(header + "".join(f"{i}\n" for i in ids), encoding="utf-8")
    return ids


def regressions(expected: Iterable[str], results: Iterable[Result]) -> list[str]:
    """Expected ids that did not pass, with their reason (ids no longer found are listed too)."""
    by_id = {r.id: r for r in results}
    lines = []
    for case_id in expected:
        result = by_id.get(case_id)
        if result is None:
            lines.append(f"{case_id}: not found in the suite")
        elif result.outcome != PASS:
            lines.append(f"{case_id}: {result.outcome}: {result.reason}")
    return lines


def patterns_for_ids(ids: Iterable[str]) -> list[str]:
    """Selection patterns (folder/file) covering the files of the given ids."""
    patterns = set()
    for case_id in ids:
        file_part = case_id.split("::", 1)[0]
        patterns.add(file_part.removeprefix("elasticsearch/"))
    return sorted(patterns)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.conformance.runner", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--report", action="store_true", help="print per-folder pass/fail/skip counts")
    parser.add_argument("--folders", help="comma-separated folder keys or globs (default: selection.txt)")
    parser.add_argument("--all", action="store_true", help="run every folder, ignoring selection.txt")
    parser.add_argument("--filter", help="only test ids containing this text")
    parser.add_argument("--url", help="use an already-running server instead of the embedded engine")
    parser.add_argument(
        "--suite", help="suite directory (default: ES360_CONFORMANCE_DIR or ../shared/es-conformance)"
    )
    parser.add_argument(
        "--write-expected", action="store_true", help="rewrite expected_pass.txt from this run"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when an expected-pass test does not pass"
    )
    parser.add_argument("--json", help="write per-test results (with source commits) to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print failure reasons")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    args = _parse_args(argv)
    suite = Path(args.suite) if args.suite else find_suite_dir()
    if suite is None or not suite.is_dir():
        print("skipped: " + MISSING_SUITE.format(path=args.suite or default_suite_path()))
        return 0
    folders = args.folders.split(",") if args.folders else (["*"] if args.all else None)
    cases = load_cases(suite, folders, args.filter)
    try:
        with serve(args.url) as url:
            results = run_cases(cases, url)
    except UnsupportedProductError:
        print(
            "error: the server does not answer with 'X-Elastic-Product: Elasticsearch'; the client refuses it"
        )
        return 2
    except ImportError as exc:
        print(f"error: the embedded engine cannot be imported ({exc}); use --url to test a running server")
        return 2
    print("\n".join(format_report(results, args.verbose, args.report)))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    if args.write_expected:
        write_expected(results)
    if args.check:
        missing = regressions([i for i in read_expected() if i in {c.id for c in cases}], results)
        for line in missing:
            print(f"REGRESSION {line}", file=sys.stderr)
        return 1 if missing else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
