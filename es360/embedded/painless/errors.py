"""Painless errors: compile errors, Java-like runtime exceptions and ES's `script_exception` shape."""

from __future__ import annotations

from typing import Any

from ..errors import EsError

LANG = "painless"


class PainlessCompileError(Exception):
    """A compile-time problem at a source offset (becomes script_exception "compile error")."""

    def __init__(self, message: str, pos: int, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.source = source


class JavaException(Exception):
    """A Java exception thrown while a script runs (null_pointer_exception, class_cast_exception, ...).

    `es_type` is ES's snake_case rendering of the Java class; `pos` is the script offset where it
    was raised (filled in by the statement that ran it when the raising node did not know it).
    """

    def __init__(self, es_type: str, message: str | None, pos: int | None = None,
                 java_class: str | None = None, cause: JavaException | None = None) -> None:
        super().__init__(message)
        self.es_type = es_type
        self.message = message
        self.pos = pos
        self.java_class = java_class or _JAVA_CLASSES.get(es_type, "java.lang.RuntimeException")
        self.cause = cause

    def getMessage(self) -> str | None:  # noqa: N802 - Java API exposed to scripts
        return self.message

    def to_es(self) -> EsError:
        cause = self.cause.to_es() if self.cause is not None else None
        return EsError(_STATUS.get(self.es_type, 400), self.es_type, self.message, caused_by=cause)


class PainlessError(JavaException):
    """Painless's own errors (loop limit, ...), not catchable by scripts."""


_JAVA_CLASSES = {
    "null_pointer_exception": "java.lang.NullPointerException",
    "illegal_argument_exception": "java.lang.IllegalArgumentException",
    "illegal_state_exception": "java.lang.IllegalStateException",
    "class_cast_exception": "java.lang.ClassCastException",
    "arithmetic_exception": "java.lang.ArithmeticException",
    "number_format_exception": "java.lang.NumberFormatException",
    "index_out_of_bounds_exception": "java.lang.IndexOutOfBoundsException",
    "array_index_out_of_bounds_exception": "java.lang.ArrayIndexOutOfBoundsException",
    "string_index_out_of_bounds_exception": "java.lang.StringIndexOutOfBoundsException",
    "unsupported_operation_exception": "java.lang.UnsupportedOperationException",
    "concurrent_modification_exception": "java.util.ConcurrentModificationException",
    "no_such_element_exception": "java.util.NoSuchElementException",
    "pattern_syntax_exception": "java.util.regex.PatternSyntaxException",
    "date_time_parse_exception": "java.time.format.DateTimeParseException",
    "date_time_exception": "java.time.DateTimeException",
    "painless_error": "org.elasticsearch.painless.PainlessError",
    "exception": "java.lang.Exception",
    "runtime_exception": "java.lang.RuntimeException",
}
_STATUS = {"illegal_argument_exception": 400, "number_format_exception": 400}

# Script-visible exception classes: name -> es type
EXCEPTION_CLASSES = {
    "Exception": "exception",
    "RuntimeException": "runtime_exception",
    "IllegalArgumentException": "illegal_argument_exception",
    "IllegalStateException": "illegal_state_exception",
    "NullPointerException": "null_pointer_exception",
    "ClassCastException": "class_cast_exception",
    "ArithmeticException": "arithmetic_exception",
    "NumberFormatException": "number_format_exception",
    "IndexOutOfBoundsException": "index_out_of_bounds_exception",
    "ArrayIndexOutOfBoundsException": "array_index_out_of_bounds_exception",
    "StringIndexOutOfBoundsException": "string_index_out_of_bounds_exception",
    "UnsupportedOperationException": "unsupported_operation_exception",
    "DateTimeParseException": "date_time_parse_exception",
    "DateTimeException": "date_time_exception",
}
# Which script-visible exception classes catch which es types (Java's class hierarchy, simplified).
CATCHES: dict[str, frozenset[str] | None] = {
    "Exception": None,  # everything except PainlessError
    "RuntimeException": None,
    "IllegalArgumentException": frozenset({"illegal_argument_exception", "number_format_exception",
                                           "pattern_syntax_exception"}),
    "IndexOutOfBoundsException": frozenset({"index_out_of_bounds_exception",
                                            "array_index_out_of_bounds_exception",
                                            "string_index_out_of_bounds_exception"}),
    "DateTimeException": frozenset({"date_time_exception", "date_time_parse_exception"}),
}


class ScriptError(EsError):
    """ES's `script_exception`: reason "compile error" or "runtime error", with the failing snippet."""

    def __init__(self, reason: str, source: str, pos: int | None, caused_by: EsError, *,
                 statement_bounds: tuple[int, int] | None = None) -> None:
        stack, position = _stack(source, pos, statement_bounds)
        extra: dict[str, Any] = {"script_stack": stack, "script": source, "lang": LANG}
        if position is not None:
            extra["position"] = position
        super().__init__(400, "script_exception", reason, caused_by=caused_by, **extra)
        self.source = source
        self.pos = pos


def _stack(source: str, pos: int | None, bounds: tuple[int, int] | None) -> tuple[list[str], dict | None]:
    if pos is None:
        return ["<<< unknown portion of script >>>"], None
    pos = max(0, min(pos, len(source)))
    if bounds is not None:
        start, end = bounds
    else:  # ES's compile-time heuristic: 25 characters either side
        start, end = max(0, pos - 25), min(len(source), pos + 25)
    snippet = source[start:end]
    pointer = " " * (pos - start) + "^---- HERE"
    return [snippet, pointer], {"offset": pos, "start": start, "end": end}


def compile_error(source: str, exc: PainlessCompileError) -> ScriptError:
    cause = EsError(400, "illegal_argument_exception", exc.message)
    return ScriptError("compile error", source, exc.pos, cause)


def runtime_error(source: str, exc: JavaException, bounds: tuple[int, int] | None) -> ScriptError:
    return ScriptError("runtime error", source, exc.pos, exc.to_es(), statement_bounds=bounds)
