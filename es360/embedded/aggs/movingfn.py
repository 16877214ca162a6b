"""A small Painless-expression evaluator for `moving_fn` scripts.

bucket_script and bucket_selector run on the engine's Painless interpreter (es360.embedded.painless);
moving_fn scripts call `MovingFunctions.*` (max, min, sum, unweightedAvg, linearWeightedAvg, ewma, holt,
stdDev), which that interpreter does not know, so they run here. Supported: `params.x` /
`params['x']` / `params.get('x')`, `values`, arithmetic, comparisons, `&&` `||` `!`, the ternary
operator, `Math.*`, `def`/`double`/`var` locals, `if`/`else` and `return`. Anything else is a 400
`script_exception`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from ..errors import EsError

_TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[dDfFlL]?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,()\[\]{};=])
""", re.X | re.S)

Env = dict[str, Any]
Fn = Callable[[Env], Any]


def script_error(reason: str, source: str = "") -> EsError:
    return EsError(400, "script_exception", reason, script=source, lang="painless")


def _tokens(source: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise script_error(f"unexpected character [{source[pos]}]", source)
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "ws":
            continue
        out.append((kind, m.group()))
    out.append(("end", ""))
    return out


def _moving(values: Any) -> list[float]:
    return [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def _mf_max(values: Any) -> float:
    vals = _moving(values)
    return max(vals) if vals else float("nan")


def _mf_min(values: Any) -> float:
    vals = _moving(values)
    return min(vals) if vals else float("nan")


def _mf_sum(values: Any) -> float:
    return float(sum(_moving(values)))


def _mf_avg(values: Any) -> float:
    vals = _moving(values)
    return sum(vals) / len(vals) if vals else float("nan")


def _mf_std(values: Any, avg: float | None = None) -> float:
    vals = _moving(values)
    if not vals:
        return float("nan")
    mean = _mf_avg(vals) if avg is None else avg
    return math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals))


def _mf_linear(values: Any) -> float:
    vals = _moving(values)
    if not vals:
        return float("nan")
    total = sum(v * (i + 1) for i, v in enumerate(vals))
    return total / sum(range(1, len(vals) + 1))


def _mf_ewma(values: Any, alpha: float = 0.3) -> float:
    vals = _moving(values)
    if not vals:
        return float("nan")
    avg = vals[0]
    for v in vals[1:]:
        avg = v * alpha + avg * (1 - alpha)
    return avg


def _mf_holt(values: Any, alpha: float = 0.3, beta: float = 0.1) -> float:
    vals = _moving(values)
    if not vals:
        return float("nan")
    if len(vals) == 1:
        return vals[0]
    s, b = vals[0], vals[1] - vals[0]
    for v in vals[1:]:
        last_s = s
        s = alpha * v + (1 - alpha) * (s + b)
        b = beta * (s - last_s) + (1 - beta) * b
    return s + b


MOVING_FUNCTIONS = {
    "max": _mf_max, "min": _mf_min, "sum": _mf_sum, "unweightedAvg": _mf_avg, "stdDev": _mf_std,
    "linearWeightedAvg": _mf_linear, "ewma": _mf_ewma, "holt": _mf_holt,
}


def _round(x: float) -> int:
    return int(math.floor(x + 0.5))


MATH = {
    "max": max, "min": min, "abs": abs, "sqrt": math.sqrt, "pow": math.pow, "log": math.log,
    "log10": math.log10, "exp": math.exp, "floor": math.floor, "ceil": math.ceil, "round": _round,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "signum": lambda x: float((x > 0) - (x < 0)),
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x), "random": lambda: 0.5, "PI": math.pi, "E": math.e,
    "hypot": math.hypot, "atan": math.atan, "atan2": math.atan2,
}


class _Namespace:
    def __init__(self, members: dict[str, Any]) -> None:
        self.members = members


GLOBALS: dict[str, Any] = {"Math": _Namespace(MATH), "MovingFunctions": _Namespace(MOVING_FUNCTIONS),
                           "Double": _Namespace({"NaN": float("nan"), "MAX_VALUE": 1.7976931348623157e308,
                                                 "POSITIVE_INFINITY": float("inf"),
                                                 "NEGATIVE_INFINITY": float("-inf"),
                                                 "isNaN": math.isnan}),
                           "Integer": _Namespace({"MAX_VALUE": 2**31 - 1, "MIN_VALUE": -(2**31)}),
                           "Long": _Namespace({"MAX_VALUE": 2**63 - 1, "MIN_VALUE": -(2**63)})}


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Script:
    """A compiled script: `run(variables)` returns the script's value."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = _tokens(source)
        self.i = 0
        self.body = self._statements()

    # ---- parser ---------------------------------------------------------------------------
    def _peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def _next(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _accept(self, value: str) -> bool:
        if self.toks[self.i][1] == value and self.toks[self.i][0] != "str":
            self.i += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if not self._accept(value):
            raise script_error(f"unexpected token [{self._peek()[1]}], expected [{value}]", self.source)

    def _statements(self, until: str = "end") -> list[Fn]:
        stmts: list[Fn] = []
        while self._peek()[0] != "end" and self._peek()[1] != until:
            if self._accept(";"):
                continue
            stmts.append(self._statement())
        return stmts

    def _block(self) -> Fn:
        if self._accept("{"):
            stmts = self._statements("}")
            self._expect("}")
        else:
            stmts = [self._statement()]

        def run(env: Env) -> Any:
            for s in stmts:
                s(env)
        return run

    def _statement(self) -> Fn:
        kind, text = self._peek()
        if kind == "name" and text == "return":
            self._next()
            expr = self._expr()
            self._accept(";")

            def ret(env: Env) -> Any:
                raise _Return(expr(env))
            return ret
        if kind == "name" and text == "if":
            self._next()
            self._expect("(")
            cond = self._expr()
            self._expect(")")
            then = self._block()
            other = None
            if self._peek()[1] == "else":
                self._next()
                other = self._block()

            def if_stmt(env: Env) -> Any:
                if cond(env):
                    then(env)
                elif other is not None:
                    other(env)
            return if_stmt
        if kind == "name" and text in ("def", "double", "int", "long", "float", "var", "boolean", "Double",
                                       "Integer", "Long", "String") and self.toks[self.i + 1][0] == "name":
            self._next()
            name = self._next()[1]
            expr = self._expr() if self._accept("=") else (lambda env: None)
            self._accept(";")

            def define(env: Env) -> Any:
                env[name] = expr(env)
            return define
        if kind == "name" and self.toks[self.i + 1][1] == "=" and self.toks[self.i + 2][1] != "=":
            name = self._next()[1]
            self._next()
            expr = self._expr()
            self._accept(";")

            def assign(env: Env) -> Any:
                env[name] = expr(env)
            return assign
        expr = self._expr()
        self._accept(";")

        def value(env: Env) -> Any:
            env["__last__"] = expr(env)
        return value

    def _expr(self) -> Fn:
        cond = self._binary(0)
        if self._accept("?"):
            yes = self._expr()
            self._expect(":")
            no = self._expr()
            return lambda env: yes(env) if cond(env) else no(env)
        return cond

    _PREC = [("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "/", "%")]

    def _binary(self, level: int) -> Fn:
        if level == len(self._PREC):
            return self._unary()
        left = self._binary(level + 1)
        while self._peek()[0] == "op" and self._peek()[1] in self._PREC[level]:
            op = self._next()[1]
            right = self._binary(level + 1)
            left = _binop(op, left, right)
        return left

    def _unary(self) -> Fn:
        if self._accept("-"):
            inner = self._unary()
            return lambda env: -inner(env)
        if self._accept("+"):
            return self._unary()
        if self._accept("!"):
            inner = self._unary()
            return lambda env: not inner(env)
        if self._peek()[1] == "(" and self.toks[self.i + 1][1] in ("double", "int", "long", "float") \
                and self.toks[self.i + 2][1] == ")":
            self.i += 1
            cast = self._next()[1]
            self.i += 1
            inner = self._unary()
            if cast == "double" or cast == "float":
                return lambda env: float(inner(env))
            return lambda env: int(inner(env))
        return self._postfix(self._primary())

    def _primary(self) -> Fn:
        kind, text = self._next()
        if kind == "num":
            clean = text.rstrip("dDfFlL")
            if re.fullmatch(r"\d+", clean) and text[-1:] not in "dDfF":
                value: Any = int(clean)
            else:
                value = float(clean)
            return lambda env: value
        if kind == "str":
            literal = bytes(text[1:-1], "utf-8").decode("unicode_escape")
            return lambda env: literal
        if kind == "name":
            if text == "true":
                return lambda env: True
            if text == "false":
                return lambda env: False
            if text == "null":
                return lambda env: None
            if text == "new":
                raise script_error("object creation is not supported", self.source)
            name = text

            def lookup(env: Env) -> Any:
                if name in env:
                    return env[name]
                if name in GLOBALS:
                    return GLOBALS[name]
                raise script_error(f"cannot resolve symbol [{name}]", self.source)
            return lookup
        if text == "(":
            inner = self._expr()
            self._expect(")")
            return inner
        raise script_error(f"unexpected token [{text}]", self.source)

    def _postfix(self, target: Fn) -> Fn:
        while True:
            if self._accept("."):
                member = self._next()[1]
                if self._accept("("):
                    args = self._args()
                    target = _method(target, member, args, self.source)
                else:
                    target = _member(target, member, self.source)
            elif self._accept("["):
                index = self._expr()
                self._expect("]")
                target = _index(target, index)
            else:
                return target

    def _args(self) -> list[Fn]:
        args: list[Fn] = []
        if self._accept(")"):
            return args
        while True:
            args.append(self._expr())
            if self._accept(")"):
                return args
            self._expect(",")

    # ---- evaluation -----------------------------------------------------------------------
    def run(self, variables: dict[str, Any]) -> Any:
        env: Env = dict(variables)
        try:
            for stmt in self.body:
                stmt(env)
        except _Return as ret:
            return ret.value
        except EsError:
            raise
        except (TypeError, ValueError, ZeroDivisionError, KeyError, AttributeError) as exc:
            raise script_error(f"runtime error: {exc}", self.source) from None
        return env.get("__last__")


def _num(value: Any) -> Any:
    return value


def _binop(op: str, left: Fn, right: Fn) -> Fn:
    if op == "&&":
        return lambda env: bool(left(env)) and bool(right(env))
    if op == "||":
        return lambda env: bool(left(env)) or bool(right(env))

    def apply(env: Env) -> Any:
        a, b = left(env), right(env)
        if op == "+":
            if isinstance(a, str) or isinstance(b, str):
                return _str(a) + _str(b)
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
                if b == 0:
                    raise script_error("/ by zero")
                q = abs(a) // abs(b)
                return q if (a >= 0) == (b >= 0) else -q
            if b == 0:
                return math.copysign(float("inf"), a) if a else float("nan")
            return a / b
        if op == "%":
            return math.fmod(a, b) if b else float("nan")
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if a is None or b is None:
            raise script_error("cannot compare null values")
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b
    return apply


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        from .formats import java_double

        return java_double(value)
    return "null" if value is None else str(value)


def _member(target: Fn, member: str, source: str) -> Fn:
    def get(env: Env) -> Any:
        obj = target(env)
        if isinstance(obj, _Namespace):
            if member not in obj.members:
                raise script_error(f"unknown member [{member}]", source)
            return obj.members[member]
        if isinstance(obj, dict):
            return obj.get(member)
        if member == "length" and isinstance(obj, (list, str)):
            return len(obj)
        raise script_error(f"cannot access [{member}]", source)
    return get


def _index(target: Fn, index: Fn) -> Fn:
    def get(env: Env) -> Any:
        obj = target(env)
        key = index(env)
        if isinstance(obj, dict):
            return obj.get(key)
        return obj[int(key)]
    return get


def _method(target: Fn, member: str, args: list[Fn], source: str) -> Fn:
    def call(env: Env) -> Any:
        obj = target(env)
        values = [a(env) for a in args]
        if isinstance(obj, _Namespace):
            fn = obj.members.get(member)
            if not callable(fn):
                raise script_error(f"unknown method [{member}]", source)
            return fn(*values)
        if isinstance(obj, dict):
            if member == "get":
                return obj.get(values[0])
            if member == "containsKey":
                return values[0] in obj
            if member == "size":
                return len(obj)
        if isinstance(obj, (list, tuple)):
            if member == "size":
                return len(obj)
            if member == "get":
                return obj[int(values[0])]
            if member == "isEmpty":
                return not obj
        if isinstance(obj, str):
            if member == "length":
                return len(obj)
            if member == "equals":
                return obj == values[0]
        if isinstance(obj, (int, float)):
            if member in ("doubleValue", "floatValue"):
                return float(obj)
            if member in ("intValue", "longValue"):
                return int(obj)
            if member == "isNaN":
                return isinstance(obj, float) and math.isnan(obj)
        raise script_error(f"unknown method [{member}]", source)
    return call


_CACHE: dict[str, Script] = {}


def compile_script(spec: Any) -> tuple[Script, dict[str, Any]]:
    """A script spec (string or {source, lang, params, id}) -> (compiled script, params)."""
    params: dict[str, Any] = {}
    if isinstance(spec, dict):
        if "id" in spec and "source" not in spec:
            raise EsError(404, "resource_not_found_exception", f"unable to find script [{spec['id']}] in cluster state")
        source = spec.get("source", spec.get("inline"))
        lang = spec.get("lang", "painless")
        if lang not in ("painless", "expression"):
            raise EsError(400, "illegal_argument_exception", f"script_lang not supported [{lang}]")
        params = dict(spec.get("params") or {})
    else:
        source = spec
    if not isinstance(source, str):
        raise EsError(400, "parsing_exception", "[script] must be a string or an object with [source]")
    script = _CACHE.get(source)
    if script is None:
        script = Script(source)
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[source] = script
    return script, params
