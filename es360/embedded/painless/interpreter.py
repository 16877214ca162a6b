"""Painless interpreter: compiles the AST once into nested Python closures, then runs them.

Each expression node becomes `fn(env) -> value`; each statement node becomes `fn(env) -> signal`
where the signal is None (fall through), BREAK, CONTINUE or a `Ret` carrying a return value.
`env` is one dict per execution holding the script's variables (and locals).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from . import runtime as rt
from .errors import (
    JavaException,
    PainlessCompileError,
    PainlessError,
    ScriptError,
    compile_error,
    runtime_error,
)
from .parser import Node, Program


def generate(program: Program, source: str) -> Callable[[dict], Any] | None:
    from .codegen import generate as generate_python

    return generate_python(program, source)

Fn = Callable[[dict], Any]
CODEGEN = True  # compile scripts to Python source where codegen.py supports them (tests compare both)
BREAK = 1
CONTINUE = 2
MAX_LOOP = 1_000_000
RT = "$rt"


class Ret:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Unresolved(Exception):
    def __init__(self, name: str, pos: int) -> None:
        super().__init__(name)
        self.name, self.pos = name, pos


class _UnknownCall(Exception):
    def __init__(self, name: str, nargs: int, pos: int) -> None:
        super().__init__(name)
        self.name, self.nargs, self.pos = name, nargs, pos


BUILTINS = "$builtins"


class _RunState:
    __slots__ = ("loops", "functions")

    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.loops = 0
        self.functions = functions


_PY_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, ZeroDivisionError)


def _fill(exc: JavaException, pos: int) -> JavaException:
    if exc.pos is None:
        exc.pos = pos
    return exc


def _convert(exc: BaseException, pos: int) -> JavaException:
    if isinstance(exc, RecursionError):
        return PainlessError("stack_overflow_error", "Stack overflow", pos)
    if isinstance(exc, ZeroDivisionError):
        return JavaException("arithmetic_exception", "/ by zero", pos)
    if isinstance(exc, (KeyError, IndexError)):
        return JavaException("index_out_of_bounds_exception", str(exc), pos)
    return JavaException("class_cast_exception", str(exc), pos)


BINARY_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": rt.op_add, "-": rt.op_sub, "*": rt.op_mul, "/": rt.op_div, "%": rt.op_rem,
    "&": rt.op_bitand, "|": rt.op_bitor, "^": rt.op_xor, "<<": rt.op_lsh, ">>": rt.op_rsh, ">>>": rt.op_ush,
    "<": rt.op_lt, "<=": rt.op_le, ">": rt.op_gt, ">=": rt.op_ge,
    "==": rt.java_eq, "!=": lambda a, b: not rt.java_eq(a, b),
    "===": rt.op_ref_eq, "!==": lambda a, b: not rt.op_ref_eq(a, b),
}
PRIMITIVE_NUMERIC = frozenset({"int", "long", "short", "byte", "char", "double", "float"})


class Compiler:
    def __init__(self, program: Program, source: str) -> None:
        self.program = program
        self.source = source
        self.var_types: dict[str, str] = {}
        self.functions: dict[str, Callable[..., Any]] = {}

    # ---- entry ----------------------------------------------------------------------------------
    def compile(self) -> Fn:
        for name, fn_node in self.program.functions.items():
            self.functions[name] = self.function(fn_node)
        body = list(self.program.body)
        if body and body[-1].k == "expr":
            last = body[-1]
            body[-1] = Node("return", last.pos, last.a)
        return self.block_fn([self.stmt(s) for s in body])

    def function(self, node: Node) -> Callable[..., Any]:
        name, params, body_node, _rtype = node.a, node.b, node.c, node.d
        saved = self.var_types
        self.var_types = {pname: ptype for ptype, pname in params}
        body = self.stmt(body_node)
        self.var_types = saved
        names = [p[1] for p in params]
        types = [p[0] for p in params]

        def call(state: _RunState, args: list[Any]) -> Any:
            if len(args) != len(names):
                raise rt.iae(f"Unknown call [{name}] with [{len(args)}] arguments.")
            env: dict[str, Any] = {RT: state}
            for pname, ptype, value in zip(names, types, args, strict=True):
                env[pname] = rt.coerce_assign(ptype, value)
            sig = body(env)
            return sig.value if isinstance(sig, Ret) else None
        return call

    # ---- statements -----------------------------------------------------------------------------
    @staticmethod
    def block_fn(fns: list[Fn]) -> Fn:
        if not fns:
            return lambda env: None
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            f1, f2 = fns

            def run2(env: dict) -> Any:
                sig = f1(env)
                if sig is not None:
                    return sig
                return f2(env)
            return run2

        def run(env: dict) -> Any:
            for f in fns:
                sig = f(env)
                if sig is not None:
                    return sig
            return None
        return run

    def stmt(self, n: Node) -> Fn:
        fn = getattr(self, "s_" + n.k)(n)
        if n.k in ("block", "break", "continue"):
            return fn  # nothing of their own can fail; their statements are guarded
        pos = n.pos

        def guarded(env: dict) -> Any:
            try:
                return fn(env)
            except JavaException as exc:
                if exc.pos is None:
                    exc.pos = pos
                raise
            except (_Unresolved, _UnknownCall):
                raise
            except (RecursionError, *_PY_ERRORS) as exc:
                raise _convert(exc, pos) from exc
        return guarded

    def s_block(self, n: Node) -> Fn:
        return self.block_fn([self.stmt(s) for s in n.a])

    def s_expr(self, n: Node) -> Fn:
        e = self.expr(n.a)

        def run(env: dict) -> None:
            e(env)
        return run

    def s_decl(self, n: Node) -> Fn:
        vtype = n.a
        parts: list[tuple[str, Fn | None, Any]] = []
        for name, init, _pos in n.b:
            self.var_types[name] = vtype
            parts.append((name, self.expr(init) if init is not None else None, rt.default_value(vtype)))
        coerce = vtype not in ("def", "var", "Object")

        def run(env: dict) -> None:
            for name, init, default in parts:
                if init is None:
                    env[name] = default
                else:
                    value = init(env)
                    env[name] = rt.coerce_assign(vtype, value) if coerce else value
        return run

    def s_if(self, n: Node) -> Fn:
        cond = self.cond(n.a)
        then = self.stmt(n.b)
        other = self.stmt(n.c) if n.c is not None else None
        if other is None:
            def run_if(env: dict) -> Any:
                if cond(env):
                    return then(env)
                return None
            return run_if

        def run_if_else(env: dict) -> Any:
            if cond(env):
                return then(env)
            return other(env)
        return run_if_else

    def _loop_tick(self, env: dict) -> None:
        state = env[RT]
        state.loops += 1
        if state.loops > MAX_LOOP:
            raise PainlessError("painless_error", "The maximum number of statements that can be executed in a "
                                "loop has been reached.")

    def s_while(self, n: Node) -> Fn:
        cond = self.cond(n.a)
        body = self.stmt(n.b)
        tick = self._loop_tick

        def run(env: dict) -> Any:
            while cond(env):
                tick(env)
                sig = body(env)
                if sig is not None:
                    if sig == BREAK:
                        break
                    if sig == CONTINUE:
                        continue
                    return sig
            return None
        return run

    def s_dowhile(self, n: Node) -> Fn:
        body = self.stmt(n.a)
        cond = self.cond(n.b)
        tick = self._loop_tick

        def run(env: dict) -> Any:
            while True:
                tick(env)
                sig = body(env)
                if sig is not None:
                    if sig == BREAK:
                        break
                    if sig != CONTINUE:
                        return sig
                if not cond(env):
                    break
            return None
        return run

    def s_exprs(self, n: Node) -> Fn:
        fns = [self.expr(e) for e in n.a]

        def run(env: dict) -> None:
            for f in fns:
                f(env)
        return run

    def s_for(self, n: Node) -> Fn:
        init = self.stmt(n.a) if n.a is not None else None
        cond = self.cond(n.b) if n.b is not None else None
        update = self.s_exprs(n.c) if n.c is not None else None
        body = self.stmt(n.d)
        tick = self._loop_tick

        def run(env: dict) -> Any:
            if init is not None:
                init(env)
            while cond is None or cond(env):
                tick(env)
                sig = body(env)
                if sig is not None:
                    if sig == BREAK:
                        break
                    if sig != CONTINUE:
                        return sig
                if update is not None:
                    update(env)
            return None
        return run

    def s_foreach(self, n: Node) -> Fn:
        vtype, name, iterable, body_node, = n.a, n.b, n.c, n.d
        self.var_types[name] = vtype
        items_fn = self.expr(iterable)
        body = self.stmt(body_node)
        tick = self._loop_tick
        coerce = vtype not in ("def", "var", "Object")

        def run(env: dict) -> Any:
            for item in rt.iterate(items_fn(env)):
                tick(env)
                env[name] = rt.coerce_assign(vtype, item) if coerce else item
                sig = body(env)
                if sig is not None:
                    if sig == BREAK:
                        break
                    if sig != CONTINUE:
                        return sig
            return None
        return run

    def s_return(self, n: Node) -> Fn:
        if n.a is None:
            return lambda env: Ret(None)
        e = self.expr(n.a)
        return lambda env: Ret(e(env))

    def s_break(self, n: Node) -> Fn:
        return lambda env: BREAK

    def s_continue(self, n: Node) -> Fn:
        return lambda env: CONTINUE

    def s_throw(self, n: Node) -> Fn:
        e = self.expr(n.a)
        pos = n.pos

        def run(env: dict) -> None:
            value = e(env)
            if isinstance(value, JavaException):
                value.pos = pos
                raise value
            if value is None:
                raise JavaException("null_pointer_exception", None, pos)
            raise rt.iae(f"Cannot cast from [{rt.short_type(value)}] to [java.lang.Throwable].")
        return run

    def s_try(self, n: Node) -> Fn:
        block = self.stmt(n.a)
        catches = []
        for etype, name, body_node in n.b:
            self.var_types[name] = etype
            catches.append((etype, name, self.stmt(body_node)))

        def run(env: dict) -> Any:
            try:
                return block(env)
            except PainlessError:
                raise
            except JavaException as exc:
                for etype, name, body in catches:
                    if rt.instance_of(exc, etype):
                        env[name] = exc
                        return body(env)
                raise
        return run

    # ---- expressions ----------------------------------------------------------------------------
    def cond(self, n: Node) -> Callable[[dict], bool]:
        e = self.expr(n)
        truthy = rt.truthy

        def run(env: dict) -> bool:
            v = e(env)
            if v is True:
                return True
            if v is False:
                return False
            return truthy(v)
        return run

    def expr(self, n: Node) -> Fn:
        return getattr(self, "e_" + n.k)(n)

    def e_const(self, n: Node) -> Fn:
        value = n.a
        return lambda env: value

    def e_regex(self, n: Node) -> Fn:
        try:
            pattern = rt.java_regex(n.a, n.b)
        except JavaException as exc:
            raise PainlessCompileError(exc.message or "invalid regex", n.pos, self.source) from None
        return lambda env: pattern

    def e_var(self, n: Node) -> Fn:
        name = n.a
        return lambda env: env[name]

    def e_global(self, n: Node) -> Fn:
        name, pos = n.a, n.pos

        def run(env: dict) -> Any:
            try:
                return env[name]
            except KeyError:
                raise _Unresolved(name, pos) from None
        return run

    def e_field(self, n: Node) -> Fn:
        obj, name, null_safe, pos = self.expr(n.a), n.b, n.c, n.pos
        get_field = rt.get_field

        def run(env: dict) -> Any:
            o = obj(env)
            if type(o) is dict:
                return o.get(name)
            if o is None and null_safe:
                return None
            try:
                return get_field(o, name)
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_index(self, n: Node) -> Fn:
        obj, index, pos = self.expr(n.a), self.expr(n.b), n.pos
        get_index = rt.get_index

        def run(env: dict) -> Any:
            o = obj(env)
            i = index(env)
            if type(o) is dict:
                return o.get(i)
            try:
                return get_index(o, i)
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_call(self, n: Node) -> Fn:
        obj, name, null_safe, pos = self.expr(n.a), n.b, n.d, n.pos
        args = [self.expr(a) for a in n.c]
        call_method = rt.call_method

        def run(env: dict) -> Any:
            o = obj(env)
            if o is None and null_safe:
                return None
            values = [a(env) for a in args]
            try:
                return call_method(o, name, values)
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_static_call(self, n: Node) -> Fn:
        cls, name, pos = n.a, n.b, n.pos
        args = [self.expr(a) for a in n.c]
        fn = rt.STATIC_METHODS.get(cls, {}).get(name)
        if fn is None:
            raise PainlessCompileError(f"Unknown call [{name}] with [{len(args)}] arguments on type [{cls}].", pos,
                                       self.source)

        def run(env: dict) -> Any:
            values = [a(env) for a in args]
            try:
                return fn(*values)
            except JavaException as exc:
                raise _fill(exc, pos) from None
            except TypeError as exc:
                if "argument" in str(exc):
                    raise JavaException("illegal_argument_exception",
                                        f"Unknown call [{name}] with [{len(values)}] arguments on type [{cls}].",
                                        pos) from None
                raise
        return run

    def e_static_field(self, n: Node) -> Fn:
        fields = rt.STATIC_FIELDS.get(n.a, {})
        if n.b not in fields:
            raise PainlessCompileError(f"cannot resolve symbol [{n.a}.{n.b}]", n.pos, self.source)
        value = fields[n.b]
        return lambda env: value

    def e_funcref(self, n: Node) -> Fn:
        cls, name = n.a, n.b
        if name == "new":
            return lambda env: rt.Lambda(lambda *a: rt.construct(cls, list(a)), None)
        static = rt.STATIC_METHODS.get(cls, {}).get(name)
        if static is not None:
            return lambda env: rt.Lambda(static, None)
        return lambda env: rt.Lambda(lambda recv, *a: rt.call_method(recv, name, list(a)), None)

    def e_fcall(self, n: Node) -> Fn:
        name, pos = n.a, n.pos
        args = [self.expr(a) for a in n.b]

        def run(env: dict) -> Any:
            state = env[RT]
            fn = state.functions[name]
            try:
                return fn(state, [a(env) for a in args])
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_builtin(self, n: Node) -> Fn:
        """A call to a context function (e.g. `cosineSimilarity` in score scripts) the caller provides."""
        name, pos = n.a, n.pos
        args = [self.expr(a) for a in n.b]

        def run(env: dict) -> Any:
            fn = env.get(BUILTINS, {}).get(name)
            if fn is None:
                raise _UnknownCall(name, len(args), pos)
            try:
                return fn(*[a(env) for a in args])
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_new(self, n: Node) -> Fn:
        type_name, pos = n.a, n.pos
        args = [self.expr(a) for a in n.b]

        def run(env: dict) -> Any:
            try:
                return rt.construct(type_name, [a(env) for a in args])
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_new_array(self, n: Node) -> Fn:
        type_name = n.a
        dims = [self.expr(d) if d is not None else None for d in n.b]
        default = rt.default_value(type_name)

        def make(sizes: list[Any]) -> Any:
            if not sizes or sizes[0] is None:
                return None
            size = sizes[0]
            if type(size) is not int:
                raise rt.cce(f"Cannot cast {rt.class_name(size)} to int")
            if size < 0:
                raise JavaException("negative_array_size_exception", str(size))
            if len(sizes) == 1:
                return [default] * size
            return [make(sizes[1:]) for _ in range(size)]

        def run(env: dict) -> Any:
            return make([d(env) if d is not None else None for d in dims])
        return run

    def e_array_init(self, n: Node) -> Fn:
        items = [self.expr(i) for i in n.b]
        return lambda env: [i(env) for i in items]

    def e_list_init(self, n: Node) -> Fn:
        items = [self.expr(i) for i in n.a]
        return lambda env: [i(env) for i in items]

    def e_map_init(self, n: Node) -> Fn:
        pairs = [(self.expr(k), self.expr(v)) for k, v in n.a]
        return lambda env: {k(env): v(env) for k, v in pairs}

    def e_unary(self, n: Node) -> Fn:
        op, e, pos = n.a, self.expr(n.b), n.pos
        if op == "!":
            truthy = rt.truthy

            def run_not(env: dict) -> bool:
                v = e(env)
                if v is True:
                    return False
                if v is False:
                    return True
                try:
                    return not truthy(v)
                except JavaException as exc:
                    raise _fill(exc, pos) from None
            return run_not

        def run(env: dict) -> Any:
            v = e(env)
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
            raise JavaException("class_cast_exception",
                                f"Cannot apply [{op}] operation to type [{rt.class_name(v)}].", pos)
        return run

    def e_binary(self, n: Node) -> Fn:
        op, pos = n.a, n.pos
        left, right = self.expr(n.b), self.expr(n.c)
        if op in ("=~", "==~"):
            full = op == "==~"

            def run_regex(env: dict) -> bool:
                text = left(env)
                pattern = right(env)
                if text is None:
                    raise JavaException("null_pointer_exception", None, pos)
                if isinstance(pattern, str):
                    pattern = rt.java_regex(pattern)
                if not isinstance(text, str):
                    text = rt.java_str(text)
                return (pattern.fullmatch(text) if full else pattern.search(text)) is not None
            return run_regex
        if op == "==":
            eq = rt.java_eq

            def run_eq(env: dict) -> bool:
                a = left(env)
                b = right(env)
                if a is b:
                    return True
                ta = type(a)
                if ta is type(b) and (ta is str or ta is int):
                    return a == b
                return eq(a, b)
            return run_eq
        if op == "!=":
            eq = rt.java_eq

            def run_ne(env: dict) -> bool:
                a = left(env)
                b = right(env)
                if a is b:
                    return False
                ta = type(a)
                if ta is type(b) and (ta is str or ta is int):
                    return a != b
                return not eq(a, b)
            return run_ne
        fn = BINARY_OPS[op]

        def run(env: dict) -> Any:
            a = left(env)
            b = right(env)
            try:
                return fn(a, b)
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_bool(self, n: Node) -> Fn:
        op, pos = n.a, n.pos
        left, right = self.cond(n.b), self.cond(n.c)

        def wrap(fn: Callable[[dict], bool]) -> Callable[[dict], bool]:
            def run(env: dict) -> bool:
                try:
                    return fn(env)
                except JavaException as exc:
                    raise _fill(exc, pos) from None
            return run

        if op == "&&":
            return wrap(lambda env: left(env) and right(env))
        return wrap(lambda env: left(env) or right(env))

    def e_instanceof(self, n: Node) -> Fn:
        e, type_name = self.expr(n.a), n.b
        return lambda env: rt.instance_of(e(env), type_name)

    def e_cast(self, n: Node) -> Fn:
        type_name, e, pos = n.a, self.expr(n.b), n.pos

        def run(env: dict) -> Any:
            try:
                return rt.cast(type_name, e(env))
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return run

    def e_cond(self, n: Node) -> Fn:
        c, a, b = self.cond(n.a), self.expr(n.b), self.expr(n.c)
        return lambda env: a(env) if c(env) else b(env)

    def e_elvis(self, n: Node) -> Fn:
        a, b = self.expr(n.a), self.expr(n.b)

        def run(env: dict) -> Any:
            v = a(env)
            return v if v is not None else b(env)
        return run

    # ---- assignment ---------------------------------------------------------------------------
    def _accessors(self, target: Node) -> tuple[Callable[[dict], Any], Callable[[Any], Any],
                                                 Callable[[Any, Any], None], str]:
        """(prepare(env) -> handle, get(handle), set(handle, value), declared type) for a target."""
        pos = target.pos
        if target.k in ("var", "global"):
            name = target.a
            vtype = self.var_types.get(name, "def") if target.k == "var" else "def"
            is_global = target.k == "global"

            def prepare_var(env: dict) -> Any:
                return env

            def get_var(env: dict) -> Any:
                try:
                    return env[name]
                except KeyError:
                    if is_global:
                        raise _Unresolved(name, pos) from None
                    raise

            def set_var(env: dict, value: Any) -> None:
                env[name] = value
            return prepare_var, get_var, set_var, vtype
        if target.k == "field":
            obj, name = self.expr(target.a), target.b

            def prepare_field(env: dict) -> Any:
                return obj(env)

            def get_field(o: Any) -> Any:
                try:
                    return rt.get_field(o, name)
                except JavaException as exc:
                    raise _fill(exc, pos) from None

            def set_field(o: Any, value: Any) -> None:
                if type(o) is dict:
                    o[name] = value
                    return
                try:
                    rt.set_field(o, name, value)
                except JavaException as exc:
                    raise _fill(exc, pos) from None
            return prepare_field, get_field, set_field, "def"
        obj, index = self.expr(target.a), self.expr(target.b)

        def prepare_index(env: dict) -> Any:
            return (obj(env), index(env))

        def get_index(h: Any) -> Any:
            try:
                return rt.get_index(h[0], h[1])
            except JavaException as exc:
                raise _fill(exc, pos) from None

        def set_index(h: Any, value: Any) -> None:
            try:
                rt.set_index(h[0], h[1], value)
            except JavaException as exc:
                raise _fill(exc, pos) from None
        return prepare_index, get_index, set_index, "def"

    def e_assign(self, n: Node) -> Fn:
        target, op, value_fn, pos = n.a, n.b, self.expr(n.c), n.pos
        if op is None and target.k == "field":
            obj, name = self.expr(target.a), target.b

            def run_field(env: dict) -> Any:
                o = obj(env)
                v = value_fn(env)
                if type(o) is dict:
                    o[name] = v
                    return v
                try:
                    rt.set_field(o, name, v)
                except JavaException as exc:
                    raise _fill(exc, pos) from None
                return v
            return run_field
        prepare, get, set_, vtype = self._accessors(target)
        coerce = vtype not in ("def", "var", "Object")
        if op is None:
            def run_assign(env: dict) -> Any:
                h = prepare(env)
                v = value_fn(env)
                if coerce:
                    v = rt.coerce_assign(vtype, v)
                set_(h, v)
                return v
            return run_assign
        fn = BINARY_OPS[op]
        narrowing = vtype in PRIMITIVE_NUMERIC

        def run_compound(env: dict) -> Any:
            h = prepare(env)
            current = get(h)
            v = value_fn(env)
            try:
                result = fn(current, v)
            except JavaException as exc:
                raise _fill(exc, pos) from None
            if narrowing:
                result = rt.cast(vtype, result)
            set_(h, result)
            return result
        return run_compound

    def e_incdec(self, n: Node) -> Fn:
        target, op, prefix, pos = n.a, n.b, n.c, n.pos
        prepare, get, set_, vtype = self._accessors(target)
        delta = 1 if op == "++" else -1

        def run(env: dict) -> Any:
            h = prepare(env)
            current = get(h)
            t = type(current)
            if t is int or t is float:
                new = current + delta
            elif current is None:
                raise JavaException("null_pointer_exception", None, pos)
            else:
                raise JavaException("class_cast_exception",
                                    f"Cannot apply [{op}] operation to type [{rt.class_name(current)}].", pos)
            set_(h, new)
            return new if prefix else current
        return run

    def e_lambda(self, n: Node) -> Fn:
        params, body_node, is_block = n.a, n.b, n.c
        saved = dict(self.var_types)
        for p in params:
            self.var_types[p] = "def"
        body = self.stmt(body_node) if is_block else self.expr(body_node)
        self.var_types = saved
        nparams = len(params)

        def make(env: dict) -> rt.Lambda:
            def call(*args: Any) -> Any:
                if len(args) != nparams:
                    raise rt.iae(f"Incorrect number of parameters for lambda: expected [{nparams}] but found "
                                 f"[{len(args)}]")
                local = dict(env)
                for name, value in zip(params, args, strict=True):
                    local[name] = value
                if is_block:
                    sig = body(local)
                    return sig.value if isinstance(sig, Ret) else None
                return body(local)
            return rt.Lambda(call, nparams)
        return make


class CompiledScript:
    """A compiled Painless script; `execute(variables)` runs it and returns the script's value."""

    lang = "painless"

    def __init__(self, source: str, program: Program) -> None:
        self.source = source
        self.program = program
        compiler = Compiler(program, source)
        self._body = compiler.compile()
        self._functions = compiler.functions
        self._starts = program.statement_starts
        # the same script as one Python function (None where only the closures can run it)
        self._fast = generate(program, source) if CODEGEN else None

    def execute(self, variables: dict[str, Any] | None = None) -> Any:
        return self.execute_owned(dict(variables) if variables else {})

    def execute_owned(self, env: dict[str, Any]) -> Any:
        """`execute(env)` for a caller that built `env` for this one call (the script may change it)."""
        if "doc" in env:
            doc = env["doc"]
            if isinstance(doc, dict):
                env["doc"] = rt.DocMap(doc)
        fast = self._fast
        try:
            if fast is not None:
                return fast(env)
            env[RT] = _RunState(self._functions)
            sig = self._body(env)
        except JavaException as exc:
            raise runtime_error(self.source, exc, self._bounds(exc.pos)) from None
        except _Unresolved as exc:
            raise compile_error(self.source, PainlessCompileError(f"cannot resolve symbol [{exc.name}]", exc.pos,
                                                                  self.source)) from None
        except _UnknownCall as exc:
            raise compile_error(self.source, PainlessCompileError(
                f"Unknown call [{exc.name}] with [{exc.nargs}] arguments.", exc.pos, self.source)) from None
        except RecursionError:
            exc = PainlessError("stack_overflow_error", "Stack overflow", 0)
            raise runtime_error(self.source, exc, self._bounds(0)) from None
        if isinstance(sig, Ret):
            return sig.value
        return None

    def _bounds(self, pos: int | None) -> tuple[int, int] | None:
        if pos is None:
            return None
        starts = self._starts
        i = bisect.bisect_right(starts, pos) - 1
        start = starts[i] if i >= 0 else 0
        j = bisect.bisect_right(starts, start)
        end = starts[j] if j < len(starts) else len(self.source)
        return start, end


def compile_program(source: str, program: Program) -> CompiledScript:
    try:
        return CompiledScript(source, program)
    except PainlessCompileError as exc:
        raise compile_error(source, exc) from None


__all__ = ["CompiledScript", "ScriptError", "compile_program"]
