"""`skip` / `requires` evaluation: versions, runner features, cluster features and capabilities."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ENGINE_VERSION = (8, 17, 0)
ENV_CLUSTER_FEATURES = "ES360_CLUSTER_FEATURES"

RUNNER_FEATURES = frozenset(
    {
        "allowed_warnings",
        "allowed_warnings_regex",
        "arbitrary_key",
        "capabilities",
        "close_to",
        "contains",
        "default_shards",
        "embedded_stash_key",
        "headers",
        "node_selector",
        "stash_in_key",
        "stash_in_path",
        "transform_and_set",
        "warnings",
        "warnings_regex",
    }
)

# Cluster features (beyond gte_vX.Y.Z version gates) the engine is known to have.
SUPPORTED_CLUSTER_FEATURES: frozenset[str] = frozenset()

_VERSION_GATE = re.compile(r"^gte_v(\d+)\.(\d+)\.(\d+)$")

CapabilityProbe = Callable[[list[dict[str, Any]]], bool]


@dataclass(frozen=True)
class Environment:
    """What the engine and runner offer, for deciding skips."""

    version: tuple[int, int, int] = DEFAULT_ENGINE_VERSION
    cluster_features: frozenset[str] = field(default_factory=lambda: cluster_features_from_env())
    capabilities: CapabilityProbe = field(default=lambda _checks: False)

    def has_feature(self, name: str) -> bool:
        """Cluster feature present: a satisfied version gate or a declared feature."""
        gate = _VERSION_GATE.match(name)
        if gate:
            return self.version >= tuple(int(g) for g in gate.groups())
        return name in self.cluster_features


def cluster_features_from_env() -> frozenset[str]:
    """SUPPORTED_CLUSTER_FEATURES plus a comma list from ES360_CLUSTER_FEATURES."""
    extra = {f.strip() for f in os.environ.get(ENV_CLUSTER_FEATURES, "").split(",") if f.strip()}
    return SUPPORTED_CLUSTER_FEATURES | extra


def parse_version(text: str) -> tuple[int, int, int]:
    """'8.1.99' -> (8, 1, 99); missing parts are 0; suffixes like -SNAPSHOT are ignored."""
    numbers = [int(n) for n in re.findall(r"\d+", text)[:3]]
    major, minor, patch = (numbers + [0, 0, 0])[:3]
    return major, minor, patch


def version_in_ranges(spec: str, version: tuple[int, int, int]) -> bool:
    """True if `version` falls in a skip range list like ' - 7.9.99, 8.1.0 - 8.2.99' or 'all'."""
    for part in str(spec).split(","):
        text = part.strip()
        if text == "all":
            return True
        if "-" not in text:
            if text and parse_version(text) == version:
                return True
            continue
        low, _, high = text.partition("-")
        lower = parse_version(low) if low.strip() else (0, 0, 0)
        upper = parse_version(high) if high.strip() else (10**6, 0, 0)
        if lower <= version <= upper:
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def missing_runner_features(features: Iterable[str]) -> list[str]:
    """Runner features a test needs that this runner does not implement."""
    return [f for f in features if f not in RUNNER_FEATURES]


def skip_reason(section: Any, env: Environment) -> str | None:
    """Why an old-form `skip:` section skips the test, or None to run it."""
    if not isinstance(section, dict):
        return None
    reason = section.get("reason", "")
    if "version" in section and version_in_ranges(section["version"], env.version):
        return f"version {section['version']!s} skipped: {reason}".strip()
    checks = (
        _runner_feature_gate(section.get("features")),
        _runner_feature_gate(section.get("test_runner_features")),
        _skip_when_features(section.get("cluster_features"), env),
        _skip_when_capable(section.get("capabilities"), env),
        _known_issues(section.get("known_issues"), env),
    )
    for message in checks:
        if message:
            return message
    if section.get("awaits_fix"):
        return f"awaits fix: {section['awaits_fix']}"
    return None


def requires_reason(section: Any, env: Environment) -> str | None:
    """Why a new-form `requires:` section skips the test, or None to run it."""
    if not isinstance(section, dict):
        return None
    missing = [f for f in _as_list(section.get("cluster_features")) if not env.has_feature(f)]
    if missing:
        return f"requires cluster features {', '.join(missing)}"
    runner = _runner_feature_gate(section.get("test_runner_features"))
    if runner:
        return runner
    checks = _as_list(section.get("capabilities"))
    if checks and not env.capabilities(checks):
        return f"requires capabilities {_capability_names(checks)}"
    return None


def file_requires_reason(requires: dict[str, Any]) -> str | None:
    """clients-tests top-level `requires: {serverless, stack}`: the engine behaves as stack."""
    if requires and requires.get("stack") is False:
        return "serverless-only test"
    return None


def _runner_feature_gate(features: Any) -> str | None:
    missing = missing_runner_features(_as_list(features))
    return f"runner feature(s) not supported: {', '.join(map(str, missing))}" if missing else None


def _skip_when_features(features: Any, env: Environment) -> str | None:
    present = [f for f in _as_list(features) if env.has_feature(f)]
    return f"skipped on cluster feature {', '.join(present)}" if present else None


def _skip_when_capable(checks: Any, env: Environment) -> str | None:
    listed = _as_list(checks)
    return (
        f"skipped on capabilities {_capability_names(listed)}"
        if listed and env.capabilities(listed)
        else None
    )


def _known_issues(issues: Any, env: Environment) -> str | None:
    for issue in _as_list(issues):
        if not isinstance(issue, dict):
            continue
        if env.has_feature(issue.get("cluster_feature", "")) and not env.has_feature(
            issue.get("fixed_by", "")
        ):
            return f"known issue {issue.get('cluster_feature')}"
    return None


def _capability_names(checks: list[Any]) -> str:
    names = [c for check in checks if isinstance(check, dict) for c in _as_list(check.get("capabilities"))]
    return ", ".join(map(str, names)) or "(unnamed)"


def steps_skip_reason(steps: Iterable[dict[str, Any]], env: Environment) -> str | None:
    """The first skip reason among the `skip`/`requires` steps of a section."""
    for step in steps:
        if "skip" in step:
            reason = skip_reason(step["skip"], env)
            if reason:
                return reason
        if "requires" in step:
            reason = requires_reason(step["requires"], env)
            if reason:
                return reason
    return None
