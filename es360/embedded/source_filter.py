"""`_source` filtering with ES's include/exclude path semantics (wildcards, object prefixes)."""

from __future__ import annotations

import fnmatch
from typing import Any


def parse_source_param(value: Any, includes: Any = None, excludes: Any = None) -> tuple[bool, list, list]:
    """Normalize `_source` (bool, list, object) and `_source_includes/_excludes` to (fetch, inc, exc)."""
    fetch = True
    inc: list[str] = _as_list(includes)
    exc: list[str] = _as_list(excludes)
    if isinstance(value, bool):
        fetch = value
    elif isinstance(value, str):
        if value in ("true", "false"):
            fetch = value == "true"
        else:
            inc = inc + [v for v in value.split(",") if v]
    elif isinstance(value, list):
        inc = inc + [str(v) for v in value]
    elif isinstance(value, dict):
        inc = inc + _as_list(value.get("includes", value.get("include")))
        exc = exc + _as_list(value.get("excludes", value.get("exclude")))
    return fetch, inc, exc


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return [str(v) for v in value]


def filter_source(source: dict[str, Any], includes: list[str], excludes: list[str]) -> dict[str, Any]:
    """Keep the paths matching `includes` (all if empty), then drop those matching `excludes`."""
    if not includes and not excludes:
        return source
    return _filter(source, "", includes, excludes)


def _matches(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p + ".*") for p in patterns)


def _could_match_below(path: str, patterns: list[str]) -> bool:
    prefix = path + "."
    for p in patterns:
        if p.startswith(prefix) or fnmatch.fnmatchcase(prefix, p[: len(prefix)]) or "*" in p.split(".")[0]:
            return True
    return False


def _filter(node: Any, prefix: str, includes: list[str], excludes: list[str]) -> Any:
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if excludes and _matches(path, excludes):
            continue
        included = not includes or _matches(path, includes)
        if isinstance(value, dict):
            if included and not excludes:
                out[key] = value
                continue
            if included or _could_match_below(path, includes):
                sub = _filter(value, path + ".", includes if not included else [], excludes)
                if sub or (included and not value):
                    out[key] = sub
            continue
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            if included or _could_match_below(path, includes):
                items = []
                for v in value:
                    if isinstance(v, dict):
                        sub = _filter(v, path + ".", includes if not included else [], excludes)
                        if sub:
                            items.append(sub)
                    elif included:
                        items.append(v)
                if items:
                    out[key] = items
            continue
        if included:
            out[key] = value
    return out
