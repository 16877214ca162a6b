"""The `function_score` query: rescore a query's matches with weights, field values, decay curves,
seeded randomness or scripts, combined as ES's FunctionScoreQuery does.

Per matching doc, every function whose filter matches yields a factor (`weight * function`); the
factors combine by `score_mode` (multiply, sum, avg = weighted average, first, max, min; 1 when no
function applies), are capped at `max_boost`, and merge with the query score by `boost_mode`.
Decay functions follow ES exactly:

    gauss:  exp(-(max(0, |v - origin| - offset))^2 / (2 * sigma^2)),  sigma^2 = -scale^2 / (2 ln(decay))
    exp:    exp(ln(decay) / scale * max(0, |v - origin| - offset))
    linear: max(0, (s - max(0, |v - origin| - offset)) / s),  s = scale / (1 - decay)

Docs without a value in the decay field get distance 0 (factor 1).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import EsError, parsing_exception
from .query import (
    F32,
    INT,
    DocSet,
    QueryContext,
    _text,
    constant,
    execute,
    float_param,
    no_wrap,
    numeric_value,
    parse_script,
    query,
    run_score_script,
    scale,
    script_runner,
)

FUNCTION_NAMES = ("gauss", "exp", "linear", "field_value_factor", "random_score", "script_score")
SCORE_MODES = ("multiply", "sum", "avg", "first", "max", "min")
BOOST_MODES = ("multiply", "replace", "sum", "avg", "max", "min")
MULTI_VALUE_MODES = ("min", "max", "avg", "sum", "median")
FLOAT_MAX = float(np.finfo(np.float32).max)

# A function maps (ctx, docs, subquery scores) to one float64 factor per doc.
Scorer = Callable[[QueryContext, np.ndarray, np.ndarray], np.ndarray]


@dataclass
class FilterFunction:
    filter: Any  # query JSON or None (all docs)
    scorer: Scorer
    weight: float | None  # None: no weight given (counts as 1 in avg)


def _fail(reason: str) -> EsError:
    return parsing_exception(f"failed to parse [function_score] query. {reason}")


def _check_weight(value: Any) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise parsing_exception(f"[function_score] failed to parse [weight] value [{value}]") from None
    if weight < 0:
        raise no_wrap(EsError(400, "illegal_argument_exception", "[weight] cannot be negative for a filtering function"))
    return weight


@query("function_score")
def q_function_score(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    inner_query: Any = None
    functions: list[FilterFunction] = []
    score_mode = "multiply"
    boost_mode: str | None = None
    max_boost = FLOAT_MAX
    min_score: float | None = None
    boost = 1.0
    single_name: str | None = None
    array_found = False
    for key, value in body.items():
        if isinstance(value, dict):
            if key == "query":
                inner_query = value
                continue
            if single_name is not None:
                raise _fail(f"already found function [{single_name}], now encountering [{key}]. use [functions] "
                            "array if you want to define several functions.")
            if array_found:
                raise _fail(f"[you can either define [functions] array or a single function, not both. already "
                            f"found [functions] array, now encountering [{key}].]")
            single_name = key
            functions.append(FilterFunction(None, parse_function(key, value, ctx), None))
        elif isinstance(value, list):
            if key != "functions":
                raise _fail(f"array [{key}] is not supported")
            if single_name is not None:
                raise _fail(f"[you can either define [functions] array or a single function, not both. already "
                            f"found [{single_name}], now encountering [functions].]")
            array_found = True
            functions.extend(parse_functions(value, ctx))
        elif key == "score_mode":
            score_mode = str(value).lower()
            if score_mode not in SCORE_MODES:
                raise no_wrap(EsError(400, "illegal_argument_exception", f"illegal score_mode [{value}]"))
        elif key == "boost_mode":
            boost_mode = str(value).lower()
            if boost_mode not in BOOST_MODES:
                raise no_wrap(EsError(400, "illegal_argument_exception", f"illegal boost_mode [{value}]"))
        elif key == "max_boost":
            max_boost = float_param(body, key, FLOAT_MAX, "function_score")
        elif key == "boost":
            boost = float_param(body, key, 1.0, "function_score")
        elif key == "_name":
            continue
        elif key == "min_score":
            min_score = float_param(body, key, 0.0, "function_score")
        elif key == "weight":
            if single_name is not None:
                raise _fail(f"already found function [{single_name}], now encountering [{key}]. use [functions] "
                            "array if you want to define several functions.")
            if array_found:
                raise _fail("[you can either define [functions] array or a single function, not both. already "
                            "found [functions] array, now encountering [weight].]")
            weight = _check_weight(value)
            functions.append(FilterFunction(None, _weight_only, weight))
            single_name = key
        else:
            raise _fail(f"field [{key}] is not supported")
    sub = execute(inner_query if inner_query is not None else {"match_all": {}}, ctx)
    result = apply_functions(ctx, sub, functions, score_mode, boost_mode or "multiply", max_boost)
    if min_score is not None:
        keep = result.scores >= F32(min_score)
        result = DocSet(result.docs[keep], result.scores[keep])
    return scale(result, boost)


def parse_functions(items: list[Any], ctx: QueryContext) -> list[FilterFunction]:
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise parsing_exception("failed to parse [START_OBJECT]. malformed query, expected a [function_score] "
                                    "while parsing functions but got a [VALUE] instead")
        flt = None
        scorer: Scorer | None = None
        name = None
        weight = None
        for key, value in item.items():
            if isinstance(value, dict):
                if key == "filter":
                    flt = value
                    continue
                if scorer is not None:
                    raise parsing_exception(f"failed to parse function_score functions. already found [{name}], "
                                            f"now encountering [{key}].")
                scorer = parse_function(key, value, ctx)
                name = key
            elif key == "weight":
                weight = _check_weight(value)
            else:
                raise _fail(f"field [{key}] is not supported")
        if scorer is None:
            if weight is None:
                raise _fail("an entry in functions list is missing a function.")
            scorer = _weight_only
        out.append(FilterFunction(flt, scorer, weight))
    return out


def _weight_only(ctx: QueryContext, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    return np.ones(len(docs))


def parse_function(name: str, spec: dict[str, Any], ctx: QueryContext) -> Scorer:
    if name in ("gauss", "exp", "linear"):
        return decay_function(name, spec, ctx)
    if name == "field_value_factor":
        return field_value_factor(spec, ctx)
    if name == "random_score":
        return random_score(spec, ctx)
    if name == "script_score":
        return script_score(spec, ctx)
    raise EsError(400, "parsing_exception", f"unknown field [{name}]",
                  caused_by=EsError(400, "named_object_not_found_exception", f"unknown field [{name}]"))


# ---- combination ---------------------------------------------------------------------------------
def apply_functions(ctx: QueryContext, sub: DocSet, functions: list[FilterFunction], score_mode: str,
                    boost_mode: str, max_boost: float) -> DocSet:
    if not functions or not len(sub):
        return sub
    docs = sub.docs
    qscore = sub.scores.astype(np.float64)
    n = len(docs)
    factors: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    weights: list[float] = []
    for fn in functions:
        if fn.filter is None:
            mask = np.ones(n, dtype=bool)
        else:
            mask = np.isin(docs, execute(fn.filter, ctx).docs, assume_unique=True)
        values = np.zeros(n)
        if mask.any():
            sel = np.flatnonzero(mask)
            part = np.asarray(fn.scorer(ctx, docs[sel], sub.scores[sel]), dtype=np.float64)
            if fn.weight is not None:
                part = part * fn.weight
            values[sel] = part
        factors.append(values)
        masks.append(mask)
        weights.append(fn.weight if fn.weight is not None else 1.0)
    factor = np.ones(n)
    if score_mode == "multiply":
        for values, mask in zip(factors, masks, strict=True):
            factor = np.where(mask, factor * values, factor)
    elif score_mode == "first":
        done = np.zeros(n, dtype=bool)
        for values, mask in zip(factors, masks, strict=True):
            take = mask & ~done
            factor = np.where(take, values, factor)
            done |= mask
    elif score_mode in ("max", "min"):
        best = np.full(n, -np.inf if score_mode == "max" else np.inf)
        pick = np.maximum if score_mode == "max" else np.minimum
        for values, mask in zip(factors, masks, strict=True):
            best = np.where(mask, pick(best, values), best)
        factor = np.where(np.logical_or.reduce(masks), best, 1.0)
    else:
        total = np.zeros(n)
        weight_sum = np.zeros(n)
        for values, mask, w in zip(factors, masks, weights, strict=True):
            total = np.where(mask, total + values, total)
            weight_sum = np.where(mask, weight_sum + w, weight_sum)
        with np.errstate(divide="ignore", invalid="ignore"):
            combined = total / weight_sum if score_mode == "avg" else total
        factor = np.where(weight_sum != 0, combined, 1.0)
    capped = np.minimum(factor, max_boost)
    if boost_mode == "multiply":
        final = qscore * capped
    elif boost_mode == "replace":
        final = capped
    elif boost_mode == "sum":
        final = qscore + capped
    elif boost_mode == "avg":
        final = (capped + qscore) / 2.0
    elif boost_mode == "min":
        final = np.minimum(qscore, capped)
    else:
        final = np.maximum(qscore, capped)
    final32 = final.astype(F32)
    bad = (final32 < 0) | np.isnan(final32)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise no_wrap(EsError(400, "illegal_argument_exception",
                              f"function score query returned an invalid score: {_java_float(final32[i])} for doc: "
                              f"{int(docs[i])}"))
    return DocSet(docs, final32)


def _java_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


# ---- field values --------------------------------------------------------------------------------
def _numeric_field(ctx: QueryContext, name: str, what: str) -> Any:
    f = ctx.field(name)
    if f is None:
        return None
    if not f.is_numeric:
        raise EsError(400, "illegal_argument_exception",
                      f"field [{name}] is of type [{f.type}], but only numeric types are supported.")
    return f


def first_values(ctx: QueryContext, name: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each doc's smallest value of a numeric column and whether it has one."""
    col = ctx.seg.columns.get(name)
    out = np.zeros(len(docs))
    has = np.zeros(len(docs), dtype=bool)
    if col is None or col.kind != "num" or not len(docs):
        return out, has
    cdocs, values = col.arrays()
    if not len(cdocs):
        return out, has
    lo = np.searchsorted(cdocs, docs, "left")
    ok = lo < len(cdocs)
    ok[ok] = cdocs[lo[ok]] == docs[ok]
    out[ok] = values[lo[ok]]
    return out, ok


MODIFIERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda v: v,
    "log": np.log10,
    "log1p": lambda v: np.log10(v + 1),
    "log2p": lambda v: np.log10(v + 2),
    "ln": np.log,
    "ln1p": np.log1p,
    "ln2p": lambda v: np.log1p(1 + v),
    "square": lambda v: np.power(v, 2.0),
    "sqrt": np.sqrt,
    "reciprocal": lambda v: 1.0 / v,
}


def field_value_factor(spec: dict[str, Any], ctx: QueryContext) -> Scorer:
    for key in spec:
        if key not in ("field", "factor", "modifier", "missing"):
            raise parsing_exception(f"[field_value_factor] query does not support [{key}]")
    if "field" not in spec:
        raise parsing_exception("[field_value_factor] required field 'field' missing")
    name = str(spec["field"])
    factor = float_param(spec, "factor", 1.0, "field_value_factor")
    modifier = str(spec.get("modifier", "none")).lower()
    if modifier not in MODIFIERS:
        raise no_wrap(EsError(400, "illegal_argument_exception", f"Illegal modifier: {spec.get('modifier')}"))
    missing = spec.get("missing")
    missing_value = float(missing) if missing is not None else None
    f = ctx.field(name)
    if f is None and missing_value is None:
        raise EsError(400, "exception", f"Unable to find a field mapper for field [{name}]. No 'missing' value "
                                        "defined.")
    if f is not None and not f.is_numeric:
        raise EsError(400, "illegal_argument_exception",
                      f"Field [{name}] of type [{f.type}] is not supported for [field_value_factor]")
    fn = MODIFIERS[modifier]

    def score(ctx: QueryContext, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        values, has = first_values(ctx, name, docs) if f is not None else (np.zeros(len(docs)),
                                                                            np.zeros(len(docs), dtype=bool))
        if not has.all():
            if missing_value is None:
                raise no_wrap(EsError(500, "exception", f"Missing value for field [{name}]"))
            values = np.where(has, values, missing_value)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = fn(values * factor)
        negative = result < 0
        if negative.any():
            i = int(np.flatnonzero(negative)[0])
            message = (f"field value function must not produce negative scores, but got: [{result[i]!r}] for field "
                       f"value: [{values[i]!r}]")
            if modifier == "ln":
                message += "; consider using ln1p or ln2p instead of ln to avoid negative scores"
            elif modifier == "log":
                message += "; consider using log1p or log2p instead of log to avoid negative scores"
            raise no_wrap(EsError(400, "illegal_argument_exception", message))
        return result
    return score


# ---- decay ---------------------------------------------------------------------------------------
def decay_function(kind: str, spec: dict[str, Any], ctx: QueryContext) -> Scorer:
    field_name = None
    params: dict[str, Any] | None = None
    mode = "min"
    for key, value in spec.items():
        if isinstance(value, dict):
            field_name, params = key, value
        elif key == "multi_value_mode":
            mode = str(value).lower()
            if mode not in MULTI_VALUE_MODES:
                raise no_wrap(EsError(400, "illegal_argument_exception", f"Unknown MultiValueMode [{value}]"))
        else:
            raise parsing_exception("malformed score function score parameters.")
    if field_name is None or params is None:
        raise parsing_exception("malformed score function score parameters.")
    f = ctx.field(field_name)
    if f is None:
        raise parsing_exception(f"unknown field [{field_name}]")
    for key in params:
        if key not in ("origin", "scale", "offset", "decay"):
            raise EsError(400, "parse_exception", f"parameter [{key}] not supported!")
    decay = _param_float(params, "decay", 0.5)
    if f.type in ("date", "date_nanos"):
        if params.get("scale") is None:
            raise EsError(400, "parse_exception", "[scale] must be set for date fields.")
        origin = float(ctx.now) if params.get("origin") is None else numeric_value(f, params["origin"], ctx)
        user_scale = float(_time_millis(params["scale"], "scale"))
        offset = float(_time_millis(params.get("offset", "0d"), "offset"))
    elif f.is_numeric and f.type != "boolean":
        if params.get("scale") is None or params.get("origin") is None:
            raise EsError(400, "parse_exception", "both [scale] and [origin] must be set for numeric fields.")
        origin = _param_float(params, "origin", 0.0)
        user_scale = _param_float(params, "scale", 0.0)
        offset = _param_float(params, "offset", 0.0)
    else:
        raise parsing_exception(f"field [{field_name}] is of type [{f.type}], but only numeric types are supported.")
    if user_scale <= 0.0:
        raise EsError(400, "illegal_argument_exception", "function_score : scale must be > 0.0.")
    if decay <= 0.0 or decay >= 1.0:
        raise EsError(400, "illegal_argument_exception", "function_score : decay must be in the range [0..1].")
    if offset < 0.0:
        raise EsError(400, "illegal_argument_exception", "function_score : offset must be > 0.0")
    if kind == "gauss":
        processed = 0.5 * user_scale ** 2 / math.log(decay)

        def evaluate(d: np.ndarray) -> np.ndarray:
            return np.exp(0.5 * np.power(d, 2.0) / processed)
    elif kind == "exp":
        processed = math.log(decay) / user_scale

        def evaluate(d: np.ndarray) -> np.ndarray:
            return np.exp(processed * d)
    else:
        processed = user_scale / (1.0 - decay)

        def evaluate(d: np.ndarray) -> np.ndarray:
            return np.maximum(0.0, (processed - d) / processed)

    def score(ctx: QueryContext, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        return evaluate(_distances(ctx, field_name, docs, origin, offset, mode))
    return score


def _param_float(params: dict[str, Any], key: str, default: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool):
        raise EsError(400, "parse_exception", f"[{key}] must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None


def _time_millis(value: Any, what: str) -> int:
    from .dates import parse_time_value

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return parse_time_value(str(value), f"DecayFunctionParser.{what}")


def _distances(ctx: QueryContext, name: str, docs: np.ndarray, origin: float, offset: float,
               mode: str) -> np.ndarray:
    """Per doc: the multi-value-mode reduction of max(0, |value - origin| - offset); 0 when missing."""
    out = np.zeros(len(docs))
    col = ctx.seg.columns.get(name)
    if col is None or col.kind != "num" or not len(docs):
        return out
    cdocs, values = col.arrays()
    lo = np.searchsorted(cdocs, docs, "left")
    hi = np.searchsorted(cdocs, docs, "right")
    counts = hi - lo
    has = counts > 0
    if not has.any():
        return out
    if (counts <= 1).all():
        idx = lo[has]
        out[has] = np.maximum(0.0, np.abs(values[idx] - origin) - offset)
        return out
    for i in np.flatnonzero(has).tolist():
        d = np.maximum(0.0, np.abs(values[lo[i]:hi[i]] - origin) - offset)
        if mode == "min":
            out[i] = d.min()
        elif mode == "max":
            out[i] = d.max()
        elif mode == "sum":
            out[i] = d.sum()
        elif mode == "avg":
            out[i] = d.mean()
        else:
            out[i] = float(np.median(d))
    return out


# ---- random --------------------------------------------------------------------------------------
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix64(values: np.ndarray) -> np.ndarray:
    """A 64-bit finalizer (murmur3 fmix64) applied elementwise."""
    z = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = z ^ (z >> np.uint64(33))
        z = z * np.uint64(0xFF51AFD7ED558CCD)
        z = z ^ (z >> np.uint64(33))
        z = z * np.uint64(0xC4CEB9FE1A85EC53)
        z = z ^ (z >> np.uint64(33))
    return z


def random_score(spec: dict[str, Any], ctx: QueryContext) -> Scorer:
    for key in spec:
        if key not in ("seed", "field"):
            raise parsing_exception(f"random_score query does not support [{key}]")
    seed_value = spec.get("seed")
    field_name = spec.get("field")
    if seed_value is None:
        seed = ctx.now
        field_name = None
    else:
        if isinstance(seed_value, str):
            try:
                seed = int(seed_value)
            except ValueError:
                seed = zlib.crc32(seed_value.encode())
        else:
            seed = int(seed_value)
        if field_name is None:
            field_name = "_seq_no"
    salt = zlib.crc32(ctx.index.name.encode())
    salted = int(_mix64(np.asarray([(seed ^ (salt << 1)) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0])

    def score(ctx: QueryContext, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        keys = _random_keys(ctx, field_name, docs, salted)
        return ((keys & np.uint64(0x00FFFFFF)).astype(np.float64) / float(1 << 24)).astype(F32).astype(np.float64)
    return score


def _random_keys(ctx: QueryContext, field_name: str | None, docs: np.ndarray, salted: int) -> np.ndarray:
    salt = np.uint64(salted)
    if field_name is None:
        return _mix64(docs.astype(np.uint64) ^ salt)
    if field_name in ("_seq_no", "_id"):
        ids = ctx.seg.ids
        out = np.empty(len(docs), dtype=np.uint64)
        for i, d in enumerate(docs.tolist()):
            doc_id = ids[d]
            state = ctx.index.docs.get(doc_id) if doc_id is not None else None
            if field_name == "_seq_no" and state is not None:
                out[i] = np.uint64(state.seq_no & 0xFFFFFFFFFFFFFFFF)
            else:
                out[i] = np.uint64(zlib.crc32((doc_id or "").encode()))
        return _mix64(out ^ salt)
    col = ctx.seg.columns.get(field_name)
    if col is None:
        return np.full(len(docs), salt, dtype=np.uint64)
    if col.kind == "num":
        values, has = first_values(ctx, field_name, docs)
        bits = values.view(np.uint64)
        mixed = _mix64(bits ^ salt)
        return np.where(has, mixed, salt)
    cdocs, ords = col.arrays()
    lo = np.searchsorted(cdocs, docs, "left")
    out = np.full(len(docs), salt, dtype=np.uint64)
    for i, d in enumerate(docs.tolist()):
        j = int(lo[i])
        if j < len(cdocs) and cdocs[j] == d:
            out[i] = np.uint64(zlib.crc32(col.vocab[int(ords[j])].encode()))
            out[i] = _mix64(np.asarray([out[i] ^ salt], dtype=np.uint64))[0]
    return out


# ---- scripts -------------------------------------------------------------------------------------
def script_score(spec: dict[str, Any], ctx: QueryContext) -> Scorer:
    for key in spec:
        if key != "script":
            raise parsing_exception(f"script_score query does not support [{key}]")
    if "script" not in spec:
        raise parsing_exception("script_score function requires a 'script' field")
    script = parse_script(spec["script"], "script_score")
    script_runner(ctx, "score_docs")

    def score(ctx: QueryContext, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        return run_score_script(ctx, script, docs, scores)
    return score


__all__ = ["q_function_score", "apply_functions", "FilterFunction", "constant", "INT", "_text"]
