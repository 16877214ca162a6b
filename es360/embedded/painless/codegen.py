"""Painless to Python source: a script becomes one Python function, compiled once with `compile()`.

The closure compiler in `interpreter.py` is the reference; this backend produces the same values,
side effects and errors (down to the script offset an error points at) for the scripts it
accepts, and is several times faster: locals are Python locals, statements are Python statements,
and the common cases (map field access, int/string arithmetic, `==`) run inline.

It declines (returns None, so the closure compiler runs the script) scripts with user functions,
lambdas, method references or variables that shadow script variables.

Error positions follow the closure compiler exactly:

* every statement is wrapped in a try that gives an error without a position the statement's
  offset and turns Python errors into Java ones (the closure compiler's `guarded`);
* nodes that stamp their own offset on errors they raise (field access on non-maps, calls,
  binary operators, ...) do so in the helpers below;
* `&&`/`||`, casts, `new` and context functions stamp errors raised while evaluating their
  operands: they are passed down as `ctx`, the offset that such errors get.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import runtime as rt
from .errors import JavaException, PainlessCompileError, PainlessError
from .parser import Node, Program

MAX_LOOP = 1_000_000
_MISSING: Any = object()
_PY_ERRORS = (RecursionError, TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError,
              ZeroDivisionError)
_BOOL_BINARY = frozenset({"==", "!=", "===", "!==", "<", "<=", ">", ">=", "=~", "==~"})
_IDENTITY_COERCIONS = {"int": "int", "long": "int", "short": "int", "byte": "int", "Integer": "int", "Long": "int",
                       "double": "float", "Double": "float", "String": "str", "List": "list", "ArrayList": "list",
                       "Collection": "list", "Iterable": "list", "Map": "dict", "HashMap": "dict"}


class _Unsupported(Exception):
    """The script uses something this backend leaves to the closure compiler."""


# ---------------------------------------------------------------------------------------------- helpers
def _fill(exc: JavaException, pos: int | None) -> JavaException:
    if exc.pos is None:
        exc.pos = pos
    return exc


def _loop_error() -> PainlessError:
    return PainlessError("painless_error", "The maximum number of statements that can be executed in a loop has "
                         "been reached.")


def _truthy(v: Any, pos: int | None) -> bool:
    try:
        return rt.truthy(v)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _not_slow(v: Any, pos: int) -> bool:
    try:
        return not rt.truthy(v)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _at(pos: int | None, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, stamping `pos` on a Java exception without one (None: leave it to the statement)."""
    try:
        return fn(*args)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _gf(o: Any, name: str, null_safe: bool, pos: int) -> Any:
    if o is None and null_safe:
        return None
    try:
        return rt.get_field(o, name)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _gi(o: Any, i: Any, pos: int) -> Any:
    if type(o) is dict:
        return o.get(i)
    try:
        return rt.get_index(o, i)
    except JavaException as exc:
        raise _fill(exc, pos) from None


_METHODS_BY_TYPE = rt.METHODS_BY_TYPE


def _call(o: Any, name: str, args: list[Any], pos: int) -> Any:
    table = _METHODS_BY_TYPE.get(type(o))
    fn = table.get(name) if table is not None else None
    if fn is None:
        try:
            return rt.call_method(o, name, args)
        except JavaException as exc:
            raise _fill(exc, pos) from None
    try:
        return fn(o, *args)
    except JavaException as exc:
        raise _fill(exc, pos) from None
    except TypeError as exc:  # as rt.call_method reports it
        text = str(exc)
        if "positional argument" in text or "takes" in text or "missing" in text:
            err = rt._arity_error(o, name, len(args))
        else:
            err = rt.cce(text)
        raise _fill(err, pos) from None


def _scall(fn: Callable[..., Any], args: tuple[Any, ...], pos: int, name: str, cls: str) -> Any:
    try:
        return fn(*args)
    except JavaException as exc:
        raise _fill(exc, pos) from None
    except TypeError as exc:
        if "argument" in str(exc):
            raise JavaException("illegal_argument_exception",
                                f"Unknown call [{name}] with [{len(args)}] arguments on type [{cls}].", pos) from None
        raise


def _new(type_name: str, args: list[Any], pos: int) -> Any:
    try:
        return rt.construct(type_name, args)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _make_array(type_name: str, sizes: list[Any], default: Any) -> Any:
    if not sizes or sizes[0] is None:
        return None
    size = sizes[0]
    if type(size) is not int:
        raise rt.cce(f"Cannot cast {rt.class_name(size)} to int")
    if size < 0:
        raise JavaException("negative_array_size_exception", str(size))
    if len(sizes) == 1:
        return [default] * size
    return [_make_array(type_name, sizes[1:], default) for _ in range(size)]


def _bget(env: dict, name: str, nargs: int, pos: int) -> Callable[..., Any]:
    from .interpreter import BUILTINS, _UnknownCall

    fn = env.get(BUILTINS, {}).get(name)
    if fn is None:
        raise _UnknownCall(name, nargs, pos)
    return fn


def _unresolved(name: str, pos: int) -> Any:
    from .interpreter import _Unresolved

    raise _Unresolved(name, pos)


def _unary(op: str, v: Any, pos: int) -> Any:
    t = type(v)
    if t is int or t is float:
        if op == "-":
            return -v
        if op == "+":
            return v
        if op == "~" and t is int:
            return ~v
    if v is None:
        raise JavaException("null_pointer_exception", None, pos)
    raise JavaException("class_cast_exception", f"Cannot apply [{op}] operation to type [{rt.class_name(v)}].", pos)


def _regex(text: Any, pattern: Any, full: bool, pos: int) -> bool:
    if text is None:
        raise JavaException("null_pointer_exception", None, pos)
    if isinstance(pattern, str):
        pattern = rt.java_regex(pattern)
    if not isinstance(text, str):
        text = rt.java_str(text)
    return (pattern.fullmatch(text) if full else pattern.search(text)) is not None


def _binop(fn: Callable[[Any, Any], Any], a: Any, b: Any, pos: int) -> Any:
    try:
        return fn(a, b)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _add(a: Any, b: Any, pos: int) -> Any:
    ta = type(a)
    if ta is type(b) and (ta is int or ta is str):
        return a + b
    try:
        return rt.op_add(a, b)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _sub(a: Any, b: Any, pos: int) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a - b
    if (ta is float or ta is int) and (tb is float or tb is int):
        return float(a) - float(b)
    return _binop(rt.op_sub, a, b, pos)


def _div(a: Any, b: Any, pos: int) -> Any:
    ta, tb = type(a), type(b)
    if (ta is float or tb is float) and (ta is float or ta is int) and (tb is float or tb is int) and b != 0:
        return float(a) / float(b)  # what rt.op_div does for doubles, minus its division-by-zero cases
    return _binop(rt.op_div, a, b, pos)


def _mul(a: Any, b: Any, pos: int) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a * b
    if (ta is float or ta is int) and (tb is float or tb is int):
        return float(a) * float(b)
    return _binop(rt.op_mul, a, b, pos)


def _lt(a: Any, b: Any, pos: int) -> bool:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a < b
    return _binop(rt.op_lt, a, b, pos)


def _le(a: Any, b: Any, pos: int) -> bool:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a <= b
    return _binop(rt.op_le, a, b, pos)


def _gt(a: Any, b: Any, pos: int) -> bool:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a > b
    return _binop(rt.op_gt, a, b, pos)


def _ge(a: Any, b: Any, pos: int) -> bool:
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a >= b
    return _binop(rt.op_ge, a, b, pos)


_CMP = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}


def _eq(a: Any, b: Any) -> bool:
    if a is b:
        return True
    ta = type(a)
    if ta is type(b) and (ta is str or ta is int):
        return a == b
    return rt.java_eq(a, b)


def _cast(type_name: str, v: Any, pos: int) -> Any:
    try:
        return rt.cast(type_name, v)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _setf(o: Any, name: str, v: Any, pos: int) -> Any:
    """`o.name = v` (value of the assignment)."""
    if type(o) is dict:
        o[name] = v
        return v
    try:
        rt.set_field(o, name, v)
    except JavaException as exc:
        raise _fill(exc, pos) from None
    return v


def _getf_acc(o: Any, name: str, pos: int) -> Any:
    try:
        return rt.get_field(o, name)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _setf_acc(v: Any, o: Any, name: str, pos: int) -> Any:
    if type(o) is dict:
        o[name] = v
        return v
    try:
        rt.set_field(o, name, v)
    except JavaException as exc:
        raise _fill(exc, pos) from None
    return v


def _geti_acc(o: Any, i: Any, pos: int) -> Any:
    try:
        return rt.get_index(o, i)
    except JavaException as exc:
        raise _fill(exc, pos) from None


def _seti_acc(v: Any, o: Any, i: Any, pos: int) -> Any:
    try:
        rt.set_index(o, i, v)
    except JavaException as exc:
        raise _fill(exc, pos) from None
    return v


def _seti(o: Any, i: Any, v: Any, pos: int) -> Any:
    return _seti_acc(v, o, i, pos)


def _setg(env: dict, name: str, v: Any) -> Any:
    env[name] = v
    return v


def _incdec(current: Any, delta: int, op: str, pos: int) -> Any:
    t = type(current)
    if t is int or t is float:
        return current + delta
    if current is None:
        raise JavaException("null_pointer_exception", None, pos)
    raise JavaException("class_cast_exception", f"Cannot apply [{op}] operation to type [{rt.class_name(current)}].",
                        pos)


def _incdec_field(o: Any, name: str, delta: int, op: str, prefix: bool, tpos: int, pos: int) -> Any:
    current = _getf_acc(o, name, tpos)
    new = _incdec(current, delta, op, pos)
    _setf_acc(new, o, name, tpos)
    return new if prefix else current


def _incdec_index(o: Any, i: Any, delta: int, op: str, prefix: bool, tpos: int, pos: int) -> Any:
    current = _geti_acc(o, i, tpos)
    new = _incdec(current, delta, op, pos)
    _seti_acc(new, o, i, tpos)
    return new if prefix else current


def _convert(exc: BaseException, pos: int) -> JavaException:
    from .interpreter import _convert as convert

    return convert(exc, pos)


NAMESPACE: dict[str, Any] = {
    "_JE": JavaException, "_PE": PainlessError, "_PY": _PY_ERRORS, "_MISSING": _MISSING, "MAX_LOOP": MAX_LOOP,
    "_loop_error": _loop_error, "_truthy": _truthy, "_not_slow": _not_slow, "_at": _at, "_gf": _gf, "_gi": _gi,
    "_call": _call, "_scall": _scall, "_new": _new, "_make_array": _make_array, "_bget": _bget,
    "_unresolved": _unresolved, "_unary": _unary, "_regex": _regex, "_binop": _binop, "_add": _add,
    "_sub": _sub, "_mul": _mul, "_div": _div, "_lt": _lt, "_le": _le, "_gt": _gt, "_ge": _ge, "_eq": _eq,
    "_java_eq": rt.java_eq, "_cast": _cast,
    "_setf": _setf, "_getf_acc": _getf_acc, "_setf_acc": _setf_acc, "_geti_acc": _geti_acc,
    "_seti_acc": _seti_acc, "_seti": _seti, "_setg": _setg, "_incdec": _incdec, "_incdec_field": _incdec_field,
    "_incdec_index": _incdec_index, "_convert": _convert, "_coerce": rt.coerce_assign, "_iterate": rt.iterate,
    "_instance_of": rt.instance_of, "_JAVA_WS": rt._JAVA_WS,
}


_ARITH = {"-": "_sub", "*": "_mul", "/": "_div"}

# String methods without arguments that cannot throw, as expressions of the receiver `{t}`
# (each what its STRING_METHODS entry computes)
_STR_INLINE_0: dict[str, str] = {
    "length": "len({t})",
    "isEmpty": "(len({t}) == 0)",
    "trim": "{t}.strip(_JAVA_WS)",
    "toString": "{t}",
}

# ---------------------------------------------------------------------------------------------- generator
class CodeGen:
    """Translates a parsed Program into the source of `def _script(env): ...`."""

    def __init__(self, program: Program, source: str) -> None:
        self.program = program
        self.source = source
        self.var_types: dict[str, str] = {}
        self.consts: dict[str, Any] = {}
        self.lines: list[str] = []
        self.counter = 0
        self.globals_used: set[str] = set()
        self.locals_declared: set[str] = set()
        self.uses_loops = False

    # ---- plumbing -------------------------------------------------------------------------------
    def tmp(self) -> str:
        self.counter += 1
        return f"_t{self.counter}"

    def const(self, value: Any) -> str:
        t = type(value)
        if value is None or t is bool or t is int or t is str:
            return repr(value)
        if t is float and value == value and value not in (float("inf"), float("-inf")):
            return repr(value)
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name

    def emit(self, level: int, text: str) -> None:
        self.lines.append("    " * level + text)

    @staticmethod
    def local(name: str) -> str:
        if not name.isidentifier() or not name.isascii():
            raise _Unsupported(f"identifier {name!r}")
        return "v_" + name

    def global_name(self, name: str) -> str:
        if not name.isidentifier() or not name.isascii():
            raise _Unsupported(f"identifier {name!r}")
        self.globals_used.add(name)
        return "g_" + name

    # ---- entry ----------------------------------------------------------------------------------
    def generate(self) -> str:
        if self.program.functions:
            raise _Unsupported("user functions")
        body = list(self.program.body)
        if body and body[-1].k == "expr":
            last = body[-1]
            body[-1] = Node("return", last.pos, last.a)
        for stmt in body:
            self.stmt(stmt, 1)
        if self.locals_declared & self.globals_used:
            raise _Unsupported("a local shadows a script variable")
        head = ["def _script(env):"]
        if self.uses_loops:
            head.append("    _loops = 0")
        for name in sorted(self.globals_used):
            head.append(f"    g_{name} = env.get({name!r}, _MISSING)")
        return "\n".join([*head, *self.lines, "    return None", ""])

    # ---- statements -----------------------------------------------------------------------------
    def suite(self, nodes: list[Node], level: int) -> None:
        before = len(self.lines)
        for n in nodes:
            self.stmt(n, level)
        if len(self.lines) == before:
            self.emit(level, "pass")

    def as_list(self, n: Node) -> list[Node]:
        return list(n.a) if n.k == "block" else [n]

    def stmt(self, n: Node, level: int) -> None:
        k = n.k
        if k == "block":
            for s in n.a:
                self.stmt(s, level)
            return
        if k == "break":
            self.emit(level, "break")
            return
        if k == "continue":
            self.emit(level, "continue")
            return
        self.emit(level, "try:")
        before = len(self.lines)
        getattr(self, "s_" + k)(n, level + 1)
        if len(self.lines) == before:
            self.emit(level + 1, "pass")
        pos = n.pos
        self.emit(level, "except _JE as _e:")
        self.emit(level + 1, "if _e.pos is None:")
        self.emit(level + 2, f"_e.pos = {pos}")
        self.emit(level + 1, "raise")
        self.emit(level, "except _PY as _e:")
        self.emit(level + 1, f"raise _convert(_e, {pos}) from _e")

    def tick(self, level: int) -> None:
        self.uses_loops = True
        self.emit(level, "_loops += 1")
        self.emit(level, "if _loops > MAX_LOOP:")
        self.emit(level + 1, "raise _loop_error()")

    def s_expr(self, n: Node, level: int) -> None:
        self.expr_statement(n.a, level)

    def s_exprs(self, n: Node, level: int) -> None:
        for e in n.a:
            self.expr_statement(e, level)

    def expr_statement(self, e: Node, level: int) -> None:
        """An expression whose value is dropped: assignments and ++/-- become plain statements."""
        if e.k == "assign" and e.b is None and e.a.k == "field":
            target = e.a
            o, v = self.tmp(), self.tmp()
            self.emit(level, f"{o} = {self.expr(target.a, None)}")
            self.emit(level, f"{v} = {self.expr(e.c, None)}")
            self.emit(level, f"if type({o}) is dict:")
            self.emit(level + 1, f"{o}[{target.b!r}] = {v}")
            self.emit(level, "else:")
            self.emit(level + 1, f"_setf({o}, {target.b!r}, {v}, {e.pos})")
            return
        if e.k == "assign" and e.a.k == "var":
            self.emit(level, f"{self.local(e.a.a)} = {self.assign_value(e, None)}")
            return
        if e.k == "incdec" and e.a.k == "var":
            name = self.local(e.a.a)
            self.emit(level, f"{name} = _incdec({name}, {1 if e.b == '++' else -1}, {e.b!r}, {e.pos})")
            return
        self.emit(level, self.expr(e, None))

    def s_decl(self, n: Node, level: int) -> None:
        vtype = n.a
        coerce = vtype not in ("def", "var", "Object")
        for name, init, _pos in n.b:
            self.var_types[name] = vtype
            target = self.local(name)
            self.locals_declared.add(name)
            if init is None:
                self.emit(level, f"{target} = {self.const(rt.default_value(vtype))}")
            else:
                value = self.expr(init, None)
                self.emit(level, f"{target} = {self.coerce(vtype, value, None) if coerce else value}")

    def s_if(self, n: Node, level: int) -> None:
        self.emit(level, f"if {self.cond(n.a, None)}:")
        self.suite(self.as_list(n.b), level + 1)
        if n.c is not None:
            self.emit(level, "else:")
            self.suite(self.as_list(n.c), level + 1)

    def s_while(self, n: Node, level: int) -> None:
        self.emit(level, f"while {self.cond(n.a, None)}:")
        self.tick(level + 1)
        self.suite(self.as_list(n.b), level + 1)

    def s_dowhile(self, n: Node, level: int) -> None:
        first = self.tmp()
        self.emit(level, f"{first} = True")
        self.emit(level, "while True:")
        self.emit(level + 1, f"if not {first}:")
        self.emit(level + 2, f"if not ({self.cond(n.b, None)}):")
        self.emit(level + 3, "break")
        self.emit(level + 1, f"{first} = False")
        self.tick(level + 1)
        self.suite(self.as_list(n.a), level + 1)

    def s_for(self, n: Node, level: int) -> None:
        if n.a is not None:
            self.stmt(n.a, level)
        started = self.tmp()
        self.emit(level, f"{started} = False")
        self.emit(level, "while True:")
        if n.c is not None:
            self.emit(level + 1, f"if {started}:")
            self.s_exprs(n.c, level + 2)
        self.emit(level + 1, f"{started} = True")
        if n.b is not None:
            self.emit(level + 1, f"if not ({self.cond(n.b, None)}):")
            self.emit(level + 2, "break")
        self.tick(level + 1)
        self.suite(self.as_list(n.d), level + 1)

    def s_foreach(self, n: Node, level: int) -> None:
        vtype, name, iterable, body = n.a, n.b, n.c, n.d
        self.var_types[name] = vtype
        target = self.local(name)
        self.locals_declared.add(name)
        items = self.expr(iterable, None)
        item = self.tmp()
        self.emit(level, f"for {item} in _iterate({items}):")
        self.tick(level + 1)
        coerce = vtype not in ("def", "var", "Object")
        self.emit(level + 1, f"{target} = {self.coerce(vtype, item, None) if coerce else item}")
        self.suite(self.as_list(body), level + 1)

    def s_return(self, n: Node, level: int) -> None:
        self.emit(level, "return None" if n.a is None else f"return {self.expr(n.a, None)}")

    def s_throw(self, n: Node, level: int) -> None:
        v = self.tmp()
        self.emit(level, f"{v} = {self.expr(n.a, None)}")
        self.emit(level, f"if isinstance({v}, _JE):")
        self.emit(level + 1, f"{v}.pos = {n.pos}")
        self.emit(level + 1, f"raise {v}")
        self.emit(level, f"if {v} is None:")
        self.emit(level + 1, f"raise _JE('null_pointer_exception', None, {n.pos})")
        self.emit(level, f"raise _rt.iae(f'Cannot cast from [{{_rt.short_type({v})}}] to [java.lang.Throwable].')")

    def s_try(self, n: Node, level: int) -> None:
        self.emit(level, "try:")
        self.suite(self.as_list(n.a), level + 1)
        self.emit(level, "except _PE:")
        self.emit(level + 1, "raise")
        exc = self.tmp()
        self.emit(level, f"except _JE as {exc}:")
        first = True
        for etype, name, body in n.b:
            self.var_types[name] = etype
            self.locals_declared.add(name)
            self.emit(level + 1, f"{'if' if first else 'elif'} _instance_of({exc}, {etype!r}):")
            self.emit(level + 2, f"{self.local(name)} = {exc}")
            self.suite(self.as_list(body), level + 2)
            first = False
        if first:
            self.emit(level + 1, "raise")
        else:
            self.emit(level + 1, "else:")
            self.emit(level + 2, "raise")

    # ---- expressions ----------------------------------------------------------------------------
    def coerce(self, vtype: str, value: str, ctx: int | None) -> str:
        """`value` converted for assignment to a local of type `vtype` (rt.coerce_assign)."""
        t = self.tmp()
        slow = f"_coerce({vtype!r}, {t})" if ctx is None else f"_at({ctx}, _coerce, {vtype!r}, {t})"
        exact = _IDENTITY_COERCIONS.get(vtype)
        if exact is not None:  # rt.coerce_assign returns values of this exact type unchanged
            return f"({t} if type({t} := {value}) is {exact} else {slow})"
        if vtype == "boolean":
            return f"({t} if ({t} := {value}) is True or {t} is False else {slow})"
        return f"(({t} := {value}), {slow})[1]"

    def is_bool(self, n: Node) -> bool:
        k = n.k
        return ((k == "binary" and n.a in _BOOL_BINARY) or k in ("bool", "instanceof")
                or (k == "unary" and n.a == "!") or (k == "const" and type(n.a) is bool))

    def cond(self, n: Node, ctx: int | None) -> str:
        """A condition: Painless requires a boolean (rt.truthy)."""
        value = self.expr(n, ctx)
        if self.is_bool(n):
            return value
        t = self.tmp()
        return f"({t} if ({t} := {value}) is True or {t} is False else _truthy({t}, {ctx}))"

    def expr(self, n: Node, ctx: int | None) -> str:
        return getattr(self, "e_" + n.k)(n, ctx)

    def e_const(self, n: Node, ctx: int | None) -> str:
        return self.const(n.a)

    def e_regex(self, n: Node, ctx: int | None) -> str:
        try:
            pattern = rt.java_regex(n.a, n.b)
        except JavaException as exc:
            raise PainlessCompileError(exc.message or "invalid regex", n.pos, self.source) from None
        name = f"K{len(self.consts)}"
        self.consts[name] = pattern
        return name

    def e_var(self, n: Node, ctx: int | None) -> str:
        return self.local(n.a)

    def e_global(self, n: Node, ctx: int | None) -> str:
        g = self.global_name(n.a)
        return f"({g} if {g} is not _MISSING else _unresolved({n.a!r}, {n.pos}))"

    def e_field(self, n: Node, ctx: int | None) -> str:
        t = self.tmp()
        obj = self.expr(n.a, ctx)
        return f"({t}.get({n.b!r}) if type({t} := {obj}) is dict else _gf({t}, {n.b!r}, {bool(n.c)}, {n.pos}))"

    def e_index(self, n: Node, ctx: int | None) -> str:
        return f"_gi({self.expr(n.a, ctx)}, {self.expr(n.b, ctx)}, {n.pos})"

    def args(self, nodes: list[Node], ctx: int | None) -> str:
        return ", ".join(self.expr(a, ctx) for a in nodes)

    def e_call(self, n: Node, ctx: int | None) -> str:
        obj = self.expr(n.a, ctx)
        args = self.args(n.c, ctx)
        if n.d:  # null-safe: no arguments are evaluated on a null receiver
            t = self.tmp()
            return f"(None if ({t} := {obj}) is None else _call({t}, {n.b!r}, [{args}], {n.pos}))"
        inline = self.inline_call(obj, n.b, n.c, ctx, n.pos)
        if inline is not None:
            return inline
        return f"_call({obj}, {n.b!r}, [{args}], {n.pos})"

    def inline_call(self, obj: str, name: str, arg_nodes: list[Node], ctx: int | None, pos: int) -> str | None:
        """The call as plain Python where the receiver is a String or List at run time and the method
        cannot throw (what STRING_METHODS / LIST_METHODS do, without _call's dispatch); None otherwise."""
        t = self.tmp()
        fallback = f"_call({t}, {name!r}, [{{}}], {pos})"
        if not arg_nodes and name in _STR_INLINE_0:
            return f"({_STR_INLINE_0[name].format(t=t)} if type({t} := {obj}) is str else {fallback.format('')})"
        if len(arg_nodes) == 1 and name == "add":
            u = self.tmp()
            arg = self.expr(arg_nodes[0], ctx)
            return (f"(({t}.append({u}) or True) if type(({t} := {obj}, {u} := {arg})[0]) is list "
                    f"else {fallback.format(u)})")
        return None

    def e_static_call(self, n: Node, ctx: int | None) -> str:
        cls, name = n.a, n.b
        fn = rt.STATIC_METHODS.get(cls, {}).get(name)
        if fn is None:
            raise PainlessCompileError(f"Unknown call [{name}] with [{len(n.c)}] arguments on type [{cls}].", n.pos,
                                       self.source)
        k = f"K{len(self.consts)}"
        self.consts[k] = fn
        args = self.args(n.c, ctx)
        return f"_scall({k}, ({args}{',' if len(n.c) == 1 else ''}), {n.pos}, {name!r}, {cls!r})"

    def e_static_field(self, n: Node, ctx: int | None) -> str:
        fields = rt.STATIC_FIELDS.get(n.a, {})
        if n.b not in fields:
            raise PainlessCompileError(f"cannot resolve symbol [{n.a}.{n.b}]", n.pos, self.source)
        k = f"K{len(self.consts)}"
        self.consts[k] = fields[n.b]
        return k

    def e_builtin(self, n: Node, ctx: int | None) -> str:
        fn = f"_bget(env, {n.a!r}, {len(n.b)}, {n.pos})"
        return f"_at({n.pos}, {fn}, {self.args(n.b, n.pos)})" if n.b else f"_at({n.pos}, {fn})"

    def e_new(self, n: Node, ctx: int | None) -> str:
        if not n.b and n.a in ("ArrayList", "LinkedList", "List", "ArrayDeque", "Deque", "Queue"):
            return "[]"
        if not n.b and n.a in ("HashMap", "LinkedHashMap", "Map"):
            return "{}"
        return f"_new({n.a!r}, [{self.args(n.b, n.pos)}], {n.pos})"

    def e_new_array(self, n: Node, ctx: int | None) -> str:
        dims = ", ".join(self.expr(d, ctx) if d is not None else "None" for d in n.b)
        default = self.const(rt.default_value(n.a))
        return f"_at({ctx}, _make_array, {n.a!r}, [{dims}], {default})"

    def e_array_init(self, n: Node, ctx: int | None) -> str:
        return f"[{self.args(n.b, ctx)}]"

    def e_list_init(self, n: Node, ctx: int | None) -> str:
        return f"[{self.args(n.a, ctx)}]"

    def e_map_init(self, n: Node, ctx: int | None) -> str:
        return "{" + ", ".join(f"{self.expr(k, ctx)}: {self.expr(v, ctx)}" for k, v in n.a) + "}"

    def e_unary(self, n: Node, ctx: int | None) -> str:
        op = n.a
        value = self.expr(n.b, ctx)
        t = self.tmp()
        if op == "!":
            return f"((not {t}) if ({t} := {value}) is True or {t} is False else _not_slow({t}, {n.pos}))"
        if op == "-":
            return f"(-{t} if type({t} := {value}) is int or type({t}) is float else _unary('-', {t}, {n.pos}))"
        return f"_unary({op!r}, {value}, {n.pos})"

    def e_binary(self, n: Node, ctx: int | None) -> str:
        op = n.a
        left, right = self.expr(n.b, ctx), self.expr(n.c, ctx)
        if op in ("=~", "==~"):
            return f"_regex({left}, {right}, {op == '==~'}, {n.pos})"
        if op in ("==", "!="):
            literal = n.c if n.c.k == "const" else n.b if n.b.k == "const" else None
            if literal is not None and (literal.a is None or type(literal.a) is str):
                # rt.java_eq against null is identity; against a string it needs another string
                other = left if literal is n.c else right
                if literal.a is None:
                    test = f"({other} is None)"
                else:
                    t = self.tmp()
                    test = f"(type({t} := {other}) is str and {t} == {literal.a!r})"
                return test if op == "==" else f"(not {test})"
            a, b = self.tmp(), self.tmp()
            test = (f"(({a} := {left}) is ({b} := {right}) or ({a} == {b} if type({a}) is type({b}) and "
                    f"(type({a}) is str or type({a}) is int) else _java_eq({a}, {b})))")
            return test if op == "==" else f"(not {test})"
        if op == "+":
            return f"_add({left}, {right}, {n.pos})"
        if op in ("-", "*", "/"):
            return f"{_ARITH[op]}({left}, {right}, {n.pos})"
        if op in _CMP:
            return f"{_CMP[op]}({left}, {right}, {n.pos})"
        from .interpreter import BINARY_OPS

        k = f"K{len(self.consts)}"
        self.consts[k] = BINARY_OPS[op]
        return f"_binop({k}, {left}, {right}, {n.pos})"

    def e_bool(self, n: Node, ctx: int | None) -> str:
        left, right = self.cond(n.b, n.pos), self.cond(n.c, n.pos)
        return f"({left} {'and' if n.a == '&&' else 'or'} {right})"

    def e_instanceof(self, n: Node, ctx: int | None) -> str:
        return f"_at({ctx}, _instance_of, {self.expr(n.a, ctx)}, {n.b!r})"

    def e_cast(self, n: Node, ctx: int | None) -> str:
        return f"_cast({n.a!r}, {self.expr(n.b, n.pos)}, {n.pos})"

    def e_cond(self, n: Node, ctx: int | None) -> str:
        return f"({self.expr(n.b, ctx)} if {self.cond(n.a, ctx)} else {self.expr(n.c, ctx)})"

    def e_elvis(self, n: Node, ctx: int | None) -> str:
        t = self.tmp()
        return f"({t} if ({t} := {self.expr(n.a, ctx)}) is not None else {self.expr(n.b, ctx)})"

    # ---- assignment ---------------------------------------------------------------------------
    def assign_value(self, n: Node, ctx: int | None) -> str:
        """The value stored by an assignment to a local variable (plain or compound)."""
        target, op = n.a, n.b
        vtype = self.var_types.get(target.a, "def")
        value = self.expr(n.c, ctx)
        if op is None:
            return self.coerce(vtype, value, ctx) if vtype not in ("def", "var", "Object") else value
        combined = self.combine(op, self.local(target.a), value, n.pos)
        if vtype in ("int", "long", "short", "byte", "char", "double", "float"):
            return f"_at({ctx}, _rt.cast, {vtype!r}, {combined})"
        return combined

    def combine(self, op: str, current: str, value: str, pos: int) -> str:
        from .interpreter import BINARY_OPS

        k = f"K{len(self.consts)}"
        self.consts[k] = BINARY_OPS[op]
        return f"_binop({k}, {current}, {value}, {pos})"

    def e_assign(self, n: Node, ctx: int | None) -> str:
        target, op = n.a, n.b
        if target.k == "var":
            return f"({self.local(target.a)} := {self.assign_value(n, ctx)})"
        if target.k == "global":
            g = self.global_name(target.a)
            value = self.expr(n.c, ctx)
            if op is not None:
                current = f"({g} if {g} is not _MISSING else _unresolved({target.a!r}, {target.pos}))"
                value = self.combine(op, current, value, n.pos)
            return f"({g} := _setg(env, {target.a!r}, {value}))"
        if target.k == "field":
            if op is None:
                return f"_setf({self.expr(target.a, ctx)}, {target.b!r}, {self.expr(n.c, ctx)}, {n.pos})"
            o = self.tmp()
            current = f"_getf_acc(({o} := {self.expr(target.a, ctx)}), {target.b!r}, {target.pos})"
            combined = self.combine(op, current, self.expr(n.c, ctx), n.pos)
            return f"_setf_acc({combined}, {o}, {target.b!r}, {target.pos})"
        if target.k == "index":
            if op is None:
                return (f"_seti({self.expr(target.a, ctx)}, {self.expr(target.b, ctx)}, {self.expr(n.c, ctx)}, "
                        f"{target.pos})")
            o, i = self.tmp(), self.tmp()
            current = (f"_geti_acc(({o} := {self.expr(target.a, ctx)}), ({i} := {self.expr(target.b, ctx)}), "
                       f"{target.pos})")
            combined = self.combine(op, current, self.expr(n.c, ctx), n.pos)
            return f"_seti_acc({combined}, {o}, {i}, {target.pos})"
        raise _Unsupported(f"assignment to {target.k}")

    def e_incdec(self, n: Node, ctx: int | None) -> str:
        target, op, prefix = n.a, n.b, n.c
        delta = 1 if op == "++" else -1
        if target.k == "var":
            name = self.local(target.a)
            if prefix:
                return f"({name} := _incdec({name}, {delta}, {op!r}, {n.pos}))"
            t = self.tmp()
            return f"(({t} := {name}), ({name} := _incdec({t}, {delta}, {op!r}, {n.pos})))[0]"
        if target.k == "field":
            return (f"_incdec_field({self.expr(target.a, ctx)}, {target.b!r}, {delta}, {op!r}, {bool(prefix)}, "
                    f"{target.pos}, {n.pos})")
        if target.k == "index":
            return (f"_incdec_index({self.expr(target.a, ctx)}, {self.expr(target.b, ctx)}, {delta}, {op!r}, "
                    f"{bool(prefix)}, {target.pos}, {n.pos})")
        raise _Unsupported(f"++/-- on {target.k}")

    def e_lambda(self, n: Node, ctx: int | None) -> str:
        raise _Unsupported("lambda")

    def e_funcref(self, n: Node, ctx: int | None) -> str:
        raise _Unsupported("method reference")

    def e_fcall(self, n: Node, ctx: int | None) -> str:
        raise _Unsupported("user function call")


def generate(program: Program, source: str) -> Callable[[dict], Any] | None:
    """The script as a Python function `fn(env) -> value`, or None where the closure compiler must run it."""
    gen = CodeGen(program, source)
    try:
        code = gen.generate()
    except (_Unsupported, PainlessCompileError, RecursionError):
        return None
    namespace = dict(NAMESPACE)
    namespace["_rt"] = rt
    namespace.update(gen.consts)
    try:
        exec(compile(code, "<painless>", "exec"), namespace)  # noqa: S102 - our own generated code
    except (SyntaxError, RecursionError, MemoryError):
        return None
    fn: Callable[[dict], Any] = namespace["_script"]
    return fn
