"""Pure helpers of the YAML runner: response paths, the stash, regexes and value comparison."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

ARBITRARY_KEY = "_arbitrary_key_"
_WHOLE_STASH = re.compile(r"^\$(?:\{([^}]+)\}|([A-Za-z0-9_.\-]+))$")
_EMBEDDED_STASH = re.compile(r"\$\{([^}]+)\}")


class AssertionFailure(AssertionError):
    """A failed check of a test step; its message is the one-line failure reason."""


def split_path(path: str) -> list[str]:
    """Split a dotted path; ``\\.`` is a literal dot. Empty path or ``$body`` is the root."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in path:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    if parts and parts[0] == "$body":
        parts = parts[1:]
    return [p for p in parts if p != ""] if parts != [""] else []


def lookup(root: Any, path: str, stash: Stash | None = None) -> Any:
    """Value at `path` in `root`, None when absent; `$var` parts are resolved from the stash."""
    current = root
    for part in split_path(path):
        if stash is not None:
            part = stash.resolve_key(part)
        current = _step_into(current, part)
        if current is None:
            return None
    return current


def _step_into(value: Any, part: str) -> Any:
    if isinstance(value, dict):
        if part == ARBITRARY_KEY:
            return next(iter(value.values()), None)
        return value.get(part)
    if isinstance(value, list):
        try:
            index = int(part)
        except ValueError:
            return None
        return value[index] if -len(value) <= index < len(value) else None
    return None


class Stash:
    """Values saved by `set`, substituted for `$name` / `${name}` in later steps."""

    def __init__(self) -> None:
        # ES's runner pre-defines `_project_id_prefix_`: empty outside serverless projects
        self.values: dict[str, Any] = {"_project_id_prefix_": ""}
        self.last_body: Any = None

    def set(self, name: str, value: Any) -> None:
        """Save a value under `name`."""
        self.values[name] = value

    def get(self, key: str) -> Any:
        """Value of a stash key (dotted paths into stashed objects allowed); KeyError if absent."""
        if key in self.values:
            return self.values[key]
        head, _, rest = key.partition(".")
        if head in self.values:
            return lookup(self.values[head], rest)
        if head == "body":
            return lookup(self.last_body, rest)
        raise KeyError(key)

    def resolve_key(self, text: str) -> str:
        """A path part or object key with stashed values substituted, always as a string."""
        value = self.substitute(text)
        return value if isinstance(value, str) else java_str(value)

    def substitute(self, value: Any) -> Any:
        """`value` with every stashed reference replaced, recursively (keys included)."""
        if isinstance(value, str):
            return self._substitute_str(value)
        if isinstance(value, dict):
            return {
                self.resolve_key(k) if isinstance(k, str) else k: self.substitute(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        return value

    def _substitute_str(self, text: str) -> Any:
        if "$" not in text:
            return text
        whole = _WHOLE_STASH.match(text)
        if whole:
            try:
                return self.get(whole.group(1) or whole.group(2))
            except KeyError:
                return text
        return _EMBEDDED_STASH.sub(self._embedded, text)

    def _embedded(self, match: re.Match[str]) -> str:
        try:
            value = self.get(match.group(1))
        except KeyError:
            return match.group(0)
        return value if isinstance(value, str) else java_str(value)


def java_str(value: Any) -> str:
    """String form of a JSON value the way the Java runner prints it (true, null, 1.0, JSON)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def is_regex(value: Any) -> bool:
    """True for an expected value written /.../ (surrounding whitespace ignored, as in Java)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return len(text) > 2 and text.startswith("/") and text.endswith("/")


def java_comments_regex(source: str) -> re.Pattern[str]:
    """Compile a regex with Java COMMENTS semantics: whitespace and #-comments ignored, even in classes."""
    out: list[str] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source):
            out.append(source[i : i + 2])
            i += 2
            continue
        if char == "#":
            newline = source.find("\n", i)
            i = len(source) if newline < 0 else newline + 1
            continue
        if not char.isspace():
            out.append(char)
        i += 1
    return re.compile("".join(out))


def regex_matches(expected: str, actual: Any, comments: bool = True) -> bool:
    """Search an expected /regex/ in the string form of `actual` (like Java's find()).

    `match` compiles with Java's COMMENTS flag; `catch` regexes are plain (comments=False).
    """
    source = expected.strip()[1:-1]
    try:
        pattern = java_comments_regex(source) if comments else re.compile(source)
    except re.error as exc:
        raise AssertionFailure(f"regex {short(expected)} is not valid in Python: {exc}") from exc
    return pattern.search(java_str(actual)) is not None


def is_number(value: Any) -> bool:
    """A JSON number (booleans excluded)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def values_equal(expected: Any, actual: Any) -> bool:
    """Deep equality where 1 == 1.0 but True != 1."""
    if is_number(expected) and is_number(actual):
        return float(expected) == float(actual) or expected == actual
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            values_equal(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            values_equal(e, a) for e, a in zip(expected, actual, strict=True)
        )
    return type(expected) is type(actual) and expected == actual


def check_match(path: str, expected: Any, actual: Any) -> None:
    """`match`: equality, or a regex search when `expected` is /.../."""
    if is_regex(expected):
        if actual is None or not regex_matches(expected, actual):
            raise AssertionFailure(f"match {path}: {short(actual)} does not match {short(expected)}")
        return
    if not values_equal(expected, actual):
        raise AssertionFailure(f"match {path}: expected {short(expected)}, got {short(actual)}")


def check_length(path: str, expected: Any, actual: Any) -> None:
    """`length`: size of an array, object or string."""
    if not isinstance(actual, list | dict | str):
        raise AssertionFailure(f"length {path}: {short(actual)} has no length")
    if not values_equal(expected, len(actual)):
        raise AssertionFailure(f"length {path}: expected {short(expected)}, got {len(actual)}")


def is_truthy(value: Any) -> bool:
    """Java runner truth: not null, not "", not "false" (any case), not "0"."""
    if value is None:
        return False
    text = java_str(value)
    return text not in ("", "0") and text.lower() != "false"


def check_true(path: str, actual: Any, want: bool) -> None:
    """`is_true` / `is_false`."""
    if is_truthy(actual) != want:
        raise AssertionFailure(f"{'is_true' if want else 'is_false'} {path or '$body'}: got {short(actual)}")


def check_compare(op: str, path: str, expected: Any, actual: Any) -> None:
    """`gt`, `gte`, `lt`, `lte`: numbers compared as numbers, strings lexically."""
    left, right = _comparable(actual), _comparable(expected)
    if left is None or right is None or type(left) is not type(right):
        raise AssertionFailure(f"{op} {path}: cannot compare {short(actual)} with {short(expected)}")
    ok = {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
    if not ok:
        raise AssertionFailure(f"{op} {path}: {short(actual)} is not {op} {short(expected)}")


def _comparable(value: Any) -> float | str | None:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return None


def check_close_to(path: str, spec: Any, actual: Any) -> None:
    """`close_to`: |actual - value| <= error."""
    if not isinstance(spec, dict) or "value" not in spec or "error" not in spec:
        raise AssertionFailure(f"close_to {path}: needs value and error, got {short(spec)}")
    if not is_number(actual):
        raise AssertionFailure(f"close_to {path}: {short(actual)} is not a number")
    value, error = spec["value"], float(spec["error"])
    if abs(actual - value) > error:
        raise AssertionFailure(f"close_to {path}: {actual} not within {error} of {value}")


def check_contains(path: str, expected: Any, actual: Any) -> None:
    """`contains`: a list holding the value (objects: holding its entries), or a substring."""
    if isinstance(actual, str) and isinstance(expected, str):
        found = expected in actual
    elif isinstance(actual, list):
        found = any(_contains_item(expected, item) for item in actual)
    elif isinstance(actual, dict) and isinstance(expected, dict):
        found = _contains_item(expected, actual)
    else:
        found = False
    if not found:
        raise AssertionFailure(f"contains {path}: {short(expected)} not in {short(actual)}")


def _contains_item(expected: Any, item: Any) -> bool:
    if isinstance(expected, dict) and isinstance(item, dict):
        return all(k in item and values_equal(v, item[k]) for k, v in expected.items())
    return values_equal(expected, item)


def check_exists(path: str, actual: Any, want: bool) -> None:
    """`exists` / `not_exists`."""
    if (actual is not None) != want:
        raise AssertionFailure(f"{'exists' if want else 'not_exists'} {path}: got {short(actual)}")


def transform_value(expression: str, stash: Stash) -> Any:
    """`transform_and_set` functions: #base64EncodeCredentials(id,api_key)."""
    found = re.fullmatch(r"#base64EncodeCredentials\(([^,]+),([^)]+)\)", expression.strip())
    if not found:
        raise AssertionFailure(f"transform_and_set: unsupported expression {expression!r}")
    user = java_str(lookup(stash.last_body, found.group(1).strip()))
    secret = java_str(lookup(stash.last_body, found.group(2).strip()))
    return base64.b64encode(f"{user}:{secret}".encode()).decode()


def short(value: Any, limit: int = 160) -> str:
    """One-line, truncated rendering of a value for failure messages."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split()) if isinstance(value, str) else text
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[: limit - 3] + "..."
