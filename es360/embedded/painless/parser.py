"""Painless parser: tokens to an AST of `Node`s (recursive descent, Painless operator precedence)."""

from __future__ import annotations

from typing import Any

from .errors import PainlessCompileError
from .lexer import Token, tokenize

PRIMITIVES = frozenset({"boolean", "byte", "short", "char", "int", "long", "float", "double"})
CLASS_TYPES = frozenset({
    "def", "var", "Object", "String", "Integer", "Long", "Double", "Float", "Boolean", "Short", "Byte", "Character",
    "Number", "Math", "StrictMath", "List", "ArrayList", "LinkedList", "Map", "HashMap", "LinkedHashMap", "TreeMap",
    "Set", "HashSet", "LinkedHashSet", "TreeSet", "Collection", "Collections", "Arrays", "Iterator", "Iterable",
    "Objects", "StringBuilder", "Pattern", "Matcher", "Instant", "ZonedDateTime", "LocalDate", "LocalDateTime",
    "ZoneId", "ZoneOffset", "Duration", "ChronoUnit", "DateTimeFormatter", "Collectors", "Locale", "Base64",
    "Exception", "RuntimeException", "IllegalArgumentException", "IllegalStateException", "NullPointerException",
    "ClassCastException", "ArithmeticException", "NumberFormatException", "IndexOutOfBoundsException",
    "ArrayIndexOutOfBoundsException", "StringIndexOutOfBoundsException", "UnsupportedOperationException",
    "DateTimeParseException", "DateTimeException", "Comparator", "Optional", "DayOfWeek", "Month", "Stream",
    "CharSequence", "Comparable", "Function", "Predicate", "Consumer", "BiFunction", "Supplier", "Date",
    "Deque", "ArrayDeque", "Queue", "StringJoiner", "BigDecimal", "BigInteger", "Entry", "StringTokenizer",
    "void",
})
TYPES = PRIMITIVES | CLASS_TYPES

ASSIGN_OPS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", ">>>="})
BINARY_PRECEDENCE = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "===": 6, "!==": 6,
    "<": 7, "<=": 7, ">": 7, ">=": 7, "<<": 8, ">>": 8, ">>>": 8, "=~": 9, "==~": 9,
    "+": 10, "-": 10, "*": 11, "/": 11, "%": 11,
}
INSTANCEOF_PRECEDENCE = 7


class Node:
    """An AST node: kind `k`, source offset `pos`, and up to four children/attributes."""

    __slots__ = ("k", "pos", "a", "b", "c", "d", "end")

    def __init__(self, k: str, pos: int, a: Any = None, b: Any = None, c: Any = None, d: Any = None) -> None:
        self.k, self.pos, self.a, self.b, self.c, self.d = k, pos, a, b, c, d
        self.end = pos

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        parts = [repr(x) for x in (self.a, self.b, self.c, self.d) if x is not None]
        return f"{self.k}({', '.join(parts)})"


class Program:
    """A parsed script: top-level statements, user functions and the statement start offsets."""

    def __init__(self, body: list[Node], functions: dict[str, Node], statement_starts: list[int]) -> None:
        self.body = body
        self.functions = functions
        self.statement_starts = statement_starts


class Parser:
    def __init__(self, source: str, known_vars: frozenset[str] | None = None) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.known_vars = known_vars
        self.scopes: list[set[str]] = [set()]
        self.functions: dict[str, Node] = {}
        self.statement_starts: list[int] = []
        self.function_names: set[str] = set()
        self.in_loop = 0
        self.in_lambda = 0

    # ---- token helpers ------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, n: int = 1) -> Token:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def error(self, message: str, tok: Token | None = None) -> PainlessCompileError:
        t = tok or self.tok
        return PainlessCompileError(message, t.pos, self.source)

    def unexpected(self, expecting: str | None = None) -> PainlessCompileError:
        t = self.tok
        if t.kind == "eof":
            return self.error("unexpected end of script.")
        text = t.text or str(t.value)
        if expecting:
            return self.error(f"unexpected token ['{text}'] was expecting one of [{expecting}].")
        return self.error(f"unexpected token ['{text}'].")

    def expect_op(self, op: str) -> Token:
        if not self.tok.is_op(op):
            raise self.unexpected(f"'{op}'")
        return self.advance()

    def accept_op(self, op: str) -> bool:
        if self.tok.is_op(op):
            self.advance()
            return True
        return False

    def expect_id(self) -> Token:
        if self.tok.kind != "id":
            raise self.unexpected("ID")
        return self.advance()

    # ---- scopes ---------------------------------------------------------------------------------
    def push(self) -> None:
        self.scopes.append(set())

    def pop(self) -> None:
        self.scopes.pop()

    def is_local(self, name: str) -> bool:
        return any(name in s for s in self.scopes)

    def declare(self, name: str, tok: Token) -> None:
        if self.is_local(name):
            raise self.error(f"variable [{name}] is already defined", tok)
        self.scopes[-1].add(name)

    # ---- program --------------------------------------------------------------------------------
    def parse(self) -> Program:
        # function names first, so calls before the definition resolve
        for j, t in enumerate(self.tokens[:-3]):
            nxt = self.tokens[j + 1]
            if t.kind == "id" and t.value in TYPES and nxt.kind == "id" and self.tokens[j + 2].is_op("("):
                self.function_names.add(nxt.value)
        body: list[Node] = []
        while self.tok.kind != "eof":
            if self._function_ahead():
                fn = self.parse_function()
                self.functions[fn.a] = fn
                continue
            body.append(self.parse_statement(top=True))
        if not body and not self.functions:
            raise self.error("Cannot generate an empty script.")
        return Program(body, self.functions, sorted(set(self.statement_starts)))

    def _function_ahead(self) -> bool:
        save = self.i
        try:
            if self.tok.kind != "id" or self.tok.value not in TYPES:
                return False
            self.parse_type()
            return self.tok.kind == "id" and self.peek().is_op("(")
        except PainlessCompileError:
            return False
        finally:
            self.i = save

    def parse_function(self) -> Node:
        start = self.tok
        rtype = self.parse_type()
        name = self.expect_id().value
        self.expect_op("(")
        params: list[tuple[str, str]] = []
        self.push()
        if not self.tok.is_op(")"):
            while True:
                ptype = self.parse_type()
                ptok = self.expect_id()
                self.declare(ptok.value, ptok)
                params.append((ptype, ptok.value))
                if not self.accept_op(","):
                    break
        self.expect_op(")")
        saved_scopes = self.scopes
        self.scopes = [saved_scopes[-1]]  # functions do not see script locals
        body = self.parse_block(new_scope=False)
        self.scopes = saved_scopes
        self.pop()
        return Node("function", start.pos, name, params, body, rtype)

    # ---- statements -----------------------------------------------------------------------------
    def parse_block(self, new_scope: bool = True) -> Node:
        start = self.expect_op("{")
        if new_scope:
            self.push()
        stmts = []
        while not self.tok.is_op("}"):
            if self.tok.kind == "eof":
                raise self.unexpected("'}'")
            stmts.append(self.parse_statement())
        self.advance()
        if new_scope:
            self.pop()
        return Node("block", start.pos, stmts)

    def end_statement(self) -> None:
        if self.accept_op(";"):
            return
        if self.tok.kind == "eof" or self.tok.is_op("}"):
            return
        raise self.unexpected("';'")

    def parse_statement(self, top: bool = False) -> Node:
        t = self.tok
        self.statement_starts.append(t.pos)
        if t.is_op("{"):
            return self.parse_block()
        if t.is_op(";"):
            self.advance()
            return Node("block", t.pos, [])
        if t.kind == "kw":
            word = t.value
            if word == "if":
                self.advance()
                self.expect_op("(")
                cond = self.parse_expression()
                self.expect_op(")")
                then = self.parse_sub_statement()
                other = None
                if self.tok.is_kw("else"):
                    self.advance()
                    other = self.parse_sub_statement()
                return Node("if", t.pos, cond, then, other)
            if word == "while":
                self.advance()
                self.expect_op("(")
                cond = self.parse_expression()
                self.expect_op(")")
                if self.accept_op(";"):
                    body = Node("block", t.pos, [])
                else:
                    body = self.parse_loop_body()
                return Node("while", t.pos, cond, body)
            if word == "do":
                self.advance()
                body = self.parse_loop_body()
                if not self.tok.is_kw("while"):
                    raise self.unexpected("'while'")
                self.advance()
                self.expect_op("(")
                cond = self.parse_expression()
                self.expect_op(")")
                self.end_statement()
                return Node("dowhile", t.pos, body, cond)
            if word == "for":
                return self.parse_for()
            if word == "return":
                self.advance()
                value = None
                if not (self.tok.is_op(";") or self.tok.kind == "eof" or self.tok.is_op("}")):
                    value = self.parse_expression()
                self.end_statement()
                return Node("return", t.pos, value)
            if word in ("break", "continue"):
                self.advance()
                if not self.in_loop:
                    raise self.error(f"Statement [{word}] outside of a loop.", t)
                self.end_statement()
                return Node(word, t.pos)
            if word == "throw":
                self.advance()
                value = self.parse_expression()
                self.end_statement()
                return Node("throw", t.pos, value)
            if word == "try":
                return self.parse_try()
        if self.is_declaration_start():
            node = self.parse_declaration()
            self.end_statement()
            return node
        expr = self.parse_expression()
        self.end_statement()
        return Node("expr", t.pos, expr)

    def parse_sub_statement(self) -> Node:
        if self.tok.is_op("{"):
            return self.parse_block()
        self.push()
        node = self.parse_statement()
        self.pop()
        return node

    def parse_loop_body(self) -> Node:
        self.in_loop += 1
        try:
            return self.parse_sub_statement()
        finally:
            self.in_loop -= 1

    def parse_for(self) -> Node:
        t = self.advance()
        self.expect_op("(")
        self.push()
        try:
            # for (x in list) / for (def x : list)
            if self.tok.kind == "id" and self.peek().is_kw("in"):
                name_tok = self.advance()
                self.advance()
                iterable = self.parse_expression()
                self.expect_op(")")
                self.declare(name_tok.value, name_tok)
                body = self.parse_loop_body()
                return Node("foreach", t.pos, "def", name_tok.value, iterable, body)
            save = self.i
            if self.tok.kind == "id" and self.looks_like_type():
                vtype = self.parse_type()
                if self.tok.kind == "id" and self.peek().is_op(":"):
                    name_tok = self.advance()
                    self.advance()
                    iterable = self.parse_expression()
                    self.expect_op(")")
                    self.declare(name_tok.value, name_tok)
                    body = self.parse_loop_body()
                    return Node("foreach", t.pos, vtype, name_tok.value, iterable, body)
                self.i = save
            init = None
            if not self.tok.is_op(";"):
                if self.is_declaration_start():
                    init = self.parse_declaration()
                else:
                    init = Node("exprs", self.tok.pos, self.parse_expression_list())
            self.expect_op(";")
            cond = None if self.tok.is_op(";") else self.parse_expression()
            self.expect_op(";")
            update = None if self.tok.is_op(")") else Node("exprs", self.tok.pos, self.parse_expression_list())
            self.expect_op(")")
            if self.accept_op(";"):
                body = Node("block", t.pos, [])
            else:
                body = self.parse_loop_body()
            return Node("for", t.pos, init, cond, update, body)
        finally:
            self.pop()

    def parse_expression_list(self) -> list[Node]:
        items = [self.parse_expression()]
        while self.accept_op(","):
            items.append(self.parse_expression())
        return items

    def parse_try(self) -> Node:
        t = self.advance()
        block = self.parse_block()
        catches = []
        while self.tok.is_kw("catch"):
            self.advance()
            self.expect_op("(")
            etype = self.parse_type()
            name_tok = self.expect_id()
            self.expect_op(")")
            self.push()
            self.declare(name_tok.value, name_tok)
            body = self.parse_block(new_scope=False)
            self.pop()
            catches.append((etype, name_tok.value, body))
        if not catches:
            raise self.unexpected("'catch'")
        return Node("try", t.pos, block, catches)

    # ---- declarations and types -----------------------------------------------------------------
    def looks_like_type(self) -> bool:
        t = self.tok
        return t.kind == "id" and t.value in TYPES and not self.is_local(t.value)

    def is_declaration_start(self) -> bool:
        if not self.looks_like_type():
            return False
        save = self.i
        try:
            self.parse_type()
            return self.tok.kind == "id" and (self.peek().is_op("=", ";", ",") or self.peek().kind == "eof"
                                              or self.peek().is_op("}"))
        except PainlessCompileError:
            return False
        finally:
            self.i = save

    def parse_type(self) -> str:
        t = self.expect_id()
        name = t.value
        if name not in TYPES:
            raise self.error(f"cannot resolve type [{name}]", t)
        # Map.Entry
        if self.tok.is_op(".") and self.peek().kind == "id" and self.peek().value == "Entry":
            self.advance()
            self.advance()
            name = name + ".Entry"
        if self.tok.is_op("<"):
            self.skip_generics()
        while self.tok.is_op("[") and self.peek().is_op("]"):
            self.advance()
            self.advance()
            name += "[]"
        return name

    def skip_generics(self) -> None:
        depth = 0
        while True:
            t = self.tok
            if t.kind == "op" and t.value in ("<", ">", ">>", ">>>"):
                depth += {"<": 1, ">": -1, ">>": -2, ">>>": -3}[t.value]
                self.advance()
                if depth <= 0:
                    return
            elif t.kind == "id" or t.is_op(",", ".", "?", "[", "]"):
                self.advance()
            else:
                raise self.unexpected("'>'")

    def parse_declaration(self) -> Node:
        start = self.tok
        vtype = self.parse_type()
        items = []
        while True:
            name_tok = self.expect_id()
            init = None
            if self.accept_op("="):
                init = self.parse_expression()
            self.declare(name_tok.value, name_tok)
            items.append((name_tok.value, init, name_tok.pos))
            if not self.accept_op(","):
                break
        return Node("decl", start.pos, vtype, items)

    # ---- expressions ----------------------------------------------------------------------------
    def parse_expression(self) -> Node:
        left = self.parse_ternary()
        t = self.tok
        if t.kind == "op" and t.value in ASSIGN_OPS:
            if left.k not in ("var", "field", "index"):
                raise self.error("invalid assignment: cannot assign a value to "
                                 + ("a constant" if left.k == "const" else "this expression"), t)
            if left.k == "field" and left.c:
                raise self.error("invalid assignment: cannot assign a value to a null safe operation", t)
            self.advance()
            value = self.parse_expression()
            op = None if t.value == "=" else t.value[:-1]
            return Node("assign", t.pos, left, op, value)
        return left

    def parse_ternary(self) -> Node:
        cond = self.parse_binary(1)
        t = self.tok
        if t.is_op("?"):
            self.advance()
            yes = self.parse_expression()
            self.expect_op(":")
            no = self.parse_ternary()
            cond = Node("cond", t.pos, cond, yes, no)
        if self.tok.is_op("?:"):
            t = self.advance()
            other = self.parse_ternary()
            cond = Node("elvis", t.pos, cond, other)
        return cond

    def parse_binary(self, min_prec: int) -> Node:
        left = self.parse_unary()
        while True:
            t = self.tok
            if t.is_kw("instanceof") and min_prec <= INSTANCEOF_PRECEDENCE:
                self.advance()
                left = Node("instanceof", t.pos, left, self.parse_type())
                continue
            if t.kind != "op":
                return left
            prec = BINARY_PRECEDENCE.get(t.value)
            if prec is None or prec < min_prec:
                return left
            self.advance()
            right = self.parse_binary(prec + 1)
            if t.value in ("&&", "||"):
                left = Node("bool", t.pos, t.value, left, right)
            else:
                left = Node("binary", t.pos, t.value, left, right)

    def parse_unary(self) -> Node:
        t = self.tok
        if t.is_op("++", "--"):
            self.advance()
            target = self.parse_unary()
            self._check_assignable(target, t)
            return Node("incdec", t.pos, target, t.value, True)
        if t.is_op("-") and self.peek().kind in ("int", "float"):
            self.advance()
            num = self.advance()
            node = Node("const", t.pos, -num.value)
            return self.parse_postfix_ops(node)
        if t.is_op("+", "-", "!", "~"):
            self.advance()
            return Node("unary", t.pos, t.value, self.parse_unary())
        if t.is_op("(") and self.is_cast():
            self.advance()
            ctype = self.parse_type()
            self.expect_op(")")
            return Node("cast", t.pos, ctype, self.parse_unary())
        return self.parse_postfix()

    def _check_assignable(self, target: Node, t: Token) -> None:
        if target.k not in ("var", "field", "index"):
            raise self.error("invalid assignment: cannot assign a value to this expression", t)

    def is_cast(self) -> bool:
        nxt = self.peek()
        if nxt.kind != "id" or nxt.value not in TYPES or self.is_local(nxt.value):
            return False
        save = self.i
        try:
            self.advance()
            self.parse_type()
            if not self.tok.is_op(")"):
                return False
            after = self.peek()
            # `(Type) x`, `(Type) (x)`, `(Type) 'x'`, `(Type) -x` ... but not `(Math).x`
            return after.kind in ("id", "int", "float", "str", "kw", "regex") or after.is_op("(", "[", "!", "~", "-",
                                                                                          "+", "++", "--")
        except PainlessCompileError:
            return False
        finally:
            self.i = save

    def parse_postfix(self) -> Node:
        return self.parse_postfix_ops(self.parse_primary())

    def parse_postfix_ops(self, node: Node) -> Node:
        while True:
            t = self.tok
            if t.is_op(".", "?."):
                self.advance()
                null_safe = t.value == "?."
                name_tok = self.tok
                if name_tok.kind not in ("id", "kw", "int"):
                    raise self.unexpected("ID")
                self.advance()
                name = str(name_tok.value)
                if self.tok.is_op("("):
                    args = self.parse_args()
                    node = Node("call", name_tok.pos, node, name, args, null_safe)
                else:
                    node = Node("field", name_tok.pos, node, name, null_safe)
                continue
            if t.is_op("["):
                self.advance()
                index = self.parse_expression()
                self.expect_op("]")
                node = Node("index", t.pos, node, index)
                continue
            if t.is_op("++", "--"):
                self._check_assignable(node, t)
                self.advance()
                return Node("incdec", t.pos, node, t.value, False)
            return node

    def parse_args(self) -> list[Node]:
        self.expect_op("(")
        args: list[Node] = []
        if not self.tok.is_op(")"):
            while True:
                args.append(self.parse_expression())
                if not self.accept_op(","):
                    break
        self.expect_op(")")
        return args

    def parse_primary(self) -> Node:
        t = self.tok
        kind = t.kind
        if kind in ("int", "float", "str"):
            self.advance()
            return Node("const", t.pos, t.value)
        if kind == "regex":
            self.advance()
            return Node("regex", t.pos, t.value[0], t.value[1])
        if kind == "kw":
            if t.value in ("true", "false"):
                self.advance()
                return Node("const", t.pos, t.value == "true")
            if t.value == "null":
                self.advance()
                return Node("const", t.pos, None)
            if t.value == "new":
                return self.parse_new()
            raise self.unexpected()
        if t.is_op("("):
            if self.is_lambda_ahead():
                return self.parse_lambda()
            self.advance()
            inner = self.parse_expression()
            self.expect_op(")")
            return inner
        if t.is_op("["):
            return self.parse_initializer()
        if kind == "id":
            name = t.value
            nxt = self.peek()
            if nxt.is_op("->"):
                return self.parse_lambda()
            if self.is_local(name):
                self.advance()
                return Node("var", t.pos, name)
            if name in TYPES:
                self.advance()
                if self.tok.is_op("::"):
                    self.advance()
                    ref = self.tok
                    if ref.kind not in ("id", "kw"):
                        raise self.unexpected("ID")
                    self.advance()
                    return Node("funcref", t.pos, name, ref.value)
                if self.tok.is_op("."):
                    self.advance()
                    member = self.expect_id()
                    if member.value == "Entry" and not self.tok.is_op("("):
                        raise self.unexpected("'('")
                    if self.tok.is_op("("):
                        return Node("static_call", member.pos, name, member.value, self.parse_args())
                    return Node("static_field", member.pos, name, member.value)
                raise self.error(f"cannot resolve symbol [{name}]", t)
            if nxt.is_op("("):
                self.advance()
                args = self.parse_args()
                if name not in self.function_names:
                    return Node("builtin", t.pos, name, args)
                return Node("fcall", t.pos, name, args)
            self.advance()
            if self.known_vars is not None and name not in self.known_vars:
                raise self.error(f"cannot resolve symbol [{name}]", t)
            return Node("global", t.pos, name)
        if kind == "eof":
            raise self.unexpected()
        raise self.unexpected()

    def parse_new(self) -> Node:
        t = self.advance()
        type_tok = self.expect_id()
        name = type_tok.value
        if name not in TYPES:
            raise self.error(f"cannot resolve type [{name}]", type_tok)
        if self.tok.is_op("<"):
            self.skip_generics()
        if self.tok.is_op("["):
            dims = []
            while self.tok.is_op("["):
                self.advance()
                if self.tok.is_op("]"):
                    self.advance()
                    dims.append(None)
                else:
                    dims.append(self.parse_expression())
                    self.expect_op("]")
            if self.tok.is_op("{"):
                self.advance()
                items = []
                if not self.tok.is_op("}"):
                    while True:
                        items.append(self.parse_expression())
                        if not self.accept_op(","):
                            break
                self.expect_op("}")
                return Node("array_init", t.pos, name, items)
            return Node("new_array", t.pos, name, dims)
        args = self.parse_args()
        return Node("new", t.pos, name, args)

    def parse_initializer(self) -> Node:
        t = self.advance()  # [
        if self.tok.is_op("]"):
            self.advance()
            return Node("list_init", t.pos, [])
        if self.tok.is_op(":") and self.peek().is_op("]"):
            self.advance()
            self.advance()
            return Node("map_init", t.pos, [])
        first = self.parse_expression()
        if self.accept_op(":"):
            pairs = [(first, self.parse_expression())]
            while self.accept_op(","):
                k = self.parse_expression()
                self.expect_op(":")
                pairs.append((k, self.parse_expression()))
            self.expect_op("]")
            return Node("map_init", t.pos, pairs)
        items = [first]
        while self.accept_op(","):
            items.append(self.parse_expression())
        self.expect_op("]")
        return Node("list_init", t.pos, items)

    def is_lambda_ahead(self) -> bool:
        depth = 0
        j = self.i
        while j < len(self.tokens):
            t = self.tokens[j]
            if t.is_op("("):
                depth += 1
            elif t.is_op(")"):
                depth -= 1
                if depth == 0:
                    return self.tokens[min(j + 1, len(self.tokens) - 1)].is_op("->")
            elif t.kind == "eof" or not (t.kind == "id" or t.is_op(",", "<", ">", "[", "]", ".")):
                return False
            j += 1
        return False

    def parse_lambda(self) -> Node:
        t = self.tok
        params: list[str] = []
        self.push()
        if t.kind == "id":
            tok = self.advance()
            params.append(tok.value)
            self.scopes[-1].add(tok.value)
        else:
            self.expect_op("(")
            if not self.tok.is_op(")"):
                while True:
                    if self.tok.kind == "id" and self.peek().kind == "id" or self.tok.kind == "id" and \
                            self.tok.value in TYPES and self.peek().is_op("<", "["):
                        self.parse_type()
                    ptok = self.expect_id()
                    params.append(ptok.value)
                    self.scopes[-1].add(ptok.value)
                    if not self.accept_op(","):
                        break
            self.expect_op(")")
        self.expect_op("->")
        self.in_lambda += 1
        saved_loop = self.in_loop
        self.in_loop = 0
        try:
            if self.tok.is_op("{"):
                body = self.parse_block()
                node = Node("lambda", t.pos, params, body, True)
            else:
                body = self.parse_expression()
                node = Node("lambda", t.pos, params, body, False)
        finally:
            self.in_lambda -= 1
            self.in_loop = saved_loop
            self.pop()
        return node


def parse(source: str, known_vars: frozenset[str] | None = None) -> Program:
    return Parser(source, known_vars).parse()
