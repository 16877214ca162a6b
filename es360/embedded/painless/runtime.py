"""Java value semantics for Painless: type names, equality, arithmetic, toString, methods and classes.

Values are plain Python objects: None, bool, int (int/long), float (float/double), str, list
(ArrayList and arrays), dict (HashMap), set (HashSet), plus a few small classes defined here
(map entries, key/value views, doc values, regex matchers, streams, optionals, StringBuilder).
"""

from __future__ import annotations

import base64
import functools
import math
import random
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from .errors import EXCEPTION_CLASSES, JavaException

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def npe(message: str | None = None) -> JavaException:
    return JavaException("null_pointer_exception",
                         message or 'Cannot invoke "Object.getClass()" because "callArgs[0]" is null')


def iae(message: str) -> JavaException:
    return JavaException("illegal_argument_exception", message)


def cce(message: str) -> JavaException:
    return JavaException("class_cast_exception", message)


# ---------------------------------------------------------------------------------------------- types
class Entry:
    """java.util.Map.Entry backed by its map (setValue writes through)."""

    __slots__ = ("key", "value", "_map")

    def __init__(self, key: Any, value: Any, backing: dict | None = None) -> None:
        self.key, self.value, self._map = key, value, backing

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and java_eq(self.key, other.key) and java_eq(self.value, other.value)

    def __hash__(self) -> int:
        return hash(_hashable(self.key))


class KeyView(list):
    """Map.keySet(): a snapshot list whose removals write through to the map."""

    def __init__(self, backing: dict) -> None:
        super().__init__(backing.keys())
        self.backing = backing


class ValuesView(list):
    def __init__(self, backing: dict) -> None:
        super().__init__(backing.values())
        self.backing = backing


class StringBuilder:
    __slots__ = ("parts",)

    def __init__(self, initial: str = "") -> None:
        self.parts = [initial] if initial else []

    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


class StringTokenizer:
    __slots__ = ("tokens",)

    def __init__(self, text: str, delims: str = " \t\n\r\f") -> None:
        self.tokens = [t for t in re.split("[" + re.escape(delims) + "]+", text) if t] if delims else [text]


class JavaOptional:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Stream:
    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = list(items)


class Collector:
    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[list], Any]) -> None:
        self.fn = fn


class Matcher:
    __slots__ = ("pattern", "text", "match", "pos")

    def __init__(self, pattern: re.Pattern, text: str) -> None:
        self.pattern, self.text, self.match, self.pos = pattern, text, None, 0


class DocValues:
    """ScriptDocValues: `doc['f'].value`, `.size()`, `.empty`, `.get(i)`, iteration."""

    __slots__ = ("values", "field")

    def __init__(self, values: list[Any], field: str = "") -> None:
        self.values = values
        self.field = field

    def __iter__(self):  # noqa: ANN204
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


class DocMap:
    """The `doc` variable: field name -> DocValues. Subclass and override `load` for lazy doc values."""

    def __init__(self, fields: dict[str, list[Any]] | None = None) -> None:
        self.fields = fields if fields is not None else {}
        self._cache: dict[str, DocValues] = {}

    def load(self, field: str) -> list[Any] | None:
        values = self.fields.get(field)
        if values is None:
            return None
        return values if isinstance(values, list) else [values]

    def lookup(self, field: Any) -> DocValues:
        cached = self._cache.get(field)
        if cached is not None:
            return cached
        values = self.load(str(field))
        if values is None:
            raise iae(f"No field found for [{field}] in mapping")
        dv = DocValues(values, str(field))
        self._cache[field] = dv
        return dv

    def contains(self, field: Any) -> bool:
        return self.load(str(field)) is not None


class Lambda:
    """A script lambda or method reference: call with positional arguments."""

    __slots__ = ("fn", "arity")

    def __init__(self, fn: Callable[..., Any], arity: int | None) -> None:
        self.fn, self.arity = fn, arity

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


def call_fn(fn: Any, *args: Any) -> Any:
    if isinstance(fn, Lambda):
        return fn.fn(*args)
    if fn is None:
        raise npe()
    raise iae(f"Cannot cast [{class_name(fn)}] to a functional interface")


# ---------------------------------------------------------------------------------------------- names
def class_name(v: Any) -> str:
    t = type(v)
    if t is str:
        return "java.lang.String"
    if t is bool:
        return "java.lang.Boolean"
    if t is int:
        return "java.lang.Integer" if INT_MIN <= v <= INT_MAX else "java.lang.Long"
    if t is float:
        return "java.lang.Double"
    if isinstance(v, dict):
        return "java.util.HashMap"
    if isinstance(v, list):
        return "java.util.ArrayList"
    if isinstance(v, set):
        return "java.util.HashSet"
    names = {Entry: "java.util.HashMap$Node", StringBuilder: "java.lang.StringBuilder",
             JavaOptional: "java.util.Optional", Stream: "java.util.stream.ReferencePipeline",
             Matcher: "java.util.regex.Matcher", DocValues: "org.elasticsearch.index.fielddata.ScriptDocValues",
             Lambda: "java.lang.invoke.LambdaForm"}
    if isinstance(v, re.Pattern):
        return "java.util.regex.Pattern"
    if isinstance(v, JavaException):
        return v.java_class
    time_name = {"ZonedDateTime": "java.time.ZonedDateTime", "Instant": "java.time.Instant",
                 "Duration": "java.time.Duration", "DayOfWeek": "java.time.DayOfWeek",
                 "ChronoUnit": "java.time.temporal.ChronoUnit", "ZoneIdValue": "java.time.ZoneId"}.get(t.__name__)
    if time_name is not None:
        return time_name
    return names.get(t, t.__name__)


def short_type(v: Any) -> str:
    return class_name(v).rsplit(".", 1)[-1]


INSTANCE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "def": lambda v: v is not None,
    "Object": lambda v: v is not None,
    "String": lambda v: type(v) is str,
    "CharSequence": lambda v: type(v) is str,
    "Integer": lambda v: type(v) is int and INT_MIN <= v <= INT_MAX,
    "int": lambda v: type(v) is int and INT_MIN <= v <= INT_MAX,
    "Long": lambda v: type(v) is int and not INT_MIN <= v <= INT_MAX,
    "long": lambda v: type(v) is int,
    "Short": lambda v: False,
    "Byte": lambda v: False,
    "Double": lambda v: type(v) is float,
    "double": lambda v: type(v) is float,
    "Float": lambda v: False,
    "float": lambda v: False,
    "Number": lambda v: type(v) in (int, float),
    "Boolean": lambda v: type(v) is bool,
    "boolean": lambda v: type(v) is bool,
    "Character": lambda v: False,
    "List": lambda v: isinstance(v, list),
    "ArrayList": lambda v: isinstance(v, list),
    "Collection": lambda v: isinstance(v, (list, set)),
    "Iterable": lambda v: isinstance(v, (list, set)),
    "Map": lambda v: isinstance(v, dict),
    "HashMap": lambda v: isinstance(v, dict),
    "LinkedHashMap": lambda v: isinstance(v, dict),
    "Set": lambda v: isinstance(v, set),
    "HashSet": lambda v: isinstance(v, set),
    "Map.Entry": lambda v: isinstance(v, Entry),
    "Pattern": lambda v: isinstance(v, re.Pattern),
    "Matcher": lambda v: isinstance(v, Matcher),
    "Comparable": lambda v: type(v) in (int, float, str, bool),
}


def instance_of(v: Any, type_name: str) -> bool:
    if type_name.endswith("[]"):
        return isinstance(v, list)
    check = INSTANCE_CHECKS.get(type_name)
    if check is not None:
        return check(v)
    if type_name in EXCEPTION_CLASSES:
        return isinstance(v, JavaException) and _exception_matches(v, type_name)
    return False


def _exception_matches(exc: JavaException, type_name: str) -> bool:
    from .errors import CATCHES

    allowed = CATCHES.get(type_name, frozenset({EXCEPTION_CLASSES.get(type_name, "")}))
    if allowed is None:
        return exc.es_type != "painless_error"
    return exc.es_type in allowed


# ---------------------------------------------------------------------------------------------- toString
def java_double_str(d: float) -> str:
    if d != d:
        return "NaN"
    if d in (math.inf, -math.inf):
        return "Infinity" if d > 0 else "-Infinity"
    if d == 0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    a = abs(d)
    if 1e-3 <= a < 1e7:
        s = repr(d)
        if "e" in s or "E" in s:
            s = format(Decimal(s), "f")
        if "." not in s:
            s += ".0"
        return s
    sign, digits, exp = Decimal(repr(d)).normalize().as_tuple()
    ds = "".join(map(str, digits))
    exponent = exp + len(ds) - 1
    mantissa = ds[0] + "." + (ds[1:] or "0")
    return ("-" if sign else "") + mantissa + "E" + str(exponent)


def java_str(v: Any) -> str:
    t = type(v)
    if t is str:
        return v
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return java_double_str(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{java_str(k)}={java_str(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, set, tuple)):
        return "[" + ", ".join(java_str(x) for x in v) + "]"
    if t is Entry:
        return f"{java_str(v.key)}={java_str(v.value)}"
    if t is StringBuilder:
        return v.text()
    if t is DocValues:
        return java_str(v.values)
    if t is JavaOptional:
        return "Optional.empty" if v.value is None else f"Optional[{java_str(v.value)}]"
    if isinstance(v, re.Pattern):
        return v.pattern
    if isinstance(v, JavaException):
        return v.java_class + (f": {v.message}" if v.message is not None else "")
    return str(v)


# ---------------------------------------------------------------------------------------------- equality
def java_eq(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return ta is tb and a == b
    if ta in (int, float) and tb in (int, float):
        return a == b
    if ta is str or tb is str:
        return ta is tb and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(java_eq(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and java_eq(v, b[k]) for k, v in a.items())
    return a == b


def java_equals(a: Any, b: Any) -> bool:
    """Object.equals: like `==` but Integer.equals(Long)/Integer.equals(Double) are false."""
    if type(a) in (int, float) and type(b) in (int, float) and type(a) is not type(b):
        return False
    return java_eq(a, b)


def _hashable(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((str(k), _hashable(x)) for k, x in v.items()))
    if isinstance(v, (list, set)):
        return tuple(_hashable(x) for x in v)
    return v


def java_hash(v: Any) -> int:
    if v is None:
        return 0
    t = type(v)
    if t is str:
        h = 0
        for ch in v:
            h = (31 * h + ord(ch)) & 0xFFFFFFFF
        return h - (1 << 32) if h >= 1 << 31 else h
    if t is bool:
        return 1231 if v else 1237
    if t is int:
        if INT_MIN <= v <= INT_MAX:
            return v
        u = v & 0xFFFFFFFFFFFFFFFF
        h = (u ^ (u >> 32)) & 0xFFFFFFFF
        return h - (1 << 32) if h >= 1 << 31 else h
    if isinstance(v, list):
        h = 1
        for x in v:
            h = (31 * h + java_hash(x)) & 0xFFFFFFFF
        return h - (1 << 32) if h >= 1 << 31 else h
    return hash(_hashable(v)) & 0x7FFFFFFF


def compare(a: Any, b: Any) -> int:
    """Comparable.compareTo for numbers, strings and booleans (null sorts as an NPE, like Java)."""
    if a is None or b is None:
        raise npe()
    ta, tb = type(a), type(b)
    if ta in (int, float) and tb in (int, float) and ta is not bool and tb is not bool:
        return -1 if a < b else (1 if a > b else 0)
    if ta is str and tb is str:
        return _string_compare(a, b)
    if ta is bool and tb is bool:
        return (a > b) - (a < b)
    if hasattr(a, "millis") and hasattr(b, "millis"):
        return (a.millis > b.millis) - (a.millis < b.millis)
    raise cce(f"class {class_name(a)} cannot be cast to class {class_name(b)}")


def _string_compare(a: str, b: str) -> int:
    for x, y in zip(a, b, strict=False):
        if x != y:
            return ord(x) - ord(y)
    return len(a) - len(b)


def sort_key(comparator: Any) -> Callable[[Any], Any]:
    if comparator is None:
        return functools.cmp_to_key(compare)
    return functools.cmp_to_key(lambda x, y: to_int(call_fn(comparator, x, y)))


def to_int(v: Any) -> int:
    if type(v) is int:
        return v
    if type(v) is float:
        return int(v)
    raise cce(f"Cannot cast {class_name(v)} to int")


# ---------------------------------------------------------------------------------------------- arithmetic
def _bad_op(op: str, a: Any, b: Any) -> JavaException:
    return cce(f"Cannot apply [{op}] operation to types [{class_name(a)}] and [{class_name(b)}].")


def _num(a: Any) -> bool:
    t = type(a)
    return t is int or t is float


def op_add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a + b
    if ta is str or tb is str:
        return java_str(a) + java_str(b)
    if (ta is float or ta is int) and (tb is float or tb is int):
        return float(a) + float(b)
    if a is None or b is None:
        raise npe()
    raise _bad_op("+", a, b)


def op_sub(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a - b
    if _num(a) and _num(b):
        return float(a) - float(b)
    if a is None or b is None:
        raise npe()
    raise _bad_op("-", a, b)


def op_mul(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return a * b
    if _num(a) and _num(b):
        return float(a) * float(b)
    if a is None or b is None:
        raise npe()
    raise _bad_op("*", a, b)


def op_div(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        if b == 0:
            raise JavaException("arithmetic_exception", "/ by zero")
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    if _num(a) and _num(b):
        a, b = float(a), float(b)
        if b == 0.0:
            if a == 0.0 or a != a:
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    if a is None or b is None:
        raise npe()
    raise _bad_op("/", a, b)


def op_rem(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        if b == 0:
            raise JavaException("arithmetic_exception", "/ by zero")
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    if _num(a) and _num(b):
        if float(b) == 0.0:
            return math.nan
        return math.fmod(float(a), float(b))
    if a is None or b is None:
        raise npe()
    raise _bad_op("%", a, b)


def _int_operands(op: str, a: Any, b: Any) -> None:
    if type(a) is not int or type(b) is not int:
        if a is None or b is None:
            raise npe()
        raise _bad_op(op, a, b)


def op_bitand(a: Any, b: Any) -> Any:
    if type(a) is bool and type(b) is bool:
        return a and b
    _int_operands("&", a, b)
    return a & b


def op_bitor(a: Any, b: Any) -> Any:
    if type(a) is bool and type(b) is bool:
        return a or b
    _int_operands("|", a, b)
    return a | b


def op_xor(a: Any, b: Any) -> Any:
    if type(a) is bool and type(b) is bool:
        return a != b
    _int_operands("^", a, b)
    return a ^ b


def op_lsh(a: Any, b: Any) -> Any:
    _int_operands("<<", a, b)
    return _wrap_like(a, a << (b & 63))


def op_rsh(a: Any, b: Any) -> Any:
    _int_operands(">>", a, b)
    return a >> (b & 63)


def op_ush(a: Any, b: Any) -> Any:
    _int_operands(">>>", a, b)
    if INT_MIN <= a <= INT_MAX:
        return (a & 0xFFFFFFFF) >> (b & 31)
    return (a & 0xFFFFFFFFFFFFFFFF) >> (b & 63)


def _wrap_like(original: int, value: int) -> int:
    if INT_MIN <= original <= INT_MAX:
        value &= 0xFFFFFFFF
        return value - (1 << 32) if value >= 1 << 31 else value
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def _cmp_operands(op: str, a: Any, b: Any) -> None:
    if a is None or b is None:
        raise npe()
    raise _bad_op(op, a, b)


def op_lt(a: Any, b: Any) -> bool:
    if _num(a) and _num(b) and type(a) is not bool and type(b) is not bool:
        return a < b
    _cmp_operands("<", a, b)
    return False


def op_le(a: Any, b: Any) -> bool:
    if _num(a) and _num(b) and type(a) is not bool and type(b) is not bool:
        return a <= b
    _cmp_operands("<=", a, b)
    return False


def op_gt(a: Any, b: Any) -> bool:
    if _num(a) and _num(b) and type(a) is not bool and type(b) is not bool:
        return a > b
    _cmp_operands(">", a, b)
    return False


def op_ge(a: Any, b: Any) -> bool:
    if _num(a) and _num(b) and type(a) is not bool and type(b) is not bool:
        return a >= b
    _cmp_operands(">=", a, b)
    return False


def op_ref_eq(a: Any, b: Any) -> bool:
    if type(a) in (int, float, str, bool) or a is None:
        return type(a) is type(b) and a == b
    return a is b


# ---------------------------------------------------------------------------------------------- casts
def cast(type_name: str, v: Any) -> Any:
    if type_name in ("def", "Object", "var"):
        return v
    if type_name in ("int", "long", "short", "byte"):
        if v is None:
            raise npe()
        t = type(v)
        if t is int:
            return v if type_name == "long" else _wrap_int(v, type_name)
        if t is float:
            if v != v:
                return 0
            if math.isinf(v):
                return (INT_MAX if v > 0 else INT_MIN) if type_name == "int" else (LONG_MAX if v > 0 else LONG_MIN)
            n = int(v)
            if type_name == "long":
                return max(LONG_MIN, min(LONG_MAX, n))
            return _wrap_int(max(INT_MIN, min(INT_MAX, n)), type_name)
        if t is str and len(v) == 1:
            return ord(v)
        raise cce(f"Cannot cast {class_name(v)} to {type_name}")
    if type_name in ("double", "float"):
        if v is None:
            raise npe()
        if type(v) in (int, float):
            return float(v)
        raise cce(f"Cannot cast {class_name(v)} to {type_name}")
    if type_name == "boolean":
        if type(v) is bool:
            return v
        if v is None:
            raise npe()
        raise cce(f"Cannot cast {class_name(v)} to boolean")
    if type_name == "char":
        if type(v) is str and len(v) == 1:
            return v
        if type(v) is int:
            return chr(v)
        raise cce(f"Cannot cast {class_name(v)} to char")
    if v is None:
        return None
    if type_name in ("Integer", "Long", "Short", "Byte"):
        if type(v) is int:
            return v
        raise cce(f"class {class_name(v)} cannot be cast to class java.lang.{type_name}")
    if type_name in ("Double", "Float"):
        if type(v) is float:
            return v
        raise cce(f"class {class_name(v)} cannot be cast to class java.lang.{type_name}")
    if type_name == "Number":
        if type(v) in (int, float):
            return v
        raise cce(f"class {class_name(v)} cannot be cast to class java.lang.Number")
    check = INSTANCE_CHECKS.get(type_name)
    if check is not None and not check(v):
        target = {"String": "java.lang.String", "Boolean": "java.lang.Boolean", "List": "java.util.List",
                  "Map": "java.util.Map", "ArrayList": "java.util.ArrayList", "HashMap": "java.util.HashMap",
                  "Collection": "java.util.Collection", "Set": "java.util.Set"}.get(type_name, type_name)
        raise cce(f"class {class_name(v)} cannot be cast to class {target}")
    return v


def _wrap_int(v: int, type_name: str) -> int:
    bits = {"int": 32, "short": 16, "byte": 8}.get(type_name, 64)
    mask = (1 << bits) - 1
    v &= mask
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def coerce_assign(type_name: str, v: Any) -> Any:
    """Implicit conversion when assigning to a typed variable (`int x = ...`, `double d = ...`)."""
    if type_name in ("def", "var", "Object"):
        return v
    if type_name in ("double", "float", "Double", "Float") and type(v) is int:
        return float(v)
    if type_name in ("int", "long", "short", "byte"):
        if type(v) is int:
            return v
        if v is None:
            raise npe()
        raise cce(f"Cannot cast {class_name(v)} to {type_name}")
    if type_name == "boolean" and type(v) is not bool:
        if v is None:
            raise npe()
        raise cce(f"Cannot cast {class_name(v)} to boolean")
    if type_name in INSTANCE_CHECKS and v is not None and not INSTANCE_CHECKS[type_name](v):
        if type_name in ("Integer", "Long", "Double", "Float", "Number") and type(v) in (int, float):
            return cast(type_name, v) if type_name != "Number" else v
        raise cce(f"Cannot cast {class_name(v)} to {type_name}")
    return v


def truthy(v: Any) -> bool:
    """A boolean condition: Painless requires a real boolean."""
    if v is True or v is False:
        return v
    if v is None:
        raise npe()
    raise cce(f"Cannot cast {class_name(v)} to boolean")


# ---------------------------------------------------------------------------------------------- regex
_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9]*)>")


@functools.lru_cache(maxsize=512)
def java_regex(pattern: str, flags: str = "") -> re.Pattern:
    py = _NAMED_GROUP.sub(r"(?P<\1>", pattern)
    py = py.replace("\\p{Alpha}", "[A-Za-z]").replace("\\p{Digit}", "[0-9]").replace("\\p{Alnum}", "[A-Za-z0-9]")
    py = py.replace("\\p{L}", "[^\\W\\d_]").replace("\\p{Punct}", "[!-/:-@\\[-`{-~]").replace("\\p{Upper}", "[A-Z]")
    py = py.replace("\\p{Lower}", "[a-z]").replace("\\p{Space}", "\\s")
    f = 0
    for ch in flags:
        f |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X, "u": re.U, "U": re.U, "c": 0, "l": 0}.get(ch, 0)
    try:
        return re.compile(py, f)
    except re.error as exc:
        raise JavaException("pattern_syntax_exception", f"{exc.msg} near index {exc.pos}\n{pattern}") from None


def java_replacement(repl: str) -> Callable[[re.Match], str]:
    def expand(m: re.Match) -> str:
        out = []
        i = 0
        while i < len(repl):
            c = repl[i]
            if c == "\\" and i + 1 < len(repl):
                out.append(repl[i + 1])
                i += 2
            elif c == "$" and i + 1 < len(repl):
                if repl[i + 1] == "{":
                    j = repl.index("}", i)
                    out.append(m.group(repl[i + 2:j]) or "")
                    i = j + 1
                else:
                    j = i + 1
                    while j < len(repl) and repl[j].isdigit():
                        j += 1
                    if j == i + 1:
                        raise iae("Illegal group reference")
                    out.append(m.group(int(repl[i + 1:j])) or "")
                    i = j
            else:
                out.append(c)
                i += 1
        return "".join(out)
    return expand


def java_split(s: str, regex: str, limit: int = 0) -> list[str]:
    if s == "":
        return [""]
    if len(regex) == 1 and regex not in ".$|()[{^?*+\\":
        parts = s.split(regex, limit - 1) if limit > 0 else s.split(regex)
    else:
        rx = java_regex(regex)
        parts = []
        start = 0
        for m in rx.finditer(s):
            if limit > 0 and len(parts) == limit - 1:
                break
            if m.end() == 0:
                continue
            if m.start() == m.end() and m.start() >= len(s):
                break
            parts.append(s[start:m.start()])
            start = m.end()
        parts.append(s[start:])
    if limit == 0:
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        if parts == [""] and s != "":
            return []
    return parts


def split_on_token(s: str, token: str, limit: int = 0) -> list[str]:
    if not s or not token or len(s) < len(token):
        return [s]
    if limit > 0:
        return s.split(token, limit - 1)
    return s.split(token)


_JAVA_WS = "".join(chr(i) for i in range(33))


# ---------------------------------------------------------------------------------------------- methods
def _arity_error(obj: Any, name: str, n: int) -> JavaException:
    return iae(f"dynamic method [{class_name(obj)}, {name}/{n}] not found")


def _check_index(i: Any, size: int) -> int:
    if type(i) is not int:
        raise cce(f"Cannot cast {class_name(i)} to int")
    if i < 0 or i >= size:
        raise JavaException("index_out_of_bounds_exception", f"Index {i} out of bounds for length {size}")
    return i


def _substring(s: str, begin: int, end: int | None = None) -> str:
    end = len(s) if end is None else end
    if begin < 0 or end > len(s) or begin > end:
        raise JavaException("string_index_out_of_bounds_exception",
                            f"begin {begin}, end {end}, length {len(s)}")
    return s[begin:end]


def _index_of(s: str, target: Any, start: int = 0) -> int:
    return s.find(java_str(target), max(0, start))


def _last_index_of(s: str, target: Any, start: int | None = None) -> int:
    return s.rfind(java_str(target)) if start is None else s.rfind(java_str(target), 0, start + len(java_str(target)))


def _char_at(s: str, i: int) -> str:
    if i < 0 or i >= len(s):
        raise JavaException("string_index_out_of_bounds_exception", f"Index {i} out of bounds for length {len(s)}")
    return s[i]


def _str_arg(v: Any) -> str:
    if v is None:
        raise npe()
    return v if type(v) is str else java_str(v)


STRING_METHODS: dict[str, Callable[..., Any]] = {
    "length": lambda s: len(s),
    "isEmpty": lambda s: len(s) == 0,
    "isBlank": lambda s: s.strip() == "",
    "toLowerCase": lambda s, *_: s.lower(),
    "toUpperCase": lambda s, *_: s.upper(),
    "trim": lambda s: s.strip(_JAVA_WS),
    "strip": lambda s: s.strip(),
    "stripLeading": lambda s: s.lstrip(),
    "stripTrailing": lambda s: s.rstrip(),
    "contains": lambda s, x: _str_arg(x) in s,
    "startsWith": lambda s, x, off=0: s.startswith(_str_arg(x), off),
    "endsWith": lambda s, x: s.endswith(_str_arg(x)),
    "substring": _substring,
    "subSequence": _substring,
    "replace": lambda s, a, b: s.replace(_str_arg(a), _str_arg(b)),
    "replaceAll": lambda s, rx, repl: java_regex(rx).sub(java_replacement(repl), s),
    "replaceFirst": lambda s, rx, repl: java_regex(rx).sub(java_replacement(repl), s, count=1),
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "charAt": _char_at,
    "codePointAt": lambda s, i: ord(_char_at(s, i)),
    "equals": lambda s, o: type(o) is str and s == o,
    "equalsIgnoreCase": lambda s, o: type(o) is str and s.lower() == o.lower(),
    "compareTo": lambda s, o: _string_compare(s, _str_arg(o)),
    "compareToIgnoreCase": lambda s, o: _string_compare(s.lower(), _str_arg(o).lower()),
    "concat": lambda s, o: s + _str_arg(o),
    "matches": lambda s, rx: java_regex(rx).fullmatch(s) is not None,
    "split": lambda s, rx, limit=0: java_split(s, rx, limit),
    "splitOnToken": lambda s, tok, limit=0: split_on_token(s, _str_arg(tok), limit),
    "toString": lambda s: s,
    "hashCode": java_hash,
    "repeat": lambda s, n: s * n,
    "toCharArray": lambda s: list(s),
    "chars": lambda s: Stream(ord(c) for c in s),
    "intern": lambda s: s,
    "encodeBase64": lambda s: base64.b64encode(s.encode()).decode(),
    "decodeBase64": lambda s: base64.b64decode(s.encode()).decode(),
    "getBytes": lambda s, *_: list(s.encode()),
}


def _list_remove(lst: list, x: Any) -> Any:
    if type(x) is int and not isinstance(lst, KeyView):
        _check_index(x, len(lst))
        return lst.pop(x)
    for i, item in enumerate(lst):
        if java_eq(item, x):
            del lst[i]
            if isinstance(lst, KeyView):
                lst.backing.pop(item, None)
            return True
    return False


def _list_add(lst: list, *args: Any) -> Any:
    if len(args) == 1:
        lst.append(args[0])
        return True
    if len(args) == 2:
        i = args[0]
        if type(i) is not int or i < 0 or i > len(lst):
            raise JavaException("index_out_of_bounds_exception", f"Index: {i}, Size: {len(lst)}")
        lst.insert(i, args[1])
        return None
    raise _arity_error(lst, "add", len(args))


def _list_add_all(lst: list, *args: Any) -> bool:
    if len(args) == 1:
        items = list(args[0]) if args[0] is not None else _raise(npe())
        lst.extend(items)
        return bool(items)
    if len(args) == 2:
        i, items = args[0], list(args[1])
        lst[i:i] = items
        return bool(items)
    raise _arity_error(lst, "addAll", len(args))


def _list_set(lst: list, i: int, v: Any) -> Any:
    _check_index(i, len(lst))
    old = lst[i]
    lst[i] = v
    return old


def _list_get(lst: list, i: Any) -> Any:
    return lst[_check_index(i, len(lst))]


def _list_index_of(lst: list, x: Any) -> int:
    for i, item in enumerate(lst):
        if java_eq(item, x):
            return i
    return -1


def _list_last_index_of(lst: list, x: Any) -> int:
    for i in range(len(lst) - 1, -1, -1):
        if java_eq(lst[i], x):
            return i
    return -1


def _contains(items: Iterable[Any], x: Any) -> bool:
    return any(java_eq(item, x) for item in items)


def _remove_if(lst: list, pred: Any) -> bool:
    if isinstance(lst, ValuesView):
        doomed = [k for k, v in lst.backing.items() if truthy(call_fn(pred, v))]
        for k in doomed:
            del lst.backing[k]
        lst[:] = list(lst.backing.values())
        return bool(doomed)
    flags = [truthy(call_fn(pred, x)) for x in lst]
    removed = any(flags)
    if isinstance(lst, KeyView):
        for x, drop in zip(list(lst), flags, strict=True):
            if drop:
                lst.backing.pop(x, None)
    lst[:] = [x for x, drop in zip(list(lst), flags, strict=True) if not drop]
    return removed


def _sort(lst: list, comparator: Any = None) -> None:
    lst.sort(key=sort_key(comparator))


def _join(items: Iterable[Any], sep: str) -> str:
    return sep.join(java_str(x) for x in items)


def _sum(items: Iterable[Any], fn: Any = None) -> Any:
    total: Any = 0.0
    for x in items:
        total = op_add(total, call_fn(fn, x) if fn is not None else x)
    return float(total)


def _sublist(lst: list, a: int, b: int) -> list:
    if a < 0 or b > len(lst) or a > b:
        raise JavaException("index_out_of_bounds_exception", f"fromIndex: {a}, toIndex: {b}, size: {len(lst)}")
    return lst[a:b]


def _group_by(items: Iterable[Any], fn: Any) -> dict:
    out: dict = {}
    for x in items:
        out.setdefault(call_fn(fn, x), []).append(x)
    return out


def _each(items: Iterable[Any], fn: Any) -> Any:
    for x in list(items):
        call_fn(fn, x)
    return items


def _find(items: Iterable[Any], fn: Any) -> Any:
    for x in items:
        if truthy(call_fn(fn, x)):
            return x
    return None


COLLECTION_METHODS: dict[str, Callable[..., Any]] = {
    "size": lambda c: len(c),
    "isEmpty": lambda c: len(c) == 0,
    "contains": _contains,
    "containsAll": lambda c, other: all(_contains(c, x) for x in other),
    "stream": lambda c: Stream(c),
    "forEach": _each,
    "each": _each,
    "toString": java_str,
    "hashCode": java_hash,
    "equals": lambda c, o: java_eq(c, o),
    "iterator": lambda c: Stream(c),
    "any": lambda c, fn: any(truthy(call_fn(fn, x)) for x in c),
    "every": lambda c, fn: all(truthy(call_fn(fn, x)) for x in c),
    "collect": lambda c, fn: [call_fn(fn, x) for x in c],
    "find": _find,
    "findAll": lambda c, fn: [x for x in c if truthy(call_fn(fn, x))],
    "findResult": lambda c, fn: next((r for r in (call_fn(fn, x) for x in c) if r is not None), None),
    "findResults": lambda c, fn: [r for r in (call_fn(fn, x) for x in c) if r is not None],
    "groupBy": _group_by,
    "join": _join,
    "sum": _sum,
    "toArray": lambda c, *_: list(c),
}

LIST_METHODS: dict[str, Callable[..., Any]] = {
    **COLLECTION_METHODS,
    "get": _list_get,
    "getLength": lambda lst: len(lst),
    "add": _list_add,
    "addAll": _list_add_all,
    "set": _list_set,
    "remove": _list_remove,
    "removeAll": lambda lst, other: _remove_if(lst, Lambda(lambda x: _contains(other, x), 1)),
    "retainAll": lambda lst, other: _remove_if(lst, Lambda(lambda x: not _contains(other, x), 1)),
    "removeIf": _remove_if,
    "indexOf": _list_index_of,
    "lastIndexOf": _list_last_index_of,
    "clear": lambda lst: lst.clear(),
    "sort": _sort,
    "subList": _sublist,
    "replaceAll": lambda lst, fn: lst.__setitem__(slice(None), [call_fn(fn, x) for x in lst]),
    "getFirst": lambda lst: lst[0] if lst else _raise(JavaException("no_such_element_exception", None)),
    "getLast": lambda lst: lst[-1] if lst else _raise(JavaException("no_such_element_exception", None)),
    "reversed": lambda lst: lst[::-1],
}


def _raise(exc: Exception) -> Any:
    raise exc


def _set_add(s: set, x: Any) -> bool:
    h = _hashable(x)
    if h in s:
        return False
    s.add(h)
    return True


def _set_remove(s: set, x: Any) -> bool:
    h = _hashable(x)
    if h in s:
        s.discard(h)
        return True
    return False


SET_METHODS: dict[str, Callable[..., Any]] = {
    **COLLECTION_METHODS,
    "add": _set_add,
    "addAll": lambda s, other: any([_set_add(s, x) for x in other]),
    "remove": _set_remove,
    "contains": lambda s, x: _hashable(x) in s,
    "clear": lambda s: s.clear(),
    "removeIf": lambda s, fn: bool([s.discard(x) for x in list(s) if truthy(call_fn(fn, x))]),
}


def _map_remove(m: dict, key: Any, *rest: Any) -> Any:
    if rest:
        if key in m and java_eq(m[key], rest[0]):
            del m[key]
            return True
        return False
    return m.pop(key, None)


def _map_put(m: dict, k: Any, v: Any) -> Any:
    old = m.get(k)
    m[k] = v
    return old


def _compute_if_absent(m: dict, k: Any, fn: Any) -> Any:
    v = m.get(k)
    if v is None:
        v = call_fn(fn, k)
        if v is not None:
            m[k] = v
    return v


def _compute_if_present(m: dict, k: Any, fn: Any) -> Any:
    v = m.get(k)
    if v is not None:
        v = call_fn(fn, k, v)
        if v is None:
            m.pop(k, None)
        else:
            m[k] = v
    return v


def _compute(m: dict, k: Any, fn: Any) -> Any:
    v = call_fn(fn, k, m.get(k))
    if v is None:
        m.pop(k, None)
    else:
        m[k] = v
    return v


def _merge(m: dict, k: Any, v: Any, fn: Any) -> Any:
    old = m.get(k)
    new = v if old is None else call_fn(fn, old, v)
    if new is None:
        m.pop(k, None)
    else:
        m[k] = new
    return new


def _get_by_path(m: dict, path: str, *default: Any) -> Any:
    node: Any = m
    for part in path.split("."):
        if isinstance(node, dict):
            if part not in node:
                if default:
                    return default[0]
                raise iae(f"Could not find key [{part}] using path [{path}]")
            node = node[part]
        elif isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                if default:
                    return default[0]
                raise iae(f"Could not find key [{part}] using path [{path}]") from None
        else:
            if default:
                return default[0]
            raise iae(f"Could not find key [{part}] using path [{path}]")
    return node


MAP_METHODS: dict[str, Callable[..., Any]] = {
    "size": lambda m: len(m),
    "isEmpty": lambda m: len(m) == 0,
    "get": lambda m, k: m.get(k),
    "getOrDefault": lambda m, k, d: m.get(k, d),
    "put": _map_put,
    "putAll": lambda m, other: m.update(other),
    "putIfAbsent": lambda m, k, v: m.setdefault(k, v) if m.get(k) is not None else _map_put(m, k, v),
    "remove": _map_remove,
    "containsKey": lambda m, k: k in m,
    "containsValue": lambda m, v: _contains(m.values(), v),
    "keySet": KeyView,
    "values": ValuesView,
    "entrySet": lambda m: [Entry(k, v, m) for k, v in m.items()],
    "clear": lambda m: m.clear(),
    "computeIfAbsent": _compute_if_absent,
    "computeIfPresent": _compute_if_present,
    "compute": _compute,
    "merge": _merge,
    "forEach": lambda m, fn: [call_fn(fn, k, v) for k, v in list(m.items())] and None,
    "each": lambda m, fn: [call_fn(fn, k, v) for k, v in list(m.items())] and m,
    "collect": lambda m, fn: [call_fn(fn, k, v) for k, v in m.items()],
    "count": lambda m, fn: sum(1 for k, v in m.items() if truthy(call_fn(fn, k, v))),
    "any": lambda m, fn: any(truthy(call_fn(fn, k, v)) for k, v in m.items()),
    "every": lambda m, fn: all(truthy(call_fn(fn, k, v)) for k, v in m.items()),
    "find": lambda m, fn: next((Entry(k, v, m) for k, v in m.items() if truthy(call_fn(fn, k, v))), None),
    "findAll": lambda m, fn: {k: v for k, v in m.items() if truthy(call_fn(fn, k, v))},
    "getByPath": _get_by_path,
    "equals": lambda m, o: java_eq(m, o),
    "toString": java_str,
    "hashCode": java_hash,
}


def _entry_set_value(e: Entry, v: Any) -> Any:
    old = e.value
    e.value = v
    if e._map is not None:
        e._map[e.key] = v
    return old


ENTRY_METHODS: dict[str, Callable[..., Any]] = {
    "getKey": lambda e: e.key,
    "getValue": lambda e: e.value,
    "setValue": _entry_set_value,
    "toString": java_str,
    "equals": lambda e, o: e == o,
}


def _number_methods(is_float: bool) -> dict[str, Callable[..., Any]]:
    return {
        "intValue": lambda n: cast("int", n),
        "longValue": lambda n: cast("long", n),
        "doubleValue": lambda n: float(n),
        "floatValue": lambda n: float(n),
        "shortValue": lambda n: cast("short", n),
        "byteValue": lambda n: cast("byte", n),
        "toString": java_str,
        "equals": lambda n, o: java_equals(n, o),
        "compareTo": compare,
        "hashCode": java_hash,
        "isNaN": lambda n: n != n,
        "isInfinite": lambda n: is_float and math.isinf(n),
    }


INT_METHODS = _number_methods(False)
FLOAT_METHODS = _number_methods(True)
BOOL_METHODS: dict[str, Callable[..., Any]] = {
    "booleanValue": lambda b: b, "toString": java_str, "equals": lambda b, o: b is o,
    "compareTo": compare, "hashCode": java_hash,
}


def _sb_append(sb: StringBuilder, v: Any) -> StringBuilder:
    sb.parts.append(java_str(v))
    return sb


SB_METHODS: dict[str, Callable[..., Any]] = {
    "append": _sb_append,
    "toString": lambda sb: sb.text(),
    "length": lambda sb: len(sb.text()),
    "reverse": lambda sb: (sb.parts.__setitem__(slice(None), [sb.text()[::-1]]), sb)[1],
    "insert": lambda sb, i, v: (sb.parts.__setitem__(slice(None), [sb.text()[:i] + java_str(v) + sb.text()[i:]]),
                                sb)[1],
    "charAt": lambda sb, i: _char_at(sb.text(), i),
    "setLength": lambda sb, n: sb.parts.__setitem__(slice(None), [sb.text()[:n].ljust(n, "\0")]),
    "isEmpty": lambda sb: len(sb.text()) == 0,
}


def _opt_get(o: JavaOptional) -> Any:
    if o.value is None:
        raise JavaException("no_such_element_exception", "No value present")
    return o.value


OPTIONAL_METHODS: dict[str, Callable[..., Any]] = {
    "isPresent": lambda o: o.value is not None,
    "isEmpty": lambda o: o.value is None,
    "get": _opt_get,
    "getAsDouble": _opt_get,
    "getAsInt": _opt_get,
    "getAsLong": _opt_get,
    "orElse": lambda o, d: o.value if o.value is not None else d,
    "orElseGet": lambda o, fn: o.value if o.value is not None else call_fn(fn),
    "ifPresent": lambda o, fn: call_fn(fn, o.value) if o.value is not None else None,
    "map": lambda o, fn: JavaOptional(call_fn(fn, o.value) if o.value is not None else None),
}


def _stream_max(st: Stream, comparator: Any = None) -> JavaOptional:
    return JavaOptional(max(st.items, key=sort_key(comparator)) if st.items else None)


def _stream_min(st: Stream, comparator: Any = None) -> JavaOptional:
    return JavaOptional(min(st.items, key=sort_key(comparator)) if st.items else None)


def _stream_reduce(st: Stream, *args: Any) -> Any:
    if len(args) == 1:
        if not st.items:
            return JavaOptional(None)
        acc = st.items[0]
        for x in st.items[1:]:
            acc = call_fn(args[0], acc, x)
        return JavaOptional(acc)
    acc = args[0]
    for x in st.items:
        acc = call_fn(args[1], acc, x)
    return acc


def _stream_distinct(st: Stream) -> Stream:
    out: list = []
    for x in st.items:
        if not _contains(out, x):
            out.append(x)
    return Stream(out)


STREAM_METHODS: dict[str, Callable[..., Any]] = {
    "filter": lambda st, fn: Stream(x for x in st.items if truthy(call_fn(fn, x))),
    "map": lambda st, fn: Stream(call_fn(fn, x) for x in st.items),
    "mapToInt": lambda st, fn: Stream(call_fn(fn, x) for x in st.items),
    "mapToLong": lambda st, fn: Stream(call_fn(fn, x) for x in st.items),
    "mapToDouble": lambda st, fn: Stream(float(call_fn(fn, x)) for x in st.items),
    "mapToObj": lambda st, fn: Stream(call_fn(fn, x) for x in st.items),
    "flatMap": lambda st, fn: Stream(y for x in st.items for y in call_fn(fn, x).items),
    "boxed": lambda st: st,
    "sorted": lambda st, comparator=None: Stream(sorted(st.items, key=sort_key(comparator))),
    "distinct": _stream_distinct,
    "limit": lambda st, n: Stream(st.items[:n]),
    "skip": lambda st, n: Stream(st.items[n:]),
    "count": lambda st: len(st.items),
    "sum": lambda st: sum(st.items) if st.items else 0,
    "average": lambda st: JavaOptional(sum(st.items) / len(st.items) if st.items else None),
    "max": _stream_max,
    "min": _stream_min,
    "collect": lambda st, collector: collector.fn(st.items),
    "toList": lambda st: list(st.items),
    "forEach": lambda st, fn: [call_fn(fn, x) for x in st.items] and None,
    "anyMatch": lambda st, fn: any(truthy(call_fn(fn, x)) for x in st.items),
    "allMatch": lambda st, fn: all(truthy(call_fn(fn, x)) for x in st.items),
    "noneMatch": lambda st, fn: not any(truthy(call_fn(fn, x)) for x in st.items),
    "findFirst": lambda st: JavaOptional(st.items[0] if st.items else None),
    "findAny": lambda st: JavaOptional(st.items[0] if st.items else None),
    "reduce": _stream_reduce,
    "toArray": lambda st, *_: list(st.items),
    "hasNext": lambda st: bool(st.items),
    "next": lambda st: st.items.pop(0) if st.items else _raise(JavaException("no_such_element_exception", None)),
}


def _matcher_find(m: Matcher, start: int | None = None) -> bool:
    pos = m.pos if start is None else start
    found = m.pattern.search(m.text, pos)
    m.match = found
    if found is not None:
        m.pos = found.end() if found.end() > found.start() else found.end() + 1
        return True
    return False


def _matcher_matches(m: Matcher) -> bool:
    m.match = m.pattern.fullmatch(m.text)
    return m.match is not None


def _matcher_group(m: Matcher, g: Any = 0) -> Any:
    if m.match is None:
        raise JavaException("illegal_state_exception", "No match found")
    try:
        return m.match.group(g)
    except (IndexError, error_type()) as exc:
        raise JavaException("index_out_of_bounds_exception" if isinstance(g, int) else "illegal_argument_exception",
                            f"No group {g}") from exc


def error_type() -> type:
    return re.error


MATCHER_METHODS: dict[str, Callable[..., Any]] = {
    "matches": _matcher_matches,
    "find": _matcher_find,
    "lookingAt": lambda m: (setattr(m, "match", m.pattern.match(m.text)), m.match is not None)[1],
    "group": _matcher_group,
    "namedGroup": _matcher_group,
    "groupCount": lambda m: m.pattern.groups,
    "start": lambda m, g=0: m.match.start(g) if m.match else _raise(JavaException("illegal_state_exception",
                                                                                   "No match available")),
    "end": lambda m, g=0: m.match.end(g) if m.match else _raise(JavaException("illegal_state_exception",
                                                                               "No match available")),
    "replaceAll": lambda m, repl: m.pattern.sub(java_replacement(repl), m.text),
    "replaceFirst": lambda m, repl: m.pattern.sub(java_replacement(repl), m.text, count=1),
    "reset": lambda m: (setattr(m, "pos", 0), setattr(m, "match", None), m)[2],
}

PATTERN_METHODS: dict[str, Callable[..., Any]] = {
    "matcher": lambda p, s: Matcher(p, _str_arg(s)),
    "pattern": lambda p: p.pattern,
    "toString": lambda p: p.pattern,
    "split": lambda p, s, limit=0: java_split(s, p.pattern, limit),
    "asPredicate": lambda p: Lambda(lambda s: p.search(s) is not None, 1),
    "asMatchPredicate": lambda p: Lambda(lambda s: p.fullmatch(s) is not None, 1),
}


def _dv_value(dv: DocValues) -> Any:
    if not dv.values:
        raise JavaException("illegal_state_exception",
                            "A document doesn't have a value for a field! Use doc[<field>].size()==0 to check if a "
                            "document is missing a field!")
    return dv.values[0]


DOC_VALUES_METHODS: dict[str, Callable[..., Any]] = {
    "getValue": _dv_value,
    "getValues": lambda dv: list(dv.values),
    "size": lambda dv: len(dv.values),
    "isEmpty": lambda dv: not dv.values,
    "getEmpty": lambda dv: not dv.values,
    "get": lambda dv, i: _list_get(dv.values, i),
    "getLength": lambda dv: len(dv.values),
    "contains": lambda dv, x: _contains(dv.values, x),
    "stream": lambda dv: Stream(dv.values),
    "toString": java_str,
    "min": lambda dv: min(dv.values) if dv.values else None,
    "max": lambda dv: max(dv.values) if dv.values else None,
    "sum": lambda dv: sum(dv.values),
    "empty": lambda dv: not dv.values,
}

DOC_MAP_METHODS: dict[str, Callable[..., Any]] = {
    "get": lambda d, k: d.lookup(k),
    "containsKey": lambda d, k: d.contains(k),
    "size": lambda d: len(d.fields),
    "isEmpty": lambda d: not d.fields,
}

EXCEPTION_METHODS: dict[str, Callable[..., Any]] = {
    "getMessage": lambda e: e.message,
    "getLocalizedMessage": lambda e: e.message,
    "toString": java_str,
    "getCause": lambda e: e.cause,
}

TOKENIZER_METHODS: dict[str, Callable[..., Any]] = {
    "hasMoreTokens": lambda t: bool(t.tokens),
    "hasMoreElements": lambda t: bool(t.tokens),
    "nextToken": lambda t: t.tokens.pop(0) if t.tokens else _raise(JavaException("no_such_element_exception", None)),
    "nextElement": lambda t: t.tokens.pop(0) if t.tokens else _raise(JavaException("no_such_element_exception",
                                                                                     None)),
    "countTokens": lambda t: len(t.tokens),
}

METHODS_BY_TYPE: dict[type, dict[str, Callable[..., Any]]] = {
    str: STRING_METHODS, list: LIST_METHODS, KeyView: LIST_METHODS, ValuesView: LIST_METHODS, dict: MAP_METHODS,
    set: SET_METHODS, int: INT_METHODS, float: FLOAT_METHODS, bool: BOOL_METHODS, Entry: ENTRY_METHODS,
    StringBuilder: SB_METHODS, JavaOptional: OPTIONAL_METHODS, Stream: STREAM_METHODS, Matcher: MATCHER_METHODS,
    re.Pattern: PATTERN_METHODS, DocValues: DOC_VALUES_METHODS, StringTokenizer: TOKENIZER_METHODS,
}


def methods_for(obj: Any) -> dict[str, Callable[..., Any]] | None:
    table = METHODS_BY_TYPE.get(type(obj))
    if table is not None:
        return table
    if isinstance(obj, DocMap):
        return DOC_MAP_METHODS
    if isinstance(obj, JavaException):
        return EXCEPTION_METHODS
    if isinstance(obj, dict):
        return MAP_METHODS
    if isinstance(obj, list):
        return LIST_METHODS
    if isinstance(obj, Lambda):
        return {n: (lambda f, *a: call_fn(f, *a)) for n in ("apply", "accept", "test", "get", "compare",
                                                            "applyAsInt", "applyAsDouble", "applyAsLong", "run")}
    return getattr(obj, "painless_methods", None)


def call_method(obj: Any, name: str, args: list[Any]) -> Any:
    if obj is None:
        raise npe(f'Cannot invoke "Object.{name}()" because "<receiver>" is null')
    table = methods_for(obj)
    fn = table.get(name) if table is not None else None
    if fn is None:
        if name == "equals" and len(args) == 1:
            return java_equals(obj, args[0])
        if name == "hashCode" and not args:
            return java_hash(obj)
        if name == "toString" and not args:
            return java_str(obj)
        if name == "getClass" and not args:
            return class_name(obj)
        raise _arity_error(obj, name, len(args))
    try:
        return fn(obj, *args)
    except TypeError as exc:
        if "positional argument" in str(exc) or "takes" in str(exc) or "missing" in str(exc):
            raise _arity_error(obj, name, len(args)) from None
        raise cce(str(exc)) from None


def get_field(obj: Any, name: str) -> Any:
    t = type(obj)
    if t is dict:
        return obj.get(name)
    if obj is None:
        raise npe()
    if isinstance(obj, dict):
        return obj.get(name)
    if t is DocValues:
        if name == "value":
            return _dv_value(obj)
        if name == "values":
            return list(obj.values)
        if name == "empty":
            return not obj.values
        if name == "length":
            return len(obj.values)
    if isinstance(obj, DocMap):
        return obj.lookup(name)
    if isinstance(obj, list) and name == "length":
        return len(obj)
    if isinstance(obj, list) and name.isdigit():
        return _list_get(obj, int(name))
    table = methods_for(obj)
    if table is not None:
        cap = name[:1].upper() + name[1:]
        for getter in ("get" + cap, "is" + cap):
            fn = table.get(getter)
            if fn is not None:
                return fn(obj)
        if t is Entry and name in ("key", "value"):
            return getattr(obj, name)
    raise iae(f"dynamic getter [{class_name(obj)}, {name}] not found")


def set_field(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[name] = value
        return
    if obj is None:
        raise npe()
    if isinstance(obj, list) and name.isdigit():
        _list_set(obj, int(name), value)
        return
    if type(obj) is Entry and name == "value":
        _entry_set_value(obj, value)
        return
    raise iae(f"dynamic setter [{class_name(obj)}, {name}] not found")


def get_index(obj: Any, index: Any) -> Any:
    t = type(obj)
    if t is dict:
        return obj.get(index)
    if t is list or isinstance(obj, list):
        if type(index) is not int:
            if index is None:
                raise npe()
            raise cce(f"Cannot cast {class_name(index)} to int")
        n = len(obj)
        i = index + n if index < 0 else index
        if i < 0 or i >= n:
            raise JavaException("index_out_of_bounds_exception", f"Index {index} out of bounds for length {n}")
        return obj[i]
    if obj is None:
        raise npe()
    if isinstance(obj, DocMap):
        return obj.lookup(index)
    if isinstance(obj, dict):
        return obj.get(index)
    if t is DocValues:
        return get_index(obj.values, index)
    raise iae(f"Attempting to address a non-array-like type [{class_name(obj)}] as an array.")


def set_index(obj: Any, index: Any, value: Any) -> None:
    if isinstance(obj, dict):
        obj[index] = value
        return
    if isinstance(obj, list):
        if type(index) is not int:
            raise cce(f"Cannot cast {class_name(index)} to int")
        n = len(obj)
        i = index + n if index < 0 else index
        if i < 0 or i >= n:
            raise JavaException("index_out_of_bounds_exception", f"Index {index} out of bounds for length {n}")
        obj[i] = value
        return
    if obj is None:
        raise npe()
    raise iae(f"Attempting to address a non-array-like type [{class_name(obj)}] as an array.")


def iterate(obj: Any) -> Iterable[Any]:
    if isinstance(obj, (list, set, tuple)):
        return list(obj)
    if isinstance(obj, dict):
        return [Entry(k, v, obj) for k, v in obj.items()]
    if obj is None:
        raise npe()
    if type(obj) is DocValues:
        return list(obj.values)
    if type(obj) is Stream:
        return list(obj.items)
    if type(obj) is str:
        return list(obj)
    raise iae(f"Cannot iterate over [{class_name(obj)}]")


# ---------------------------------------------------------------------------------------------- statics
_INT_RX = re.compile(r"[+-]?[0-9a-zA-Z]+")


def _parse_int(s: Any, radix: int = 10, kind: str = "int") -> int:
    if s is None:
        raise JavaException("number_format_exception", 'Cannot parse null string: null')
    text = _str_arg(s)
    if radix == 10 and text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)  # the common case: a few plain decimal digits, always in range
    if not _INT_RX.fullmatch(text):
        raise JavaException("number_format_exception", f'For input string: "{text}"'
                            + (f" under radix {radix}" if radix != 10 else ""))
    try:
        value = int(text, radix)
    except ValueError:
        raise JavaException("number_format_exception", f'For input string: "{text}"') from None
    lo, hi = (INT_MIN, INT_MAX) if kind == "int" else (LONG_MIN, LONG_MAX)
    if not lo <= value <= hi:
        raise JavaException("number_format_exception", f'For input string: "{text}"')
    return value


_DOUBLE_RX = re.compile(r"\s*[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)\s*")


def _parse_double(s: Any) -> float:
    if s is None:
        raise npe()
    text = _str_arg(s)
    if text.isascii() and text.replace(".", "", 1).isdigit():
        return float(text)  # the common case: plain decimal digits with at most one point
    if not _DOUBLE_RX.fullmatch(text):
        raise JavaException("number_format_exception",
                            "empty String" if not text.strip() else f'For input string: "{text}"')
    return float(text.strip().rstrip("fFdD").replace("Infinity", "inf"))


def _java_round(x: Any) -> int:
    if type(x) is int:
        return x
    if x != x:
        return 0
    return math.floor(x + 0.5)


def _math_abs(x: Any) -> Any:
    if type(x) in (int, float):
        return abs(x)
    raise _bad_op("abs", x, x)


def _num_arg(x: Any) -> float:
    if type(x) in (int, float):
        return float(x)
    if x is None:
        raise npe()
    raise cce(f"Cannot cast {class_name(x)} to double")


def _safe(fn: Callable[[float], float]) -> Callable[[Any], float]:
    def wrapped(x: Any) -> float:
        try:
            return fn(_num_arg(x))
        except (ValueError, OverflowError):
            return math.nan
    return wrapped


def _log(x: Any) -> float:
    v = _num_arg(x)
    if v == 0:
        return -math.inf
    if v < 0 or v != v:
        return math.nan
    return math.log(v)


def _log10(x: Any) -> float:
    v = _num_arg(x)
    if v == 0:
        return -math.inf
    if v < 0 or v != v:
        return math.nan
    return math.log10(v)


def _pow(a: Any, b: Any) -> float:
    try:
        return math.pow(_num_arg(a), _num_arg(b))
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


def _max(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return max(a, b)
    return max(_num_arg(a), _num_arg(b))


def _min(a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int:
        return min(a, b)
    return min(_num_arg(a), _num_arg(b))


def _floor_div(a: int, b: int) -> int:
    if b == 0:
        raise JavaException("arithmetic_exception", "/ by zero")
    return a // b


def _floor_mod(a: int, b: int) -> int:
    if b == 0:
        raise JavaException("arithmetic_exception", "/ by zero")
    return a % b


def _value_of_str(v: Any, *rest: Any) -> str:
    if rest and isinstance(v, list):  # valueOf(char[], offset, count)
        return "".join(v[rest[0]:rest[0] + rest[1]])
    if isinstance(v, list) and all(type(c) is str and len(c) == 1 for c in v):
        return "".join(v)
    return java_str(v)


def _string_format(fmt: str, *args: Any) -> str:
    converted = re.sub(r"%(\d+\$)?([-#+ 0,(]*)(\d+)?(\.\d+)?([sdfxXeEgGbBcn%])",
                       lambda m: _format_one(m, args, _format_one.counter), fmt)
    _format_one.counter[0] = 0
    return converted


def _format_one(m: re.Match, args: tuple, counter: list[int]) -> str:
    conv = m.group(5)
    if conv == "%":
        return "%"
    if conv == "n":
        return "\n"
    if m.group(1):
        value = args[int(m.group(1)[:-1]) - 1]
    else:
        value = args[counter[0]] if counter[0] < len(args) else None
        counter[0] += 1
    flags = (m.group(2) or "").replace(",", ",")
    width = m.group(3) or ""
    prec = m.group(4) or ""
    if conv in "sS":
        text = java_str(value)
        if prec:
            text = text[:int(prec[1:])]
        text = f"{text:{'<' if '-' in flags else '>'}{width}}" if width else text
        return text.upper() if conv == "S" else text
    if conv in "bB":
        return java_str(value is not None and value is not False)
    if conv == "c":
        return value if type(value) is str else chr(value)
    spec = flags.replace("(", "") + width + prec + conv
    try:
        return format(value, spec)
    except (ValueError, TypeError):
        raise JavaException("illegal_format_conversion_exception",
                            f"{conv} != {class_name(value)}") from None


_format_one.counter = [0]  # type: ignore[attr-defined]


def _list_of(*items: Any) -> list:
    return list(items)


def _map_of(*kv: Any) -> dict:
    return {kv[i]: kv[i + 1] for i in range(0, len(kv), 2)}


def _collections_sort(lst: list, comparator: Any = None) -> None:
    _sort(lst, comparator)


def _char_check(fn: Callable[[str], bool]) -> Callable[[Any], bool]:
    def check(c: Any) -> bool:
        if type(c) is int:
            c = chr(c)
        return bool(c) and fn(c[0])
    return check


def _joining(sep: str = "", prefix: str = "", suffix: str = "") -> Collector:
    return Collector(lambda items: prefix + sep.join(java_str(x) for x in items) + suffix)


def _grouping_by(fn: Any, downstream: Collector | None = None) -> Collector:
    def collect(items: list) -> dict:
        groups = _group_by(items, fn)
        if downstream is not None:
            return {k: downstream.fn(v) for k, v in groups.items()}
        return groups
    return Collector(collect)


def _to_map(kfn: Any, vfn: Any, merge: Any = None) -> Collector:
    def collect(items: list) -> dict:
        out: dict = {}
        for x in items:
            k = call_fn(kfn, x)
            v = call_fn(vfn, x)
            if k in out:
                if merge is None:
                    raise JavaException("illegal_state_exception", f"Duplicate key {java_str(k)}")
                v = call_fn(merge, out[k], v)
            out[k] = v
        return out
    return Collector(collect)


STATIC_METHODS: dict[str, dict[str, Callable[..., Any]]] = {
    "Math": {
        "abs": _math_abs, "max": _max, "min": _min, "round": _java_round,
        "floor": lambda x: float(math.floor(_num_arg(x))), "ceil": lambda x: float(math.ceil(_num_arg(x))),
        "rint": lambda x: float(round(_num_arg(x))), "pow": _pow, "sqrt": _safe(math.sqrt), "cbrt": _safe(
            lambda v: math.copysign(abs(v) ** (1 / 3), v)), "log": _log, "log10": _log10,
        "log1p": _safe(math.log1p), "exp": _safe(math.exp), "expm1": _safe(math.expm1),
        "signum": lambda x: math.copysign(1.0, _num_arg(x)) if _num_arg(x) != 0 else 0.0,
        "sin": _safe(math.sin), "cos": _safe(math.cos), "tan": _safe(math.tan), "asin": _safe(math.asin),
        "acos": _safe(math.acos), "atan": _safe(math.atan), "atan2": lambda a, b: math.atan2(_num_arg(a), _num_arg(b)),
        "sinh": _safe(math.sinh), "cosh": _safe(math.cosh), "tanh": _safe(math.tanh),
        "hypot": lambda a, b: math.hypot(_num_arg(a), _num_arg(b)), "toRadians": _safe(math.radians),
        "toDegrees": _safe(math.degrees), "random": lambda: random.random(), "floorDiv": _floor_div,
        "floorMod": _floor_mod, "addExact": lambda a, b: a + b, "multiplyExact": lambda a, b: a * b,
        "negateExact": lambda a: -a, "toIntExact": lambda a: cast("int", a),
    },
    "Integer": {
        "parseInt": _parse_int, "valueOf": lambda s, r=10: s if type(s) is int else _parse_int(s, r),
        "toString": lambda v, r=10: java_str(v) if r == 10 else _to_radix(v, r), "compare": lambda a, b: compare(a, b),
        "toHexString": lambda v: format(v & 0xFFFFFFFF, "x"), "toBinaryString": lambda v: format(v & 0xFFFFFFFF, "b"),
        "max": max, "min": min, "sum": lambda a, b: a + b, "signum": lambda v: (v > 0) - (v < 0),
        "bitCount": lambda v: bin(v & 0xFFFFFFFF).count("1"),
    },
    "Long": {
        "parseLong": lambda s, r=10: _parse_int(s, r, "long"),
        "valueOf": lambda s, r=10: s if type(s) is int else _parse_int(s, r, "long"),
        "toString": lambda v, r=10: java_str(v) if r == 10 else _to_radix(v, r), "compare": lambda a, b: compare(a, b),
        "toHexString": lambda v: format(v & 0xFFFFFFFFFFFFFFFF, "x"), "max": max, "min": min,
        "sum": lambda a, b: a + b, "signum": lambda v: (v > 0) - (v < 0),
    },
    "Double": {
        "parseDouble": _parse_double, "valueOf": lambda s: float(s) if type(s) in (int, float) else _parse_double(s),
        "toString": java_str, "isNaN": lambda v: v != v, "isInfinite": lambda v: math.isinf(v),
        "isFinite": lambda v: math.isfinite(v), "compare": lambda a, b: compare(a, b), "max": max, "min": min,
        "sum": lambda a, b: float(a) + float(b),
    },
    "Float": {
        "parseFloat": _parse_double, "valueOf": lambda s: float(s) if type(s) in (int, float) else _parse_double(s),
        "toString": java_str, "isNaN": lambda v: v != v, "compare": lambda a, b: compare(a, b),
    },
    "Boolean": {
        "parseBoolean": lambda s: type(s) is str and s.lower() == "true",
        "valueOf": lambda s: s if type(s) is bool else (type(s) is str and s.lower() == "true"),
        "toString": java_str, "compare": lambda a, b: compare(a, b), "logicalAnd": lambda a, b: a and b,
        "logicalOr": lambda a, b: a or b, "logicalXor": lambda a, b: a != b,
    },
    "String": {
        "valueOf": _value_of_str, "join": lambda sep, *items: _join(items[0] if len(items) == 1 and isinstance(
            items[0], (list, set)) else items, java_str(sep)), "format": _string_format, "copyValueOf": _value_of_str,
    },
    "Character": {
        "isDigit": _char_check(str.isdigit), "isLetter": _char_check(str.isalpha),
        "isLetterOrDigit": _char_check(str.isalnum), "isWhitespace": _char_check(str.isspace),
        "isUpperCase": _char_check(str.isupper), "isLowerCase": _char_check(str.islower),
        "isAlphabetic": _char_check(str.isalpha),
        "toUpperCase": lambda c: (chr(c) if type(c) is int else c).upper(),
        "toLowerCase": lambda c: (chr(c) if type(c) is int else c).lower(),
        "getNumericValue": lambda c: int(c) if type(c) is str and c.isdigit() else -1,
        "toString": java_str, "valueOf": lambda c: c,
    },
    "Objects": {
        "equals": lambda a, b: java_equals(a, b) if a is not None else b is None, "isNull": lambda a: a is None,
        "nonNull": lambda a: a is not None, "hash": lambda *a: java_hash(list(a)), "hashCode": java_hash,
        "toString": lambda a, d=None: java_str(a) if a is not None or d is None else d,
        "requireNonNull": lambda a, msg=None: a if a is not None else _raise(npe(msg)),
        "requireNonNullElse": lambda a, d: a if a is not None else d,
    },
    "Collections": {
        "sort": _collections_sort, "reverse": lambda lst: lst.reverse(), "emptyList": lambda: [],
        "emptyMap": lambda: {}, "emptySet": lambda: set(), "singletonList": lambda x: [x],
        "singleton": lambda x: {_hashable(x)}, "singletonMap": lambda k, v: {k: v},
        "unmodifiableList": lambda x: x, "unmodifiableMap": lambda x: x, "unmodifiableSet": lambda x: x,
        "max": lambda c, cmp=None: max(c, key=sort_key(cmp)), "min": lambda c, cmp=None: min(c, key=sort_key(cmp)),
        "shuffle": lambda lst: random.shuffle(lst), "frequency": lambda c, x: sum(1 for y in c if java_eq(x, y)),
        "nCopies": lambda n, x: [x] * n, "addAll": lambda c, *xs: (c.extend(xs), True)[1],
    },
    "Arrays": {"asList": lambda *a: list(a[0]) if len(a) == 1 and isinstance(a[0], list) else list(a),
               "sort": _collections_sort, "toString": java_str, "stream": lambda a: Stream(a),
               "fill": lambda a, v: a.__setitem__(slice(None), [v] * len(a))},
    "List": {"of": _list_of, "copyOf": lambda c: list(c)},
    "Set": {"of": lambda *items: {_hashable(x) for x in items}, "copyOf": lambda c: {_hashable(x) for x in c}},
    "Map": {"of": _map_of, "entry": lambda k, v: Entry(k, v), "copyOf": lambda m: dict(m)},
    "Pattern": {"compile": lambda p, flags=0: java_regex(p, "i" if flags & 2 else ""),
                "matches": lambda p, s: java_regex(p).fullmatch(s) is not None, "quote": lambda s: re.escape(s)},
    "Collectors": {
        "toList": lambda: Collector(list), "toSet": lambda: Collector(lambda items: {_hashable(x) for x in items}),
        "joining": _joining, "groupingBy": _grouping_by, "counting": lambda: Collector(len),
        "toMap": _to_map, "summingInt": lambda fn: Collector(lambda items: sum(call_fn(fn, x) for x in items)),
        "summingLong": lambda fn: Collector(lambda items: sum(call_fn(fn, x) for x in items)),
        "summingDouble": lambda fn: Collector(lambda items: float(sum(call_fn(fn, x) for x in items))),
    },
    "Optional": {"of": lambda v: JavaOptional(v), "ofNullable": lambda v: JavaOptional(v),
                 "empty": lambda: JavaOptional(None)},
    "Base64": {},
}
STATIC_METHODS["StrictMath"] = STATIC_METHODS["Math"]

STATIC_FIELDS: dict[str, dict[str, Any]] = {
    "Math": {"PI": math.pi, "E": math.e},
    "Integer": {"MAX_VALUE": INT_MAX, "MIN_VALUE": INT_MIN},
    "Long": {"MAX_VALUE": LONG_MAX, "MIN_VALUE": LONG_MIN},
    "Double": {"MAX_VALUE": 1.7976931348623157e308, "MIN_VALUE": 5e-324, "POSITIVE_INFINITY": math.inf,
               "NEGATIVE_INFINITY": -math.inf, "NaN": math.nan},
    "Float": {"MAX_VALUE": 3.4028234663852886e38, "MIN_VALUE": 1.401298464324817e-45,
              "POSITIVE_INFINITY": math.inf, "NEGATIVE_INFINITY": -math.inf, "NaN": math.nan},
    "Short": {"MAX_VALUE": 32767, "MIN_VALUE": -32768},
    "Byte": {"MAX_VALUE": 127, "MIN_VALUE": -128},
    "Boolean": {"TRUE": True, "FALSE": False},
    "Pattern": {"CASE_INSENSITIVE": 2, "MULTILINE": 8, "DOTALL": 32},
}


def _to_radix(v: int, radix: int) -> str:
    if v == 0:
        return "0"
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    neg = v < 0
    v = abs(v)
    out = []
    while v:
        v, r = divmod(v, radix)
        out.append(digits[r])
    return ("-" if neg else "") + "".join(reversed(out))


def construct(type_name: str, args: list[Any]) -> Any:
    if type_name in ("ArrayList", "LinkedList", "List", "ArrayDeque", "Deque", "Queue"):
        if args and isinstance(args[0], (list, set, tuple)):
            return list(args[0])
        return []
    if type_name in ("HashMap", "LinkedHashMap", "TreeMap", "Map"):
        if args and isinstance(args[0], dict):
            return dict(args[0])
        return {}
    if type_name in ("HashSet", "LinkedHashSet", "TreeSet", "Set"):
        s: set = set()
        if args and isinstance(args[0], (list, set, tuple)):
            for x in args[0]:
                _set_add(s, x)
        return s
    if type_name == "StringTokenizer":
        if not args or args[0] is None:
            raise npe()
        return StringTokenizer(_str_arg(args[0]), *(_str_arg(a) for a in args[1:2]))
    if type_name == "StringBuilder":
        return StringBuilder(java_str(args[0]) if args and type(args[0]) is str else "")
    if type_name == "String":
        return _value_of_str(args[0]) if args else ""
    if type_name == "Object":
        return {}
    if type_name in EXCEPTION_CLASSES:
        message = java_str(args[0]) if args and args[0] is not None else None
        return JavaException(EXCEPTION_CLASSES[type_name], message,
                             java_class=_exception_java_class(type_name))
    raise iae(f"Unknown new call on type [{type_name}] with [{len(args)}] arguments.")


def _exception_java_class(name: str) -> str:
    package = "java.time.format" if name == "DateTimeParseException" else (
        "java.time" if name == "DateTimeException" else "java.lang")
    return f"{package}.{name}"


def default_value(type_name: str) -> Any:
    if type_name in ("int", "long", "short", "byte"):
        return 0
    if type_name in ("double", "float"):
        return 0.0
    if type_name == "boolean":
        return False
    if type_name == "char":
        return "\0"
    return None


def _install_time() -> None:
    from . import jtime

    METHODS_BY_TYPE.update(jtime.METHODS_BY_TYPE)
    for cls, methods in jtime.STATICS.items():
        STATIC_METHODS.setdefault(cls, {}).update(methods)
    for cls, fields in jtime.STATIC_FIELDS.items():
        STATIC_FIELDS.setdefault(cls, {}).update(fields)
    INSTANCE_CHECKS["ZonedDateTime"] = lambda v: isinstance(v, jtime.ZonedDateTime)
    INSTANCE_CHECKS["Instant"] = lambda v: isinstance(v, jtime.Instant)


_install_time()
