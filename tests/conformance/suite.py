"""Locate Elastic's YAML REST tests, parse them into test cases and select the ones in scope.

The YAML files are test data read at run time from ``../shared/es-conformance``; nothing from
them is copied into this repository.
"""

from __future__ import annotations

import csv
import fnmatch
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SELECTION_FILE = HERE / "selection.txt"
EXPECTED_FILE = HERE / "expected_pass.txt"
ENV_SUITE_DIR = "ES360_CONFORMANCE_DIR"

_CORE_MARKER = "rest-api-spec/src/yamlRestTest/resources/rest-api-spec/test/"
_CLIENTS_MARKER = "clients-tests/tests/"


@dataclass(frozen=True)
class Case:
    """One named test of one YAML file, with the file's setup and teardown."""

    id: str
    folder: str
    path: Path
    name: str
    steps: tuple[dict[str, Any], ...]
    setup: tuple[dict[str, Any], ...] = ()
    teardown: tuple[dict[str, Any], ...] = ()
    file_requires: dict[str, Any] = field(default_factory=dict)
    commit: str | None = None


class ParseError(ValueError):
    """A YAML test file that does not have the expected shape."""


def find_suite_dir() -> Path | None:
    """The es-conformance folder: env ES360_CONFORMANCE_DIR, else <repo>/../shared/es-conformance."""
    configured = os.environ.get(ENV_SUITE_DIR)
    candidate = Path(configured) if configured else REPO_ROOT.parent / "shared" / "es-conformance"
    return candidate if candidate.is_dir() else None


def default_suite_path() -> Path:
    """Where the suite is looked for (for messages)."""
    configured = os.environ.get(ENV_SUITE_DIR)
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "es-conformance"


class _PureLoader(yaml.SafeLoader):
    """SafeLoader closer to the YAML parser Elasticsearch uses: no timestamps, no sexagesimal ints."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml-backed variant of _PureLoader (libyaml rejects a few files the pure parser reads)."""


def _build_resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    dropped = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int"}
    table = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in dropped]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    int_rx = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?(?:0|[1-9][0-9_]*))$")
    for first in "-+0123456789":
        table.setdefault(first, []).append(("tag:yaml.org,2002:int", int_rx))
    return table


_PureLoader.yaml_implicit_resolvers = _build_resolvers()
_FastLoader.yaml_implicit_resolvers = _build_resolvers()


def load_documents(text: str) -> list[Any]:
    """All YAML documents of a test file, empty ones dropped."""
    try:
        docs = list(yaml.load_all(text, Loader=_FastLoader))
    except yaml.YAMLError:
        docs = list(yaml.load_all(text, Loader=_PureLoader))
    return [doc for doc in docs if doc is not None]


def folder_key(rel_path: str) -> str:
    """Short folder key of a file path relative to the suite root (core/search, ingest, clients/bulk)."""
    rel = rel_path.replace(os.sep, "/")
    parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
    if _CORE_MARKER in rel:
        return "core/" + rel.split(_CORE_MARKER, 1)[1].rsplit("/", 1)[0]
    if rel.startswith(_CLIENTS_MARKER):
        inner = rel[len(_CLIENTS_MARKER) :]
        return "clients/" + inner.rsplit("/", 1)[0] if "/" in inner else "clients"
    return parent.rsplit("/", 1)[-1]


def case_id(rel_path: str, name: str) -> str:
    """Stable id: elasticsearch/<folder key>/<file>::<test> or clients/<folder>/<file>::<test>."""
    key = folder_key(rel_path)
    file_name = rel_path.replace(os.sep, "/").rsplit("/", 1)[-1]
    prefix = key if key.startswith("clients") else f"elasticsearch/{key}"
    return f"{prefix}/{file_name}::{name.strip()}"


def parse_file(path: Path, rel_path: str, commit: str | None = None) -> list[Case]:
    """Parse one YAML test file into cases (setup/teardown attached to each)."""
    docs = load_documents(path.read_text(encoding="utf-8"))
    file_requires: dict[str, Any] = {}
    setup: tuple[dict[str, Any], ...] = ()
    teardown: tuple[dict[str, Any], ...] = ()
    tests: list[tuple[str, tuple[dict[str, Any], ...]]] = []
    for doc in docs:
        if not isinstance(doc, dict):
            raise ParseError(f"{rel_path}: a document is not a mapping")
        for name, body in doc.items():
            if name == "requires" and isinstance(body, dict):
                file_requires = dict(body)
            elif name == "setup":
                setup = _steps(body, rel_path, name)
            elif name == "teardown":
                teardown = _steps(body, rel_path, name)
            else:
                tests.append((str(name), _steps(body, rel_path, str(name))))
    return _make_cases(rel_path, path, tests, setup, teardown, file_requires, commit)


def _steps(body: Any, rel_path: str, name: str) -> tuple[dict[str, Any], ...]:
    if body is None:
        return ()
    if not isinstance(body, list) or not all(isinstance(s, dict) for s in body):
        raise ParseError(f"{rel_path}: section {name!r} is not a list of steps")
    return tuple(body)


def _make_cases(
    rel_path: str,
    path: Path,
    tests: list[tuple[str, tuple[dict[str, Any], ...]]],
    setup: tuple[dict[str, Any], ...],
    teardown: tuple[dict[str, Any], ...],
    file_requires: dict[str, Any],
    commit: str | None,
) -> list[Case]:
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for name, steps in tests:
        cid = case_id(rel_path, name)
        seen[cid] = seen.get(cid, 0) + 1
        if seen[cid] > 1:
            cid = f"{cid} ({seen[cid]})"
        cases.append(
            Case(cid, folder_key(rel_path), path, name, steps, setup, teardown, file_requires, commit)
        )
    return cases


def read_manifest(suite_dir: Path) -> dict[str, str]:
    """local_path -> source commit, from MANIFEST.tsv (empty when absent)."""
    manifest = suite_dir / "MANIFEST.tsv"
    if not manifest.is_file():
        return {}
    with manifest.open(encoding="utf-8", newline="") as fh:
        return {row["local_path"]: row["commit"] for row in csv.DictReader(fh, delimiter="\t")}


def iter_test_files(suite_dir: Path) -> Iterator[tuple[Path, str]]:
    """(path, path relative to the suite root) of every .yml test file, sorted."""
    for path in sorted(suite_dir.rglob("*.yml")):
        yield path, path.relative_to(suite_dir).as_posix()


def read_list(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a list file."""
    if not path.is_file():
        return []
    lines = (line.rstrip("\n").strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def matches_selection(folder: str, file_name: str, patterns: Iterable[str]) -> bool:
    """True if a folder key (or folder/file) matches one of the patterns (fnmatch globs allowed)."""
    targets = (folder, f"{folder}/{file_name}")
    return any(fnmatch.fnmatchcase(t, p) for p in patterns for t in targets)


def load_cases(
    suite_dir: Path,
    folders: Iterable[str] | None = None,
    filter_text: str | None = None,
    ids: Iterable[str] | None = None,
) -> list[Case]:
    """Parse the suite and keep cases in `folders` (default: selection.txt), `filter_text` and `ids`."""
    patterns = list(folders) if folders is not None else read_list(SELECTION_FILE)
    wanted = set(ids) if ids is not None else None
    commits = read_manifest(suite_dir)
    cases: list[Case] = []
    for path, rel in iter_test_files(suite_dir):
        if not matches_selection(folder_key(rel), path.name, patterns):
            continue
        for case in parse_file(path, rel, commits.get(rel)):
            if filter_text and filter_text not in case.id:
                continue
            if wanted is not None and case.id not in wanted:
                continue
            cases.append(case)
    return cases
