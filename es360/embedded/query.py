"""The query DSL: each query type validates its JSON and returns matching docnums with scores.

A result is a `DocSet`: sorted unique docnums and their float32 scores. Compound queries combine
DocSets with numpy set operations, so cost follows the number of matching documents.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import EsError, parsing_exception
from .index import Index
from .mapping import Field
from .scoring import bm25, idf

INT = np.int32


@dataclass(slots=True)
class DocSet:
    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


def empty() -> DocSet:
    return DocSet(np.zeros(0, dtype=INT), np.zeros(0, dtype=np.float32))


def constant(docs: np.ndarray, score: float) -> DocSet:
    return DocSet(docs.astype(INT, copy=False), np.full(len(docs), score, dtype=np.float32))


@dataclass
class QueryContext:
    """What a query needs: the index, the eligible docs (live, right nesting level) and `now`."""

    index: Index
    scope: np.ndarray  # bool mask over docnums
    now: int
    nested_path: str | None = None
    runner: Any = None  # hooks for queries implemented elsewhere (knn, scripts)

    @property
    def seg(self) -> Any:
        return self.index.segment

    def field(self, name: str) -> Field | None:
        return self.index.mapping.field(name)

    def in_scope(self, docs: np.ndarray) -> np.ndarray:
        if len(docs) == 0:
            return docs
        return docs[self.scope[docs]]

    def scoped_mask(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask & self.scope).astype(INT)


QueryFn = Callable[[dict[str, Any], QueryContext], DocSet]
QUERIES: dict[str, QueryFn] = {}


def query(name: str) -> Callable[[QueryFn], QueryFn]:
    def register(fn: QueryFn) -> QueryFn:
        QUERIES[name] = fn
        return fn
    return register


def execute(q: Any, ctx: QueryContext) -> DocSet:
    """Run one query clause (`{"type": {...}}`) in a context."""
    if not isinstance(q, dict):
        raise parsing_exception("query malformed, must start with start_object")
    if len(q) != 1:
        if not q:
            raise parsing_exception("query malformed, empty clause found")
        keys = list(q)
        raise parsing_exception(f"[{keys[0]}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
    name, body = next(iter(q.items()))
    fn = QUERIES.get(name)
    if fn is None:
        raise EsError(400, "parsing_exception", f"unknown query [{name}]", line=1, col=len(name) + 2,
                      caused_by=EsError(400, "named_object_not_found_exception",
                                        f"[1:{len(name) + 2}] unknown field [{name}]"))
    return fn(body, ctx)


# ---- set operations ------------------------------------------------------------------------------
def intersect(a: DocSet, b: DocSet, add_scores: bool = True) -> DocSet:
    docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    scores = a.scores[ia] + b.scores[ib] if add_scores else a.scores[ia]
    return DocSet(docs.astype(INT), scores.astype(np.float32))


def union(sets: list[DocSet]) -> tuple[DocSet, np.ndarray]:
    """Union with summed scores, plus how many sets matched each doc."""
    sets = [s for s in sets if len(s)]
    if not sets:
        return empty(), np.zeros(0, dtype=np.int64)
    if len(sets) == 1:
        return sets[0], np.ones(len(sets[0]), dtype=np.int64)
    all_docs = np.concatenate([s.docs for s in sets])
    all_scores = np.concatenate([s.scores for s in sets]).astype(np.float64)
    docs, inverse = np.unique(all_docs, return_inverse=True)
    scores = np.bincount(inverse, weights=all_scores, minlength=len(docs))
    counts = np.bincount(inverse, minlength=len(docs))
    return DocSet(docs.astype(INT), scores.astype(np.float32)), counts


def subtract(a: DocSet, b: DocSet) -> DocSet:
    if not len(b) or not len(a):
        return a
    keep = ~np.isin(a.docs, b.docs, assume_unique=True)
    return DocSet(a.docs[keep], a.scores[keep])


def dismax(sets: list[DocSet], tie_breaker: float) -> DocSet:
    sets = [s for s in sets if len(s)]
    if not sets:
        return empty()
    all_docs = np.concatenate([s.docs for s in sets])
    all_scores = np.concatenate([s.scores for s in sets]).astype(np.float64)
    docs, inverse = np.unique(all_docs, return_inverse=True)
    best = np.full(len(docs), -np.inf)
    np.maximum.at(best, inverse, all_scores)
    total = np.bincount(inverse, weights=all_scores, minlength=len(docs))
    scores = best + tie_breaker * (total - best)
    return DocSet(docs.astype(INT), scores.astype(np.float32))


def scale(ds: DocSet, boost: float) -> DocSet:
    if boost == 1.0:
        return ds
    return DocSet(ds.docs, (ds.scores * np.float32(boost)).astype(np.float32))


# ---- helpers -------------------------------------------------------------------------------------
def check_keys(query_name: str, body: dict[str, Any], allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise parsing_exception(f"[{query_name}] query does not support [{key}]")


def field_body(query_name: str, body: Any, value_key: str) -> tuple[str, dict[str, Any]]:
    """Split `{"field": value-or-object}` forms used by term/match/prefix/... queries."""
    if not isinstance(body, dict) or not body:
        raise parsing_exception(f"[{query_name}] query malformed, no start_object after query name")
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1:
        raise parsing_exception(f"[{query_name}] query doesn't support multiple fields, found [{fields[0]}] and "
                                f"[{fields[1]}]" if len(fields) > 1 else f"[{query_name}] query malformed")
    name = fields[0]
    spec = body[name]
    if isinstance(spec, dict):
        if value_key not in spec and query_name not in ("range",):
            raise parsing_exception(f"[{query_name}] query does not support [{next(iter(spec), '')}]")
        return name, dict(spec)
    return name, {value_key: spec, **({"boost": body["boost"]} if "boost" in body else {})}


def boost_of(spec: dict[str, Any]) -> float:
    value = spec.get("boost", 1.0)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise parsing_exception(f"[boost] must be a number, found [{value}]") from None


def term_postings(ctx: QueryContext, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    inv = ctx.seg.inverted.get(field)
    if inv is None:
        return np.zeros(0, dtype=INT), np.zeros(0, dtype=INT)
    postings = inv.terms.get(term)
    if postings is None:
        return np.zeros(0, dtype=INT), np.zeros(0, dtype=INT)
    docs = postings.doc_array()
    freqs = postings.freq_array()
    keep = ctx.scope[docs]
    return docs[keep], freqs[keep]


def score_term(ctx: QueryContext, field: str, term: str, boost: float, *, df_override: float | None = None,
               has_norms: bool = True) -> DocSet:
    """BM25 scores of one term on one field."""
    docs, freqs = term_postings(ctx, field, term)
    if not len(docs):
        return empty()
    inv = ctx.seg.inverted[field]
    df = df_override if df_override is not None else len(inv.terms[term].docs)
    weight = boost * idf(df, max(inv.doc_count, 1))
    lengths = None
    if has_norms:
        lengths = inv.length_array(ctx.seg.max_doc)[docs]
    return DocSet(docs, bm25(freqs, lengths, inv.avgdl, weight))


def has_norms(f: Field | None) -> bool:
    if f is None:
        return False
    if f.is_text:
        return f.params.get("norms", True) is not False
    return f.params.get("norms", False) is True


def analyze_query_text(ctx: QueryContext, f: Field | None, text: Any, analyzer: str | None = None) -> list:
    """Tokens of query text for a field (search analyzer, or the normalizer for keywords)."""
    registry = ctx.index.analysis
    if analyzer is not None:
        return registry.analyzer(analyzer).analyze(str(text))
    if f is None or f.is_text:
        name = f.search_analyzer if f is not None else "standard"
        return registry.analyzer(name).analyze(_text(text))
    return []


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalize_keyword(ctx: QueryContext, f: Field, value: Any) -> str:
    text = _text(value)
    normalizer = f.params.get("normalizer")
    if normalizer:
        terms = ctx.index.analysis.normalizer(normalizer).terms(text)
        return terms[0] if terms else ""
    return text


def column_match(ctx: QueryContext, field: str, predicate: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Docs whose numeric doc values satisfy a vectorized predicate."""
    col = ctx.seg.columns.get(field)
    if col is None or col.kind != "num":
        return np.zeros(0, dtype=INT)
    docs, values = col.arrays()
    hit = predicate(values)
    matched = np.unique(docs[hit])
    return ctx.in_scope(matched.astype(INT))


def numeric_value(f: Field, value: Any, ctx: QueryContext, *, kind: str = "eq", fmt: str | None = None,
                  tz: str | None = None) -> float:
    """Convert a query value to the column representation of field `f` (dates -> millis)."""
    from .mapping import convert_value

    if f.type in ("date", "date_nanos"):
        from .dates import get_formatter, range_bound

        formatter = get_formatter(fmt or f.date_format)
        if kind == "eq":
            return float(range_bound(value, kind="gte", formatter=formatter, tz=tz, now_millis=ctx.now))
        return float(range_bound(value, kind=kind, formatter=formatter, tz=tz, now_millis=ctx.now))
    if f.type == "boolean":
        converted = convert_value(f, value if not isinstance(value, str) else value)
        return 1.0 if converted else 0.0
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None
    if isinstance(value, bool):
        raise parsing_exception(f"[{f.type}] value [{value}] is not numeric")
    return float(value)


# ---- leaf queries --------------------------------------------------------------------------------
@query("match_all")
def q_match_all(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("match_all", body, {"boost", "_name"})
    return constant(np.flatnonzero(ctx.scope).astype(INT), boost_of(body))


@query("match_none")
def q_match_none(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("match_none", body, {"boost", "_name"})
    return empty()


@query("term")
def q_term(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("term", body, "value")
    check_keys("term", spec, {"value", "boost", "_name", "case_insensitive"})
    return term_query(ctx, name, spec["value"], boost_of(spec), bool(spec.get("case_insensitive")))


def term_query(ctx: QueryContext, name: str, value: Any, boost: float, case_insensitive: bool = False) -> DocSet:
    special = meta_field_query(ctx, name, [value], boost)
    if special is not None:
        return special
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.is_numeric:
        target = numeric_value(f, value, ctx)
        if f.type in ("date", "date_nanos") and isinstance(value, str) and "/" in value:
            upper = numeric_value(f, value, ctx, kind="lte")
            docs = column_match(ctx, name, lambda v: (v >= target) & (v <= upper))
        else:
            docs = column_match(ctx, name, lambda v: v == target)
        return constant(docs, boost)
    if f.type == "ip":
        from .mapping import convert_value

        value = convert_value(f, value)
    term = normalize_keyword(ctx, f, value) if not f.is_text else _text(value)
    if case_insensitive:
        return constant(terms_matching(ctx, name, lambda t: t.lower() == term.lower()), boost)
    return score_term(ctx, name, term, boost, has_norms=has_norms(f))


def meta_field_query(ctx: QueryContext, name: str, values: list[Any], boost: float) -> DocSet | None:
    """_id and _index as queryable fields."""
    if name == "_id":
        docs = [ctx.index.docs[str(v)].docnum for v in values if str(v) in ctx.index.docs]
        return constant(ctx.in_scope(np.unique(np.asarray(docs, dtype=INT))), boost)
    if name == "_index":
        import fnmatch

        hit = any(fnmatch.fnmatchcase(ctx.index.name, str(v)) or str(v) in ctx.index.aliases for v in values)
        return constant(np.flatnonzero(ctx.scope).astype(INT), boost) if hit else empty()
    return None


@query("terms")
def q_terms(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    if not isinstance(body, dict):
        raise parsing_exception("[terms] query malformed")
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1:
        raise parsing_exception("[terms] query does not support multiple fields" if fields
                                else "[terms] query requires a field")
    name = fields[0]
    values = body[name]
    boost = boost_of(body)
    if isinstance(values, dict):
        lookup = ctx.runner.terms_lookup(values) if ctx.runner is not None else None
        if lookup is None:
            raise parsing_exception("[terms] query does not support [" + next(iter(values), "") + "]")
        values = lookup
    if not isinstance(values, list):
        raise parsing_exception(f"[terms] query does not support [{name}]")
    special = meta_field_query(ctx, name, values, boost)
    if special is not None:
        return special
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.is_numeric:
        targets = np.asarray([numeric_value(f, v, ctx) for v in values], dtype=np.float64)
        return constant(column_match(ctx, name, lambda v: np.isin(v, targets)), boost)
    parts = []
    for v in values:
        term = normalize_keyword(ctx, f, v) if not f.is_text else _text(v)
        docs, _ = term_postings(ctx, name, term)
        parts.append(docs)
    docs = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=INT)
    return constant(docs.astype(INT), boost)


def terms_matching(ctx: QueryContext, name: str, predicate: Callable[[str], bool],
                   candidates: list[str] | None = None) -> np.ndarray:
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return np.zeros(0, dtype=INT)
    terms = candidates if candidates is not None else inv.sorted_terms()
    parts = [inv.terms[t].doc_array() for t in terms if predicate(t)]
    if not parts:
        return np.zeros(0, dtype=INT)
    return ctx.in_scope(np.unique(np.concatenate(parts)).astype(INT))


def prefix_terms(ctx: QueryContext, name: str, prefix: str) -> list[str]:
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return []
    terms = inv.sorted_terms()
    lo = bisect.bisect_left(terms, prefix)
    hi = bisect.bisect_left(terms, prefix + "\U0010ffff")
    return terms[lo:hi]


@query("prefix")
def q_prefix(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("prefix", body, "value")
    check_keys("prefix", spec, {"value", "boost", "_name", "rewrite", "case_insensitive"})
    f = ctx.field(name)
    if f is None:
        return empty()
    value = _text(spec["value"])
    if not f.is_text:
        value = normalize_keyword(ctx, f, value)
    if spec.get("case_insensitive"):
        low = value.lower()
        return constant(terms_matching(ctx, name, lambda t: t.lower().startswith(low)), boost_of(spec))
    if f.type == "search_as_you_type" or (f.is_text and f.params.get("index_prefixes")):
        pass
    candidates = prefix_terms(ctx, name, value)
    return constant(terms_matching(ctx, name, lambda t: True, candidates), boost_of(spec))


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    out = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


@query("wildcard")
def q_wildcard(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("wildcard", body, "value")
    if "wildcard" in spec and "value" not in spec:
        spec["value"] = spec.pop("wildcard")
    check_keys("wildcard", spec, {"value", "boost", "_name", "rewrite", "case_insensitive"})
    f = ctx.field(name)
    if f is None:
        return empty()
    pattern = _text(spec["value"])
    if not f.is_text and not spec.get("case_insensitive"):
        pattern = normalize_keyword(ctx, f, pattern)
    flags = re.IGNORECASE if spec.get("case_insensitive") else 0
    regex = re.compile(wildcard_regex(pattern).pattern, flags | re.DOTALL)
    literal = re.split(r"[*?\\]", pattern, maxsplit=1)[0]
    candidates = prefix_terms(ctx, name, literal) if literal and not flags else None
    return constant(terms_matching(ctx, name, lambda t: regex.fullmatch(t) is not None, candidates),
                    boost_of(spec))


@query("regexp")
def q_regexp(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("regexp", body, "value")
    check_keys("regexp", spec, {"value", "boost", "_name", "rewrite", "flags", "flags_value",
                                "max_determinized_states", "case_insensitive"})
    f = ctx.field(name)
    if f is None:
        return empty()
    try:
        regex = re.compile(_lucene_regex(_text(spec["value"])),
                           re.IGNORECASE if spec.get("case_insensitive") else 0)
    except re.error as exc:
        raise EsError(400, "illegal_argument_exception", f"invalid regular expression: {exc}") from None
    return constant(terms_matching(ctx, name, lambda t: regex.fullmatch(t) is not None), boost_of(spec))


def _lucene_regex(pattern: str) -> str:
    # Lucene's syntax is close to Python's for the common subset; `<1-10>` numeric ranges and `@` are rare
    return pattern.replace("#", r"\#") if "#" in pattern else pattern


@query("exists")
def q_exists(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("exists", body, {"field", "boost", "_name"})
    if "field" not in body:
        raise parsing_exception("[exists] must be provided with a [field]")
    name = body["field"]
    names = ctx.index.mapping.resolve_pattern(name) if "*" in name else [name]
    if name in ctx.index.mapping.objects or (name not in ctx.index.mapping.fields and "*" not in name):
        names = [p for p in ctx.seg.present if p == name or p.startswith(name + ".")]
    parts = [ctx.seg.present_docs(n) for n in names]
    if name == "_id" or name == "_index":
        return constant(np.flatnonzero(ctx.scope).astype(INT), boost_of(body))
    if ctx.nested_path is None:
        parts = [_lift_nested(ctx, p) for p in parts]
    docs = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=INT)
    return constant(ctx.in_scope(docs.astype(INT)), boost_of(body))


def _lift_nested(ctx: QueryContext, docs: np.ndarray) -> np.ndarray:
    if not len(docs):
        return docs
    parents = np.frombuffer(ctx.seg.parent.tobytes(), dtype=np.int32)[docs]
    return np.where(parents >= 0, parents, docs).astype(INT)


@query("ids")
def q_ids(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("ids", body, {"values", "boost", "_name", "type"})
    values = body.get("values", [])
    return meta_field_query(ctx, "_id", values, boost_of(body)) or empty()


@query("range")
def q_range(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("range", body, "gte")
    allowed = {"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "boost", "_name",
               "format", "time_zone", "relation"}
    check_keys("range", spec, allowed)
    bounds = _range_bounds(spec)
    boost = boost_of(spec)
    if name == "_id" or name == "_index":
        return empty()
    f = ctx.field(name)
    if f is None:
        return empty()
    if f.is_numeric:
        fmt, tz = spec.get("format"), spec.get("time_zone")
        mask_fns = []
        for kind, value in bounds.items():
            if value is None:
                continue
            v = numeric_value(f, value, ctx, kind=kind, fmt=fmt, tz=tz)
            mask_fns.append((kind, v))

        def predicate(values: np.ndarray) -> np.ndarray:
            hit = np.ones(len(values), dtype=bool)
            for kind, v in mask_fns:
                if kind == "gt":
                    hit &= values > v
                elif kind == "gte":
                    hit &= values >= v
                elif kind == "lt":
                    hit &= values < v
                else:
                    hit &= values <= v
            return hit
        return constant(column_match(ctx, name, predicate), boost)
    converted = {k: (normalize_keyword(ctx, f, v) if not f.is_text else _text(v))
                 for k, v in bounds.items() if v is not None}

    def term_ok(t: str) -> bool:
        for kind, v in converted.items():
            if (kind == "gt" and not t > v) or (kind == "gte" and not t >= v) or (
                    kind == "lt" and not t < v) or (kind == "lte" and not t <= v):
                return False
        return True
    return constant(terms_matching(ctx, name, term_ok), boost)


def _range_bounds(spec: dict[str, Any]) -> dict[str, Any]:
    bounds: dict[str, Any] = {k: spec[k] for k in ("gt", "gte", "lt", "lte") if k in spec}
    if "from" in spec and spec["from"] is not None:
        bounds["gte" if spec.get("include_lower", True) else "gt"] = spec["from"]
    if "to" in spec and spec["to"] is not None:
        bounds["lte" if spec.get("include_upper", True) else "lt"] = spec["to"]
    return bounds


# ---- full text -----------------------------------------------------------------------------------
def fuzzy_edits(fuzziness: Any, term: str) -> int:
    """Max edits for a term: AUTO = 0 for 1-2 chars, 1 for 3-5, 2 above (AUTO:low,high supported)."""
    if fuzziness is None:
        return 0
    text = str(fuzziness)
    if text.upper().startswith("AUTO"):
        low, high = 3, 6
        if ":" in text:
            parts = text.split(":", 1)[1].split(",")
            low, high = int(parts[0]), int(parts[1])
        n = len(term)
        return 0 if n < low else 1 if n < high else 2
    try:
        value = float(text)
    except ValueError:
        raise parsing_exception(f"failed to parse fuzziness [{text}]") from None
    return min(int(value), 2)


def fuzzy_expand(ctx: QueryContext, field: str, term: str, edits: int, prefix_length: int = 0,
                 max_expansions: int = 50, transpositions: bool = True) -> list[tuple[str, float]]:
    """Terms of `field` within `edits` of `term`, best first, with Lucene's similarity boost."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA, Levenshtein

    inv = ctx.seg.inverted.get(field)
    if inv is None:
        return []
    if edits == 0:
        return [(term, 1.0)] if term in inv.terms else []
    candidates = prefix_terms(ctx, field, term[:prefix_length]) if prefix_length else inv.sorted_terms()
    scorer = OSA.distance if transpositions else Levenshtein.distance
    n = len(term)
    found = process.extract(term, candidates, scorer=scorer, score_cutoff=edits, limit=None)
    scored = []
    for cand, dist, _ in found:
        if abs(len(cand) - n) > edits:
            continue
        similarity = 1.0 - dist / min(len(cand), n) if min(len(cand), n) else 0.0
        scored.append((cand, similarity, dist))
    scored.sort(key=lambda x: (-x[1], x[0]))
    return [(c, s) for c, s, _ in scored[:max_expansions]]


def fuzzy_term_query(ctx: QueryContext, field: str, term: str, edits: int, boost: float, *, prefix_length: int = 0,
                     max_expansions: int = 50, transpositions: bool = True, norms: bool = True) -> DocSet:
    """Lucene's top-terms blended rewrite: expansions share the max doc freq, weighted by similarity."""
    expansions = fuzzy_expand(ctx, field, term, edits, prefix_length, max_expansions, transpositions)
    if not expansions:
        return empty()
    inv = ctx.seg.inverted[field]
    max_df = max(len(inv.terms[t].docs) for t, _ in expansions)
    parts = [score_term(ctx, field, t, boost * sim, df_override=max_df, has_norms=norms) for t, sim in expansions]
    result, _ = union(parts)
    return result


def term_group_query(ctx: QueryContext, f: Field, name: str, terms: list[str], boost: float, spec: dict) -> DocSet:
    """Score a group of terms at one position: a single term, or synonyms blended like SynonymQuery."""
    edits_spec = spec.get("fuzziness")
    norms = has_norms(f)
    if len(terms) == 1:
        term = terms[0]
        edits = fuzzy_edits(edits_spec, term) if edits_spec is not None else 0
        if edits:
            return fuzzy_term_query(ctx, name, term, edits, boost,
                                    prefix_length=int(spec.get("prefix_length", 0)),
                                    max_expansions=int(spec.get("max_expansions", 50)),
                                    transpositions=spec.get("fuzzy_transpositions", True) is not False, norms=norms)
        return score_term(ctx, name, term, boost, has_norms=norms)
    inv = ctx.seg.inverted.get(name)
    if inv is None:
        return empty()
    present = [t for t in terms if t in inv.terms]
    if not present:
        return empty()
    max_df = max(len(inv.terms[t].docs) for t in present)
    # SynonymQuery: one pseudo-term whose freq is the sum of the synonyms' freqs
    all_docs = []
    all_freqs = []
    for t in present:
        d, fr = term_postings(ctx, name, t)
        all_docs.append(d)
        all_freqs.append(fr)
    docs_cat = np.concatenate(all_docs)
    docs, inverse = np.unique(docs_cat, return_inverse=True)
    freqs = np.bincount(inverse, weights=np.concatenate(all_freqs).astype(np.float64), minlength=len(docs))
    weight = boost * idf(max_df, max(inv.doc_count, 1))
    lengths = inv.length_array(ctx.seg.max_doc)[docs] if norms else None
    return DocSet(docs.astype(INT), bm25(freqs, lengths, inv.avgdl, weight))


def group_by_position(tokens: list) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for t in tokens:
        groups.setdefault(t.position, [])
        if t.term not in groups[t.position]:
            groups[t.position].append(t.term)
    return [groups[p] for p in sorted(groups)]


def minimum_should_match(spec: Any, optional: int) -> int:
    """ES's minimum_should_match: integers, negatives, percentages and `3<90%` combinations."""
    if spec is None:
        return 0
    text = str(spec).strip()
    if "<" in text:
        result = optional
        for part in text.split():
            threshold, _, value = part.partition("<")
            if optional > int(threshold):
                result = minimum_should_match(value, optional)
        return result
    if text.endswith("%"):
        pct = float(text[:-1])
        calc = int(optional * pct / 100.0) if pct >= 0 else optional - int(optional * -pct / 100.0)
        value = calc
    else:
        n = int(float(text))
        value = n if n >= 0 else optional + n
    return max(0, min(value, optional))


MATCH_KEYS = {"query", "operator", "fuzziness", "prefix_length", "max_expansions", "minimum_should_match",
              "analyzer", "boost", "_name", "zero_terms_query", "lenient", "fuzzy_transpositions",
              "fuzzy_rewrite", "auto_generate_synonyms_phrase_query", "cutoff_frequency"}


@query("match")
def q_match(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match", body, "query")
    check_keys("match", spec, MATCH_KEYS)
    return match_query(ctx, name, spec)


def match_query(ctx: QueryContext, name: str, spec: dict[str, Any]) -> DocSet:
    boost = boost_of(spec)
    if spec.get("operator", "or").lower() not in ("or", "and"):
        raise parsing_exception(f"[match] query does not support [operator] value [{spec.get('operator')}]")
    f = ctx.field(name)
    if f is None:
        return empty()
    value = spec["query"]
    if not f.is_text:
        if f.type == "dense_vector":
            return empty()
        try:
            if f.is_keyword and spec.get("fuzziness") is not None:
                term = normalize_keyword(ctx, f, value)
                edits = fuzzy_edits(spec["fuzziness"], term)
                return fuzzy_term_query(ctx, name, term, edits, boost, norms=False,
                                        prefix_length=int(spec.get("prefix_length", 0)))
            return term_query(ctx, name, value, boost)
        except EsError:
            if spec.get("lenient"):
                return empty()
            raise
    tokens = analyze_query_text(ctx, f, value, spec.get("analyzer"))
    groups = group_by_position(tokens)
    if not groups:
        if str(spec.get("zero_terms_query", "none")).lower() == "all":
            return q_match_all({}, ctx)
        return empty()
    parts = [term_group_query(ctx, f, name, g, boost, spec) for g in groups]
    combined, counts = union(parts)
    required = len(parts) if spec.get("operator", "or").lower() == "and" else max(
        1, minimum_should_match(spec.get("minimum_should_match"), len(parts)))
    if required > 1:
        keep = counts >= required
        combined = DocSet(combined.docs[keep], combined.scores[keep])
    return combined


def phrase_query(ctx: QueryContext, name: str, groups: list[tuple[int, list[str]]], slop: int, boost: float,
                 f: Field | None) -> DocSet:
    """Docs where the terms appear in order (within `slop` moves); scored as Lucene's PhraseQuery."""
    inv = ctx.seg.inverted.get(name)
    if inv is None or not groups:
        return empty()
    per_group = []
    for _pos, terms in groups:
        postings = [(t, inv.terms[t]) for t in terms if t in inv.terms]
        if not postings:
            return empty()
        per_group.append(postings)
    candidate = None
    for postings in per_group:
        docs = np.unique(np.concatenate([p.doc_array() for _, p in postings]))
        candidate = docs if candidate is None else np.intersect1d(candidate, docs, assume_unique=True)
    candidate = ctx.in_scope(candidate.astype(INT))
    if not len(candidate):
        return empty()
    base_pos = groups[0][0]
    offsets = [pos - base_pos for pos, _ in groups]
    index_maps = [[{d: i for i, d in enumerate(p.docs)} for _, p in postings] for postings in per_group]
    matched, freqs = [], []
    for doc in candidate.tolist():
        positions = []
        for g, postings in enumerate(per_group):
            pos_set: set[int] = set()
            for k, (_, p) in enumerate(postings):
                i = index_maps[g][k].get(doc)
                if i is not None:
                    pos_set.update(p.positions_of(i))
            positions.append(pos_set)
        freq = _phrase_freq(positions, offsets, slop)
        if freq > 0:
            matched.append(doc)
            freqs.append(freq)
    if not matched:
        return empty()
    docs = np.asarray(matched, dtype=INT)
    weight = boost * sum(idf(max(len(inv.terms[t].docs) for t, _ in [(t, None) for t, _ in postings]),
                             max(inv.doc_count, 1)) for postings in per_group)
    lengths = inv.length_array(ctx.seg.max_doc)[docs] if has_norms(f) else None
    return DocSet(docs, bm25(np.asarray(freqs, dtype=np.float64), lengths, inv.avgdl, weight))


def _phrase_freq(positions: list[set[int]], offsets: list[int], slop: int) -> float:
    if slop == 0:
        first = positions[0]
        count = 0
        for p in first:
            if all((p + off) in positions[i] for i, off in enumerate(offsets) if i):
                count += 1
        return float(count)
    total = 0.0
    for p in positions[0]:
        best = None
        # greedy sloppy match: for each later term take the closest position to its expected spot
        distance = 0
        ok = True
        for i, off in enumerate(offsets[1:], start=1):
            expected = p + off
            if not positions[i]:
                ok = False
                break
            nearest = min(positions[i], key=lambda q, e=expected: abs(q - e))
            distance += abs(nearest - expected)
        if ok and distance <= slop:
            best = distance
        if best is not None:
            total += 1.0 / (1.0 + best)
    return total


PHRASE_KEYS = {"query", "analyzer", "slop", "boost", "_name", "zero_terms_query", "max_expansions"}


@query("match_phrase")
def q_match_phrase(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match_phrase", body, "query")
    check_keys("match_phrase", spec, PHRASE_KEYS - {"max_expansions"})
    return match_phrase(ctx, name, spec)


def match_phrase(ctx: QueryContext, name: str, spec: dict[str, Any], prefix: bool = False) -> DocSet:
    f = ctx.field(name)
    if f is None:
        return empty()
    if not f.is_text:
        return term_query(ctx, name, spec["query"], boost_of(spec))
    tokens = analyze_query_text(ctx, f, spec["query"], spec.get("analyzer"))
    grouped: dict[int, list[str]] = {}
    for t in tokens:
        grouped.setdefault(t.position, []).append(t.term)
    groups = sorted(grouped.items())
    if not groups:
        if str(spec.get("zero_terms_query", "none")).lower() == "all":
            return q_match_all({}, ctx)
        return empty()
    if prefix:
        last_pos, last_terms = groups[-1]
        expanded = prefix_terms(ctx, name, last_terms[0])[: int(spec.get("max_expansions", 50))]
        if not expanded:
            return empty()
        if len(groups) == 1:
            return constant(terms_matching(ctx, name, lambda t: True, expanded), boost_of(spec))
        groups[-1] = (last_pos, expanded)
    return phrase_query(ctx, name, groups, int(spec.get("slop", 0)), boost_of(spec), f)


@query("match_phrase_prefix")
def q_match_phrase_prefix(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match_phrase_prefix", body, "query")
    check_keys("match_phrase_prefix", spec, PHRASE_KEYS)
    return match_phrase(ctx, name, spec, prefix=True)


@query("match_bool_prefix")
def q_match_bool_prefix(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("match_bool_prefix", body, "query")
    check_keys("match_bool_prefix", spec, MATCH_KEYS - {"zero_terms_query", "cutoff_frequency"})
    return match_bool_prefix(ctx, name, spec)


def match_bool_prefix(ctx: QueryContext, name: str, spec: dict[str, Any]) -> DocSet:
    f = ctx.field(name)
    if f is None:
        return empty()
    boost = boost_of(spec)
    if not f.is_text:
        return term_query(ctx, name, spec["query"], boost)
    groups = group_by_position(analyze_query_text(ctx, f, spec["query"], spec.get("analyzer")))
    if not groups:
        return empty()
    parts = [term_group_query(ctx, f, name, g, boost, spec) for g in groups[:-1]]
    last = groups[-1][0]
    expanded = prefix_terms(ctx, name, last)[: int(spec.get("max_expansions", 50))]
    parts.append(constant(terms_matching(ctx, name, lambda t: True, expanded), boost))
    combined, counts = union(parts)
    required = len(parts) if spec.get("operator", "or").lower() == "and" else max(
        1, minimum_should_match(spec.get("minimum_should_match"), len(parts)))
    if required > 1:
        keep = counts >= required
        combined = DocSet(combined.docs[keep], combined.scores[keep])
    return combined


@query("fuzzy")
def q_fuzzy(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    name, spec = field_body("fuzzy", body, "value")
    check_keys("fuzzy", spec, {"value", "fuzziness", "prefix_length", "max_expansions", "transpositions",
                               "boost", "_name", "rewrite"})
    f = ctx.field(name)
    if f is None:
        return empty()
    term = _text(spec["value"]) if f.is_text else normalize_keyword(ctx, f, spec["value"])
    edits = fuzzy_edits(spec.get("fuzziness", "AUTO"), term)
    return fuzzy_term_query(ctx, name, term, edits, boost_of(spec),
                            prefix_length=int(spec.get("prefix_length", 0)),
                            max_expansions=int(spec.get("max_expansions", 50)),
                            transpositions=spec.get("transpositions", True) is not False, norms=has_norms(f))


MULTI_MATCH_KEYS = MATCH_KEYS | {"fields", "type", "tie_breaker", "slop"}


@query("multi_match")
def q_multi_match(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("multi_match", body, MULTI_MATCH_KEYS)
    if "query" not in body:
        raise parsing_exception("No text specified for multi_match query")
    kind = body.get("type", "best_fields")
    fields = expand_fields(ctx, body.get("fields") or ["*"])
    boost = boost_of(body)
    base = {k: v for k, v in body.items() if k not in ("fields", "type", "tie_breaker", "boost", "_name")}
    tie = float(body.get("tie_breaker", 0.0 if kind in ("best_fields", "phrase", "phrase_prefix") else 1.0))
    if kind not in ("best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix", "bool_prefix"):
        raise parsing_exception(f"failed to parse [multi_match] query type [{kind}]. unknown type.")
    if kind == "cross_fields":
        return scale(cross_fields(ctx, fields, base), boost)
    parts = []
    for name, field_boost in fields:
        spec = {**base, "boost": field_boost}
        if kind in ("phrase", "phrase_prefix"):
            spec = {k: v for k, v in spec.items() if k in PHRASE_KEYS}
            parts.append(match_phrase(ctx, name, spec, prefix=kind == "phrase_prefix"))
        elif kind == "bool_prefix":
            parts.append(match_bool_prefix(ctx, name, spec))
        else:
            try:
                parts.append(match_query(ctx, name, spec))
            except EsError:
                if body.get("lenient") or "*" in str(body.get("fields")):
                    continue
                raise
    if kind == "most_fields" or kind == "bool_prefix" and False:
        combined, _ = union(parts)
        return scale(combined, boost)
    return scale(dismax(parts, tie), boost)


def cross_fields(ctx: QueryContext, fields: list[tuple[str, float]], spec: dict[str, Any]) -> DocSet:
    """Term-centric: each query term may match in any field (blended), all terms per operator."""
    groups: list[list[str]] | None = None
    for name, _ in fields:
        f = ctx.field(name)
        if f is not None and f.is_text:
            groups = group_by_position(analyze_query_text(ctx, f, spec["query"], spec.get("analyzer")))
            break
    if groups is None:
        groups = [[_text(spec["query"])]]
    per_term = []
    for g in groups:
        options = []
        max_df = 0
        for name, _ in fields:
            inv = ctx.seg.inverted.get(name)
            if inv is not None:
                max_df = max([max_df] + [len(inv.terms[t].docs) for t in g if t in inv.terms])
        for name, field_boost in fields:
            f = ctx.field(name)
            if f is None:
                continue
            if f.is_text:
                options.append(term_group_query(ctx, f, name, g, field_boost, spec))
            else:
                try:
                    options.append(term_query(ctx, name, " ".join(g), field_boost))
                except EsError:
                    continue
        per_term.append(dismax(options, float(spec.get("tie_breaker", 0.0))))
    combined, counts = union(per_term)
    required = len(per_term) if spec.get("operator", "or").lower() == "and" else max(
        1, minimum_should_match(spec.get("minimum_should_match"), len(per_term)))
    if required > 1:
        keep = counts >= required
        combined = DocSet(combined.docs[keep], combined.scores[keep])
    return combined


def expand_fields(ctx: QueryContext, fields: list[str] | str) -> list[tuple[str, float]]:
    """`["name^3", "email.*"]` -> concrete (field, boost) pairs."""
    if isinstance(fields, str):
        fields = [fields]
    out: list[tuple[str, float]] = []
    for spec in fields:
        name, _, boost = spec.partition("^")
        weight = float(boost) if boost else 1.0
        if "*" in name:
            for concrete in ctx.index.mapping.resolve_pattern(name):
                f = ctx.field(concrete)
                if f is not None and (f.is_text or f.is_keyword) and f.parent_text is None or (
                        f is not None and name != "*" and f.type != "dense_vector"):
                    out.append((concrete, weight))
        else:
            out.append((name, weight))
    seen: dict[str, float] = {}
    for name, weight in out:
        seen[name] = weight
    return list(seen.items())


# ---- compound ------------------------------------------------------------------------------------
def _clauses(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@query("bool")
def q_bool(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("bool", body, {"must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name",
                              "adjust_pure_negative"})
    must = [execute(c, ctx) for c in _clauses(body.get("must"))]
    filters = [execute(c, ctx) for c in _clauses(body.get("filter"))]
    should = [execute(c, ctx) for c in _clauses(body.get("should"))]
    must_not = [execute(c, ctx) for c in _clauses(body.get("must_not"))]
    n_should = len(_clauses(body.get("should")))
    msm_spec = body.get("minimum_should_match")
    if msm_spec is None:
        required = 1 if (n_should and not must and not filters) else 0
    else:
        required = minimum_should_match(msm_spec, n_should)
    result: DocSet | None = None
    for part in must:
        result = part if result is None else intersect(result, part)
    for part in filters:
        zeroed = DocSet(part.docs, np.zeros(len(part.docs), dtype=np.float32))
        result = zeroed if result is None else intersect(result, zeroed, add_scores=False)
    if should:
        combined, counts = union(should)
        if required > 0:
            keep = counts >= required
            combined = DocSet(combined.docs[keep], combined.scores[keep])
        if result is None:
            result = combined
        elif required > 0:
            result = intersect(result, combined)
        else:
            # optional clauses only add to the score of docs that already match
            docs, ia, ib = np.intersect1d(result.docs, combined.docs, assume_unique=True, return_indices=True)
            scores = result.scores.copy()
            scores[ia] += combined.scores[ib]
            result = DocSet(result.docs, scores)
    elif required > 0:
        return empty()
    if result is None:
        result = constant(np.flatnonzero(ctx.scope).astype(INT), 0.0) if must_not else (
            q_match_all({}, ctx) if not body.get("should") else empty())
        if not must_not and not should:
            result = q_match_all({}, ctx)
    for part in must_not:
        result = subtract(result, part)
    return scale(result, boost_of(body))


@query("constant_score")
def q_constant_score(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("constant_score", body, {"filter", "boost", "_name"})
    if "filter" not in body:
        raise parsing_exception("[constant_score] requires a 'filter' element")
    inner = execute(body["filter"], ctx)
    return constant(inner.docs, boost_of(body))


@query("dis_max")
def q_dis_max(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("dis_max", body, {"queries", "tie_breaker", "boost", "_name"})
    parts = [execute(c, ctx) for c in _clauses(body.get("queries"))]
    return scale(dismax(parts, float(body.get("tie_breaker", 0.0))), boost_of(body))


@query("boosting")
def q_boosting(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("boosting", body, {"positive", "negative", "negative_boost", "boost", "_name"})
    positive = execute(body["positive"], ctx)
    negative = execute(body["negative"], ctx)
    scores = positive.scores.copy()
    hit = np.isin(positive.docs, negative.docs)
    scores[hit] *= np.float32(body.get("negative_boost", 1.0))
    return scale(DocSet(positive.docs, scores), boost_of(body))


@query("nested")
def q_nested(body: dict[str, Any], ctx: QueryContext) -> DocSet:
    check_keys("nested", body, {"path", "query", "score_mode", "ignore_unmapped", "inner_hits", "boost", "_name"})
    path = body.get("path")
    if path not in ctx.index.mapping.objects or ctx.index.mapping.objects[path] != "nested":
        if body.get("ignore_unmapped"):
            return empty()
        raise EsError(400, "query_shard_exception",
                      f"[nested] failed to find nested object under path [{path}]", index=ctx.index.name,
                      index_uuid=ctx.index.uuid)
    seg = ctx.seg
    child_mask = seg.live_mask() & np.array([seg.nested_path.get(i) == path for i in range(seg.max_doc)])
    child_ctx = QueryContext(ctx.index, child_mask, ctx.now, nested_path=path, runner=ctx.runner)
    inner = execute(body.get("query", {"match_all": {}}), child_ctx)
    if not len(inner):
        return empty()
    parents = np.frombuffer(seg.parent.tobytes(), dtype=np.int32)[inner.docs]
    if ctx.nested_path is not None:  # nested inside nested: climb one level is approximated by root
        pass
    mode = body.get("score_mode", "avg")
    docs, inverse = np.unique(parents, return_inverse=True)
    scores64 = inner.scores.astype(np.float64)
    if mode == "sum":
        scores = np.bincount(inverse, weights=scores64)
    elif mode == "max":
        scores = np.full(len(docs), -np.inf)
        np.maximum.at(scores, inverse, scores64)
    elif mode == "min":
        scores = np.full(len(docs), np.inf)
        np.minimum.at(scores, inverse, scores64)
    elif mode == "none":
        scores = np.zeros(len(docs))
    elif mode == "avg":
        scores = np.bincount(inverse, weights=scores64) / np.bincount(inverse)
    else:
        raise illegal_score_mode(mode)
    keep = ctx.scope[docs]
    return scale(DocSet(docs[keep].astype(INT), scores[keep].astype(np.float32)), boost_of(body))


def illegal_score_mode(mode: str) -> EsError:
    return EsError(400, "illegal_argument_exception", f"No score mode for child query [{mode}] found")
