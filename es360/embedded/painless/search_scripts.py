"""Scripts in queries: the `script` query (filter) and `script_score` (score), per matching document.

Each document sees `doc` (doc values loaded lazily from the index's columns; dates as
ZonedDateTime), `params`, and for scoring `_score`, plus ES's score-script functions
(cosineSimilarity, dotProduct, l1norm, l2norm, saturation, sigmoid, decay*).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import EsError
from .errors import JavaException
from .interpreter import BUILTINS
from .jtime import ZonedDateTime
from .runtime import DocMap

_NUMERIC_INT = frozenset({"long", "integer", "short", "byte", "unsigned_long"})


class SegmentDoc(DocMap):
    """`doc` for one document of a query context (an es360 QueryContext: index, seg, field())."""

    def __init__(self, ctx: Any, docnum: int) -> None:
        super().__init__({})
        self.ctx = ctx
        self.docnum = docnum

    def load(self, field: str) -> list[Any] | None:
        ctx, docnum = self.ctx, self.docnum
        if field == "_id":
            return [ctx.seg.ids[docnum]]
        f = ctx.field(field)
        if f is None:
            return None
        ftype = getattr(f, "type", None)
        if ftype == "text" and not getattr(f, "fielddata", False):
            raise JavaException("illegal_argument_exception",
                                f"Text fields are not optimised for operations that require per-document field data "
                                f"like aggregations and sorting, so these operations are disabled by default. Please "
                                f"use a keyword field instead. Alternatively, set fielddata=true on [{field}] in order "
                                f"to load field data by uninverting the inverted index. Note that this can use "
                                f"significant memory.")
        path = getattr(f, "path", field)
        if ftype == "dense_vector":
            vectors = ctx.seg.vectors.get(path)
            vec = vectors.vector_of(docnum) if vectors is not None else None
            return [] if vec is None else [vec.tolist()]
        col = ctx.seg.columns.get(path)
        if col is None:
            return []
        values = col.values_of(docnum)
        if col.kind != "num":
            return sorted(values)
        if ftype in ("date", "date_nanos"):
            return [ZonedDateTime.of_millis(int(v)) for v in sorted(values)]
        if ftype in _NUMERIC_INT:
            return sorted(int(v) for v in values)
        if ftype == "boolean":
            return sorted(bool(v) for v in values)
        return sorted(float(v) for v in values)


def _vector(ctx: Any, docnum: int, field: str) -> np.ndarray:
    f = ctx.field(field)
    path = getattr(f, "path", field) if f is not None else field
    vectors = ctx.seg.vectors.get(path)
    vec = vectors.vector_of(docnum) if vectors is not None else None
    if vec is None:
        raise JavaException("illegal_argument_exception", "A document doesn't have a value for a vector field!")
    return vec.astype(np.float64)


def _query_vector(query: Any, dims: int) -> np.ndarray:
    q = np.asarray(query, dtype=np.float64)
    if q.shape[0] != dims:
        raise JavaException("illegal_argument_exception",
                            f"The query vector has a different number of dimensions [{q.shape[0]}] than the document "
                            f"vectors [{dims}].")
    return q


def score_builtins(ctx: Any, docnum: int) -> dict[str, Any]:
    def cosine(query: Any, field: str) -> float:
        d = _vector(ctx, docnum, field)
        q = _query_vector(query, d.shape[0])
        denom = float(np.linalg.norm(q) * np.linalg.norm(d))
        return float(q @ d) / denom if denom else 0.0

    def dot(query: Any, field: str) -> float:
        d = _vector(ctx, docnum, field)
        return float(_query_vector(query, d.shape[0]) @ d)

    def l1(query: Any, field: str) -> float:
        d = _vector(ctx, docnum, field)
        return float(np.abs(_query_vector(query, d.shape[0]) - d).sum())

    def l2(query: Any, field: str) -> float:
        d = _vector(ctx, docnum, field)
        return float(np.linalg.norm(_query_vector(query, d.shape[0]) - d))

    def decay(kind: str) -> Any:
        def make(origin: float, scale: float, offset: float, decay_value: float) -> Any:
            def fn(value: Any) -> float:
                v = value.millis if hasattr(value, "millis") else float(value)
                distance = max(0.0, abs(v - origin) - offset)
                if kind == "linear":
                    s = scale / (1.0 - decay_value)
                    return max(0.0, (s - distance) / s)
                if kind == "exp":
                    return math.exp(math.log(decay_value) / scale * distance)
                return math.exp(-(distance ** 2) / (2 * (-(scale ** 2) / (2 * math.log(decay_value)))))
            return fn
        return lambda origin, scale, offset, decay_value, value: make(float(origin), float(scale), float(offset),
                                                                     float(decay_value))(value)

    return {
        "cosineSimilarity": cosine, "dotProduct": dot, "l1norm": l1, "l2norm": l2,
        "saturation": lambda value, k: float(value) / (float(k) + float(value)),
        "sigmoid": lambda value, k, a: float(value) ** a / (float(k) ** a + float(value) ** a),
        "decayNumericLinear": decay("linear"), "decayNumericExp": decay("exp"), "decayNumericGauss": decay("gauss"),
    }


def filter_docs(ctx: Any, compiled: Any, params: dict[str, Any], docs: np.ndarray) -> np.ndarray:
    out = np.zeros(len(docs), dtype=bool)
    for i, docnum in enumerate(docs.tolist()):
        result = compiled.execute({"doc": SegmentDoc(ctx, docnum), "params": params,
                                   BUILTINS: score_builtins(ctx, docnum)})
        if result is not True and result is not False:
            raise EsError(400, "illegal_argument_exception",
                          f"script query must return a boolean, got [{type(result).__name__}]")
        out[i] = result
    return out


def score_docs(ctx: Any, compiled: Any, params: dict[str, Any], docs: np.ndarray, scores: np.ndarray
               ) -> np.ndarray:
    out = np.zeros(len(docs), dtype=np.float64)
    for i, docnum in enumerate(docs.tolist()):
        value = compiled.execute({"doc": SegmentDoc(ctx, docnum), "params": params, "_score": float(scores[i]),
                                  BUILTINS: score_builtins(ctx, docnum)})
        if type(value) not in (int, float) or isinstance(value, bool):
            raise EsError(400, "illegal_argument_exception",
                          "script_score script returned an invalid score [" + str(value) + "]")
        if value < 0 or value != value:
            raise EsError(400, "illegal_argument_exception",
                          f"script score function must not produce negative scores, but got: [{float(value)}]")
        out[i] = float(value)
    return out
