"""Elasticsearch-shaped errors: every failure the engine reports is an EsError."""

from __future__ import annotations

from typing import Any

# Java exceptions ES reports by type name but that are not ElasticsearchExceptions
JAVA_EXCEPTIONS = {
    "illegal_argument_exception", "illegal_state_exception", "number_format_exception", "null_pointer_exception",
    "json_parse_exception", "date_time_parse_exception", "arithmetic_exception", "class_cast_exception",
    "unsupported_operation_exception", "array_index_out_of_bounds_exception", "index_out_of_bounds_exception",
    "runtime_exception", "exception", "i_o_exception", "pattern_syntax_exception",
}


class EsError(Exception):
    """An error with ES's HTTP status, `type` and `reason`, rendered as ES's error body."""

    def __init__(
        self,
        status: int,
        type: str,
        reason: str | None,
        *,
        caused_by: EsError | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.type = type
        self.reason = reason
        self.caused_by = caused_by
        self.extra = extra

    def to_dict(self, with_cause: bool = True) -> dict[str, Any]:
        """The `{type, reason, ...}` object ES nests under `error` and `caused_by`."""
        out: dict[str, Any] = {"type": self.type, "reason": self.reason}
        out.update(self.extra)
        if with_cause and self.caused_by is not None:
            out["caused_by"] = self.caused_by.to_dict()
        return out

    def root(self) -> EsError:
        """ES's root cause: the innermost Elasticsearch exception of the `caused_by` chain
        (plain Java exceptions such as illegal_argument_exception end the walk)."""
        node = self
        while node.caused_by is not None and node.caused_by.type not in JAVA_EXCEPTIONS:
            node = node.caused_by
        return node

    def body(self) -> dict[str, Any]:
        """The full response body: `{"error": {"root_cause": [...], ...}, "status": N}`."""
        error = {"root_cause": [self.root().to_dict(with_cause=False)], **self.to_dict()}
        return {"error": error, "status": self.status}


def illegal_argument(reason: str, status: int = 400) -> EsError:
    return EsError(status, "illegal_argument_exception", reason)


def parsing_exception(reason: str, line: int | None = None, col: int | None = None) -> EsError:
    extra = {} if line is None else {"line": line, "col": col}
    return EsError(400, "parsing_exception", reason, **extra)


def x_content_parse(reason: str, line: int = 1, col: int = 1) -> EsError:
    return EsError(400, "x_content_parse_exception", f"[{line}:{col}] {reason}", line=line, col=col)


def mapper_parsing(reason: str, caused_by: EsError | None = None) -> EsError:
    return EsError(400, "mapper_parsing_exception", reason, caused_by=caused_by)


def document_parsing(reason: str, caused_by: EsError | None = None) -> EsError:
    return EsError(400, "document_parsing_exception", reason, caused_by=caused_by)


def action_request_validation(reasons: list[str]) -> EsError:
    text = "Validation Failed: " + "".join(f"{i + 1}: {r};" for i, r in enumerate(reasons))
    return EsError(400, "action_request_validation_exception", text)


def index_not_found(name: str) -> EsError:
    return EsError(
        404,
        "index_not_found_exception",
        f"no such index [{name}]",
        **{"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name},
    )


def resource_already_exists(name: str, uuid: str) -> EsError:
    return EsError(
        400,
        "resource_already_exists_exception",
        f"index [{name}/{uuid}] already exists",
        index_uuid=uuid,
        index=name,
    )


def version_conflict(index: str, doc_id: str, reason: str, uuid: str = "_na_") -> EsError:
    return EsError(
        409,
        "version_conflict_engine_exception",
        f"[{doc_id}]: version conflict, {reason}",
        index_uuid=uuid,
        shard="0",
        index=index,
    )


def resource_not_found(reason: str) -> EsError:
    return EsError(404, "resource_not_found_exception", reason)


def search_phase_failure(cause: EsError) -> EsError:
    """ES wraps query-time failures in a search_phase_execution_exception (status of the cause)."""
    err = EsError(
        cause.status,
        "search_phase_execution_exception",
        "all shards failed",
        phase="query",
        grouped=True,
        failed_shards=[{"shard": 0, "index": cause.extra.get("index"), "reason": cause.to_dict()}],
        caused_by=cause,
    )
    return err


def did_you_mean(name: str, candidates: set[str] | list[str]) -> str:
    """ES's ` did you mean [x]?` suffix for an unknown field, or "" when nothing is close."""
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    matches = [m for m, score, _ in process.extract(name, sorted(candidates), scorer=JaroWinkler.similarity,
                                                    limit=None) if score >= 0.7]
    if not matches:
        return ""
    if len(matches) == 1:
        return f" did you mean [{matches[0]}]?"
    return f" did you mean any of {matches}?".replace("'", "")
