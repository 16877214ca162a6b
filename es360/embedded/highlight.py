"""Highlighting: re-analyze stored source values and wrap the tokens the query matched.

The query JSON is walked to collect, per field, what it matches: exact terms (analyzed as the
query analyzes them), prefixes, wildcard/regexp patterns, fuzzy terms and phrases. Each value of a
highlighted field is analyzed with the field's analyzer; matching tokens (and whole phrase matches
for the default `unified` type) are wrapped in `pre_tags`/`post_tags` and cut into fragments:
sentence-bounded passages for `unified`, fixed-size windows for `plain`/`fvh`. Multi-valued fields
give one fragment list entry per value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import EsError, illegal_argument, x_content_parse
from .fetch import values_at

DEFAULT_FRAGMENT_SIZE = 100
DEFAULT_FRAGMENTS = 5
DEFAULT_MAX_ANALYZED_OFFSET = 1_000_000
DEFAULT_MAX_FRAGMENTS = 10_000
OPTION_KEYS = {
    "pre_tags", "post_tags", "fragment_size", "number_of_fragments", "order", "no_match_size",
    "require_field_match", "highlight_query", "type", "encoder", "boundary_chars", "boundary_max_scan",
    "boundary_scanner", "boundary_scanner_locale", "fragmenter", "fragment_offset", "matched_fields",
    "phrase_limit", "tags_schema", "max_analyzed_offset", "force_source", "highlight_filter", "options",
}
NO_HIGHLIGHT = {"knn", "vector_similarity", "exists", "ids", "match_all", "match_none", "script", "geo_distance",
                "geo_bounding_box", "geo_shape", "sparse_vector", "rank_feature", "distance_feature", "has_child",
                "has_parent", "percolate", "terms_set"}
STYLED_PRE = [f'<em class="hlt{i}">' for i in range(1, 11)]


@dataclass
class Tok:
    """A token of a keyword value (the whole value)."""

    term: str
    position: int
    start_offset: int
    end_offset: int


# ---- what the query matches ---------------------------------------------------------------------
@dataclass
class Phrase:
    groups: list[tuple[int, list[str]]]  # (relative position, alternative terms)
    slop: int = 0
    prefix_last: bool = False


@dataclass
class Matcher:
    terms: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    fuzzy: list[tuple[str, int, int, bool]] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    ranges: list[dict[str, str]] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.terms or self.prefixes or self.patterns or self.fuzzy or self.phrases or self.ranges)

    def merge(self, other: Matcher) -> None:
        self.terms |= other.terms
        self.prefixes |= other.prefixes
        self.patterns.extend(other.patterns)
        self.fuzzy.extend(other.fuzzy)
        self.phrases.extend(other.phrases)
        self.ranges.extend(other.ranges)

    def term_matches(self, term: str) -> bool:
        if term in self.terms:
            return True
        if any(term.startswith(p) for p in self.prefixes):
            return True
        if any(p.fullmatch(term) for p in self.patterns):
            return True
        for value, edits, prefix_length, transpositions in self.fuzzy:
            if _within(term, value, edits, prefix_length, transpositions):
                return True
        return any(_in_range(term, bounds) for bounds in self.ranges)


def _within(term: str, value: str, edits: int, prefix_length: int, transpositions: bool) -> bool:
    if abs(len(term) - len(value)) > edits:
        return False
    if prefix_length and term[:prefix_length] != value[:prefix_length]:
        return False
    from rapidfuzz.distance import OSA, Levenshtein

    scorer = OSA if transpositions else Levenshtein
    return scorer.distance(term, value, score_cutoff=edits) <= edits


def _in_range(term: str, bounds: dict[str, str]) -> bool:
    for kind, v in bounds.items():
        if (kind == "gt" and not term > v) or (kind == "gte" and not term >= v) or (
                kind == "lt" and not term < v) or (kind == "lte" and not term <= v):
            return False
    return True


class Collector:
    """Walks query JSON and records per-field matchers for one index."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.fields: dict[str, Matcher] = {}

    def matcher(self, name: str) -> Matcher:
        m = self.fields.get(name)
        if m is None:
            m = self.fields[name] = Matcher()
        return m

    # -- helpers --
    def _field(self, name: str) -> Any:
        return self.index.mapping.field(name)

    def _analyze(self, name: str, text: Any, analyzer: str | None = None) -> list[Any]:
        f = self._field(name)
        registry = self.index.analysis
        try:
            if analyzer:
                return registry.analyzer(analyzer).analyze(str(text))
            if f is None:
                return []
            if f.is_text:
                return registry.analyzer(f.search_analyzer).analyze(_text(text))
        except EsError:
            return []
        return []

    def _keyword_term(self, name: str, value: Any) -> str | None:
        f = self._field(name)
        if f is None:
            return None
        text = _text(value)
        normalizer = f.params.get("normalizer")
        if normalizer:
            try:
                terms = self.index.analysis.normalizer(normalizer).terms(text)
            except EsError:
                return text
            return terms[0] if terms else ""
        return text

    def _expand(self, names: Any) -> list[str]:
        if names is None:
            names = self.index.setting("query.default_field", "*")
        if isinstance(names, str):
            names = [names]
        out: list[str] = []
        for spec in names:
            name = str(spec).split("^", 1)[0]
            if "*" in name:
                for concrete in self.index.mapping.resolve_pattern(name):
                    f = self._field(concrete)
                    if f is not None and (f.is_text or f.is_keyword):
                        out.append(concrete)
            else:
                out.append(name)
        return out

    def _sayt_root(self, name: str) -> tuple[str, str | None]:
        m = re.match(r"^(.*)\._(\d+gram|index_prefix)$", name)
        if m:
            return m.group(1), m.group(2)
        return name, None

    # -- per value kinds --
    def add_text(self, name: str, text: Any, spec: dict[str, Any] | None = None, *, prefix_last: bool = False,
                 bool_prefix: bool = False) -> None:
        spec = spec or {}
        root, sub = self._sayt_root(name)
        if sub is not None:
            tokens = self._analyze(root, text, spec.get("analyzer"))
            if tokens:
                self.add_phrase(root, tokens, 0, prefix_last=sub == "index_prefix" or prefix_last)
            return
        f = self._field(name)
        if f is None:
            return
        if not f.is_text:
            term = self._keyword_term(name, text)
            if term is None:
                return
            m = self.matcher(name)
            if spec.get("fuzziness") is not None:
                from .query import fuzzy_edits

                m.fuzzy.append((term, fuzzy_edits(spec["fuzziness"], term), int(spec.get("prefix_length", 0)),
                                spec.get("fuzzy_transpositions", True) is not False))
            elif prefix_last or bool_prefix:
                m.prefixes.add(term)
            else:
                m.terms.add(term)
            return
        tokens = self._analyze(name, text, spec.get("analyzer"))
        m = self.matcher(name)
        fuzziness = spec.get("fuzziness")
        last_pos = max((t.position for t in tokens), default=None)
        for t in tokens:
            if (prefix_last or bool_prefix) and t.position == last_pos:
                m.prefixes.add(t.term)
            elif fuzziness is not None:
                from .query import fuzzy_edits

                m.fuzzy.append((t.term, fuzzy_edits(fuzziness, t.term), int(spec.get("prefix_length", 0)),
                                spec.get("fuzzy_transpositions", True) is not False))
            else:
                m.terms.add(t.term)

    def add_phrase(self, name: str, tokens: list[Any], slop: int, prefix_last: bool = False) -> None:
        groups: dict[int, list[str]] = {}
        for t in tokens:
            groups.setdefault(t.position, []).append(t.term)
        if not groups:
            return
        ordered = sorted(groups.items())
        base = ordered[0][0]
        phrase = Phrase([(p - base, terms) for p, terms in ordered], slop, prefix_last)
        if len(ordered) == 1 and not prefix_last:
            self.matcher(name).terms.update(ordered[0][1])
            return
        self.matcher(name).phrases.append(phrase)

    def phrase_text(self, name: str, text: Any, spec: dict[str, Any], prefix_last: bool = False) -> None:
        root, sub = self._sayt_root(name)
        if sub is not None:
            name = root
        f = self._field(name)
        if f is None:
            return
        if not f.is_text:
            self.add_text(name, text, spec)
            return
        tokens = self._analyze(name, text, spec.get("analyzer"))
        self.add_phrase(name, tokens, int(spec.get("slop", 0) or 0), prefix_last)

    # -- the walk --
    def walk(self, q: Any) -> None:
        if isinstance(q, list):
            for item in q:
                self.walk(item)
            return
        if not isinstance(q, dict) or len(q) != 1:
            return
        kind, body = next(iter(q.items()))
        if kind in NO_HIGHLIGHT:
            return
        handler = getattr(self, f"_q_{kind}", None)
        if handler is not None:
            try:
                handler(body)
            except (EsError, KeyError, TypeError, ValueError, AttributeError, re.error):
                return
            return
        if isinstance(body, dict):
            for key in ("query", "filter", "positive", "must", "should", "queries", "organic"):
                if key in body:
                    self.walk(body[key])

    @staticmethod
    def _field_spec(body: dict[str, Any], value_key: str) -> tuple[str, dict[str, Any]]:
        name = next(k for k in body if k not in ("boost", "_name"))
        spec = body[name]
        if not isinstance(spec, dict):
            spec = {value_key: spec}
        return name, spec

    def _q_match(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "query")
        self.add_text(name, spec["query"], spec)

    def _q_match_phrase(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "query")
        self.phrase_text(name, spec["query"], spec)

    def _q_match_phrase_prefix(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "query")
        self.phrase_text(name, spec["query"], spec, prefix_last=True)

    def _q_match_bool_prefix(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "query")
        self.add_text(name, spec["query"], spec, bool_prefix=True)

    def _q_multi_match(self, body: dict[str, Any]) -> None:
        kind = body.get("type", "best_fields")
        for name in self._expand(body.get("fields") or None):
            if kind in ("phrase", "phrase_prefix"):
                self.phrase_text(name, body["query"], body, prefix_last=kind == "phrase_prefix")
            else:
                self.add_text(name, body["query"], body, bool_prefix=kind == "bool_prefix")

    def _q_combined_fields(self, body: dict[str, Any]) -> None:
        for name in self._expand(body.get("fields")):
            self.add_text(name, body["query"], {"analyzer": None})

    def _q_term(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "value")
        value = spec.get("value", spec.get("term"))
        f = self._field(name)
        if f is None:
            return
        term = _text(value) if f.is_text else self._keyword_term(name, value)
        if term is None:
            return
        if spec.get("case_insensitive"):
            self.matcher(name).patterns.append(re.compile(re.escape(term), re.IGNORECASE))
        else:
            self.matcher(name).terms.add(term)

    def _q_terms(self, body: dict[str, Any]) -> None:
        name = next(k for k in body if k not in ("boost", "_name"))
        values = body[name]
        if not isinstance(values, list):
            return
        f = self._field(name)
        if f is None:
            return
        for v in values:
            term = _text(v) if f.is_text else self._keyword_term(name, v)
            if term is not None:
                self.matcher(name).terms.add(term)

    def _q_prefix(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "value")
        root, sub = self._sayt_root(name)
        f = self._field(name)
        if f is None:
            return
        value = _text(spec["value"])
        if not f.is_text:
            value = self._keyword_term(name, value) or value
        target = root if sub else name
        if spec.get("case_insensitive"):
            self.matcher(target).patterns.append(re.compile(re.escape(value) + ".*", re.IGNORECASE | re.DOTALL))
        else:
            self.matcher(target).prefixes.add(value)

    def _q_wildcard(self, body: dict[str, Any]) -> None:
        from .query import wildcard_regex

        name, spec = self._field_spec(body, "value")
        value = spec.get("value", spec.get("wildcard"))
        flags = re.IGNORECASE if spec.get("case_insensitive") else 0
        f = self._field(name)
        pattern = _text(value)
        if f is not None and not f.is_text and not flags:
            pattern = self._keyword_term(name, pattern) or pattern
        self.matcher(name).patterns.append(re.compile(wildcard_regex(pattern).pattern, flags | re.DOTALL))

    def _q_regexp(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "value")
        flags = re.IGNORECASE if spec.get("case_insensitive") else 0
        self.matcher(name).patterns.append(re.compile(_text(spec["value"]), flags))

    def _q_fuzzy(self, body: dict[str, Any]) -> None:
        from .query import fuzzy_edits

        name, spec = self._field_spec(body, "value")
        f = self._field(name)
        if f is None:
            return
        term = _text(spec["value"]) if f.is_text else (self._keyword_term(name, spec["value"]) or "")
        self.matcher(name).fuzzy.append((term, fuzzy_edits(spec.get("fuzziness", "AUTO"), term),
                                         int(spec.get("prefix_length", 0)),
                                         spec.get("transpositions", True) is not False))

    def _q_range(self, body: dict[str, Any]) -> None:
        name, spec = self._field_spec(body, "gte")
        f = self._field(name)
        if f is None or not (f.is_keyword or f.is_text):
            return
        bounds = {k: _text(spec[k]) for k in ("gt", "gte", "lt", "lte") if spec.get(k) is not None}
        if "from" in spec and spec["from"] is not None:
            bounds["gte" if spec.get("include_lower", True) else "gt"] = _text(spec["from"])
        if "to" in spec and spec["to"] is not None:
            bounds["lte" if spec.get("include_upper", True) else "lt"] = _text(spec["to"])
        self.matcher(name).ranges.append(bounds)

    def _q_bool(self, body: dict[str, Any]) -> None:
        for key in ("must", "should", "filter"):
            self.walk(body.get(key))

    def _q_dis_max(self, body: dict[str, Any]) -> None:
        self.walk(body.get("queries"))

    def _q_constant_score(self, body: dict[str, Any]) -> None:
        self.walk(body.get("filter"))

    def _q_boosting(self, body: dict[str, Any]) -> None:
        self.walk(body.get("positive"))

    def _q_function_score(self, body: dict[str, Any]) -> None:
        self.walk(body.get("query"))

    def _q_script_score(self, body: dict[str, Any]) -> None:
        self.walk(body.get("query"))

    def _q_nested(self, body: dict[str, Any]) -> None:
        self.walk(body.get("query"))

    def _q_span_term(self, body: dict[str, Any]) -> None:
        self._q_term(body)

    def _q_span_near(self, body: dict[str, Any]) -> None:
        self.walk(body.get("clauses"))

    def _q_span_or(self, body: dict[str, Any]) -> None:
        self.walk(body.get("clauses"))

    def _q_span_first(self, body: dict[str, Any]) -> None:
        self.walk(body.get("match"))

    def _q_span_multi(self, body: dict[str, Any]) -> None:
        self.walk(body.get("match"))

    def _q_intervals(self, body: dict[str, Any]) -> None:
        name = next(iter(body))
        self._intervals(name, body[name])

    def _intervals(self, name: str, rule: Any) -> None:
        if not isinstance(rule, dict):
            return
        for kind, spec in rule.items():
            if kind == "match":
                if spec.get("ordered") or int(spec.get("max_gaps", -1)) == 0:
                    self.phrase_text(name, spec["query"], {"slop": max(0, int(spec.get("max_gaps", 0)))})
                else:
                    self.add_text(name, spec["query"], spec)
            elif kind == "prefix":
                self.matcher(name).prefixes.add(_text(spec["prefix"]).lower())
            elif kind == "wildcard":
                from .query import wildcard_regex

                self.matcher(name).patterns.append(wildcard_regex(_text(spec["pattern"])))
            elif kind == "fuzzy":
                from .query import fuzzy_edits

                term = _text(spec["term"])
                self.matcher(name).fuzzy.append((term, fuzzy_edits(spec.get("fuzziness", "AUTO"), term),
                                                 int(spec.get("prefix_length", 0)), True))
            elif kind in ("all_of", "any_of"):
                for sub in spec.get("intervals", []):
                    self._intervals(name, sub)

    def _q_query_string(self, body: dict[str, Any]) -> None:
        fields = body.get("fields") or ([body["default_field"]] if body.get("default_field") else None)
        self._query_string(str(body.get("query", "")), fields, body)

    def _q_simple_query_string(self, body: dict[str, Any]) -> None:
        self._query_string(str(body.get("query", "")), body.get("fields"), body, simple=True)

    def _query_string(self, text: str, fields: Any, body: dict[str, Any], simple: bool = False) -> None:
        """Approximate Lucene query syntax: field:value pairs, quoted phrases, wildcards, fuzzy~."""
        defaults = self._expand(fields)
        slop = int(body.get("phrase_slop", 0) or 0)
        pattern = re.compile(r'(?:(?P<field>[\w.*@-]+):)?(?:"(?P<phrase>[^"]*)"(?:~(?P<pslop>\d+))?|'
                             r'(?P<term>[^\s()"]+))')
        for m in pattern.finditer(text):
            field_name = None if simple else m.group("field")
            names = self._expand([field_name]) if field_name else defaults
            if m.group("phrase") is not None:
                for name in names:
                    self.phrase_text(name, m.group("phrase"), {"slop": int(m.group("pslop") or slop)})
                continue
            term = m.group("term") or ""
            term = term.lstrip("+-!")
            if term.upper() in ("AND", "OR", "NOT", "&&", "||") or not term or term.startswith(("[", "{")):
                continue
            fuzzy = None
            if "~" in term:
                term, _, fz = term.partition("~")
                fuzzy = fz or "AUTO"
            if "^" in term:
                term = term.split("^", 1)[0]
            for name in names:
                f = self._field(name)
                if f is None:
                    continue
                if "*" in term or "?" in term:
                    from .query import wildcard_regex

                    value = term.lower() if f.is_text else term
                    self.matcher(name).patterns.append(wildcard_regex(value))
                elif fuzzy is not None:
                    self.add_text(name, term, {"fuzziness": fuzzy})
                else:
                    self.add_text(name, term, {})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---- options ------------------------------------------------------------------------------------
@dataclass
class Options:
    pre_tags: list[str]
    post_tags: list[str]
    fragment_size: int
    number_of_fragments: int
    order: str
    no_match_size: int
    require_field_match: bool
    highlight_query: Any
    type: str
    encoder: str
    matched_fields: list[str]
    boundary_chars: str
    boundary_max_scan: int
    boundary_scanner: str | None
    max_analyzed_offset: int | None
    fragment_offset: int


def _opt_error(name: str, reason: str) -> EsError:
    return EsError(400, "x_content_parse_exception", f"[1:1] [highlight] failed to parse field [{name}]",
                   line=1, col=1, caused_by=illegal_argument(reason))


def _check_options(spec: dict[str, Any], where: str) -> None:
    for key in spec:
        if key not in OPTION_KEYS and not (where == "highlight" and key == "fields"):
            raise x_content_parse(f"[{where}] unknown field [{key}]")
    nof = spec.get("number_of_fragments")
    if nof is not None and int(nof) < 0:
        raise _opt_error("number_of_fragments", "[number_of_fragments] must not be negative")
    mao = spec.get("max_analyzed_offset")
    if mao is not None:
        try:
            value = int(mao)
        except (TypeError, ValueError):
            raise _opt_error("max_analyzed_offset", "[max_analyzed_offset] must be a positive integer, or -1") \
                from None
        if value == 0 or value < -1:
            raise _opt_error("max_analyzed_offset", "[max_analyzed_offset] must be a positive integer, or -1")
    fs = spec.get("fragment_size")
    if fs is not None and int(fs) < 0:
        raise _opt_error("fragment_size", "[fragment_size] must not be negative")
    order = spec.get("order")
    if order is not None and str(order).lower() not in ("score", "none"):
        raise illegal_argument(f"Unknown order [{order}]")
    encoder = spec.get("encoder")
    if encoder is not None and str(encoder).lower() not in ("html", "default"):
        raise illegal_argument(f"Unknown encoder [{encoder}]")
    kind = spec.get("type")
    if kind is not None and kind not in ("plain", "unified", "fvh", "semantic"):
        raise illegal_argument(f"unknown highlighter type [{kind}] for the field [{where}]")


class HighlightRequest:
    """The parsed `highlight` section."""

    def __init__(self, spec: Any) -> None:
        if not isinstance(spec, dict):
            raise x_content_parse("[highlight] expected an object")
        _check_options(spec, "highlight")
        self.global_spec = spec
        fields = spec.get("fields")
        if fields is None:
            raise illegal_argument("Highlighter requires at least one field")
        items: list[tuple[str, dict[str, Any]]] = []
        if isinstance(fields, dict):
            items = [(k, v or {}) for k, v in fields.items()]
        elif isinstance(fields, list):
            for item in fields:
                if isinstance(item, str):
                    items.append((item, {}))
                elif isinstance(item, dict) and len(item) == 1:
                    k, v = next(iter(item.items()))
                    items.append((k, v or {}))
                else:
                    raise x_content_parse("[highlight] field definition must be an object with one key")
        else:
            raise x_content_parse("[highlight] [fields] must be an object or an array")
        for name, fspec in items:
            if not isinstance(fspec, dict):
                raise x_content_parse(f"[highlight_field] [{name}] expected an object")
            _check_options(fspec, "highlight_field")
        self.fields = items

    def options(self, field_spec: dict[str, Any]) -> Options:
        g = self.global_spec

        def opt(key: str, default: Any) -> Any:
            if key in field_spec:
                return field_spec[key]
            return g.get(key, default)

        schema = opt("tags_schema", None)
        pre = opt("pre_tags", STYLED_PRE if schema == "styled" else ["<em>"])
        post = opt("post_tags", ["</em>"])
        pre = pre if isinstance(pre, list) else [pre]
        post = post if isinstance(post, list) else [post]
        matched = field_spec.get("matched_fields") or []
        mao = opt("max_analyzed_offset", None)
        return Options(
            pre_tags=[str(p) for p in pre] or ["<em>"], post_tags=[str(p) for p in post] or ["</em>"],
            fragment_size=int(opt("fragment_size", DEFAULT_FRAGMENT_SIZE)),
            number_of_fragments=int(opt("number_of_fragments", DEFAULT_FRAGMENTS)),
            order=str(opt("order", "none")).lower(), no_match_size=int(opt("no_match_size", 0)),
            require_field_match=_bool(opt("require_field_match", True)),
            highlight_query=opt("highlight_query", None), type=str(opt("type", "unified")),
            encoder=str(opt("encoder", "default")).lower(),
            matched_fields=[str(m) for m in (matched if isinstance(matched, list) else [matched])],
            boundary_chars=str(opt("boundary_chars", ".,!? \t\n")),
            boundary_max_scan=int(opt("boundary_max_scan", 20)),
            boundary_scanner=opt("boundary_scanner", None),
            max_analyzed_offset=None if mao is None else int(mao),
            fragment_offset=int(opt("fragment_offset", 0) or 0),
        )


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() != "false"
    return bool(value)


# ---- highlighting one hit -----------------------------------------------------------------------
class Highlighter:
    """Highlights hits of one index for one search request."""

    def __init__(self, request: HighlightRequest, index: Any, query: Any) -> None:
        self.request = request
        self.index = index
        self.query = query
        self._collected: dict[int, dict[str, Matcher]] = {}
        self._validated = False

    def _matchers(self, q: Any) -> dict[str, Matcher]:
        key = id(q)
        found = self._collected.get(key)
        if found is None:
            collector = Collector(self.index)
            collector.walk(q)
            found = self._collected[key] = collector.fields
        return found

    def _validate(self) -> None:
        if self._validated:
            return
        self._validated = True
        limit = int(self.index.setting("highlight.max_number_of_fragments", DEFAULT_MAX_FRAGMENTS))
        for name, fspec in self.request.fields:
            opts = self.request.options(fspec)
            if opts.number_of_fragments > limit:
                raise illegal_argument(
                    f"The number of fragments requested for highlighting field [{name}] is "
                    f"[{opts.number_of_fragments}] but the maximum allowed is [{limit}]. This maximum can be set "
                    f"by changing the [index.highlight.max_number_of_fragments] index level setting.")
            if opts.matched_fields and not opts.require_field_match:
                raise illegal_argument("Matched fields are not supported when [require_field_match] is set to "
                                       "[false]")

    def highlight(self, source: dict[str, Any] | None, docnum: int, prefix: str | None = None) -> dict[str, list[str]]:
        """The `highlight` section of one hit (`prefix`: the nested path when `source` is a nested object)."""
        self._validate()
        if source is None:
            return {}
        out: dict[str, list[str]] = {}
        mapping = self.index.mapping
        for pattern, fspec in self.request.fields:
            opts = self.request.options(fspec)
            names = _resolve_fields(mapping, pattern)
            explicit = "*" not in pattern
            for name in names:
                f = mapping.field(name)
                if f is None or not (f.is_text or f.is_keyword):
                    continue
                if f.params.get("_prefix"):
                    continue
                frags = self._field(name, f, source, docnum, opts, prefix, explicit)
                if frags:
                    out[name] = frags
        return out

    def _field(self, name: str, f: Any, source: dict[str, Any], docnum: int, opts: Options, prefix: str | None,
               explicit: bool) -> list[str]:
        q = opts.highlight_query if opts.highlight_query is not None else self.query
        matchers = self._matchers(q) if q is not None else {}
        path = f.parent_text or f.path
        if f.params.get("_shingle"):
            path = re.sub(r"\._\d+gram$", "", f.path)
        if prefix is not None:
            if not path.startswith(prefix + "."):
                return []
            path = path[len(prefix) + 1:]
        raw_values = [v for v in values_at(source, path) if v is not None and not isinstance(v, (dict, list))]
        if not raw_values:
            return []
        values = [_text(v) for v in raw_values]
        # which (field, matcher) pairs apply
        sources: list[tuple[Any, Matcher]] = []
        if opts.require_field_match:
            names = [name] + [m for m in opts.matched_fields if m != name]
            for n in names:
                m = matchers.get(n)
                sf = self.index.mapping.field(n)
                if m is not None and not m.empty() and sf is not None:
                    sources.append((sf, m))
        else:
            merged = Matcher()
            for m in matchers.values():
                merged.merge(m)
            if not merged.empty():
                sources.append((f, merged))
        max_offset = self._max_offset(name, values, docnum, opts, f)
        out: list[str] = []
        any_match = False
        for value in values:
            if f.is_keyword and not self._keyword_kept(f, value):
                continue
            spans: list[tuple[int, int]] = []
            scored_terms: list[str] = []
            for sf, m in sources:
                spans.extend(self._spans(sf, m, value, opts, max_offset, scored_terms))
            if not spans:
                continue
            any_match = True
            out.extend(_fragments(value, _merge_spans(spans), opts, scored_terms))
        if not any_match and opts.no_match_size > 0 and values:
            text = values[0]
            cut = _no_match(text, opts.no_match_size)
            if cut:
                return [_encode(cut, opts)]
            return []
        if opts.number_of_fragments > 0:
            return out[: opts.number_of_fragments]
        return out

    def _keyword_kept(self, f: Any, value: str) -> bool:
        limit = f.params.get("ignore_above")
        return limit is None or len(value) <= int(limit)

    def _max_offset(self, name: str, values: list[str], docnum: int, opts: Options, f: Any) -> int | None:
        index_limit = int(self.index.setting("highlight.max_analyzed_offset", DEFAULT_MAX_ANALYZED_OFFSET))
        requested = opts.max_analyzed_offset
        if requested is not None:
            return index_limit if requested == -1 else min(requested, index_limit)
        total = max((len(v) for v in values), default=0)
        if total > index_limit and f.is_text:
            has_offsets = f.params.get("index_options") == "offsets" or "offsets" in str(
                f.params.get("term_vector", ""))
            if opts.type == "unified" and has_offsets:
                return None
            raise illegal_argument(
                f"The length [{total}] of field [{name}] in doc[{docnum}]/index[{self.index.name}] exceeds the "
                f"[index.highlight.max_analyzed_offset] limit [{index_limit}]. To avoid this error, set the query "
                f"parameter [max_analyzed_offset] to a value less than index setting [{index_limit}] and this will "
                f"tolerate long field values by truncating them.")
        return None

    def _tokens(self, f: Any, value: str) -> list[Any]:
        if f.is_keyword:
            term = value
            normalizer = f.params.get("normalizer")
            if normalizer:
                try:
                    terms = self.index.analysis.normalizer(normalizer).terms(value)
                    term = terms[0] if terms else ""
                except EsError:
                    pass
            return [Tok(term, 0, 0, len(value))]
        analyzer_name = f.analyzer
        try:
            return self.index.analysis.analyzer(analyzer_name).analyze(value)
        except EsError:
            return []

    def _spans(self, f: Any, m: Matcher, value: str, opts: Options, max_offset: int | None,
               scored: list[str]) -> list[tuple[int, int]]:
        tokens = self._tokens(f, value)
        if max_offset is not None:
            tokens = [t for t in tokens if t.end_offset <= max_offset]
        spans: list[tuple[int, int]] = []
        single = m.terms or m.prefixes or m.patterns or m.fuzzy or m.ranges
        if single:
            for t in tokens:
                if m.term_matches(t.term):
                    spans.append((t.start_offset, t.end_offset))
                    scored.append(t.term)
        if m.phrases:
            by_pos: dict[int, list[Any]] = {}
            for t in tokens:
                by_pos.setdefault(t.position, []).append(t)
            merge_phrase = opts.type == "unified"
            for phrase in m.phrases:
                for start_tok, end_tok, members in _phrase_matches(phrase, by_pos):
                    scored.extend(t.term for t in members)
                    if merge_phrase:
                        spans.append((start_tok.start_offset, end_tok.end_offset))
                    else:
                        spans.extend((t.start_offset, t.end_offset) for t in members)
        return spans


def _resolve_fields(mapping: Any, pattern: str) -> list[str]:
    if "*" not in pattern:
        return [pattern] if mapping.field(pattern) is not None else []
    regex = re.compile("^" + re.escape(pattern).replace(r"\*", ".*") + "$")
    return sorted(p for p, f in mapping.fields.items() if regex.match(p) and f.type != "alias"
                  and not f.params.get("_prefix"))


def _phrase_matches(phrase: Phrase, by_pos: dict[int, list[Any]]) -> list[tuple[Any, Any, list[Any]]]:
    out = []
    groups = phrase.groups
    n = len(groups)

    def token_ok(t: Any, gi: int) -> bool:
        terms = groups[gi][1]
        if phrase.prefix_last and gi == n - 1:
            return any(t.term.startswith(x) for x in terms)
        return t.term in terms

    for p in sorted(by_pos):
        firsts = [t for t in by_pos[p] if token_ok(t, 0)]
        if not firsts:
            continue
        members = [firsts[0]]
        used_slop = 0
        ok = True
        for gi in range(1, n):
            expected = p + groups[gi][0]
            found = None
            for delta in range(0, phrase.slop - used_slop + 1):
                for cand in (expected + delta, expected - delta) if delta else (expected,):
                    for t in by_pos.get(cand, []):
                        if token_ok(t, gi) and t not in members:
                            found = t
                            used_slop += delta
                            break
                    if found is not None:
                        break
                if found is not None:
                    break
            if found is None:
                ok = False
                break
            members.append(found)
        if ok:
            start = min(members, key=lambda t: t.start_offset)
            end = max(members, key=lambda t: t.end_offset)
            out.append((start, end, members))
    return out


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = sorted(set(spans))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)[\"')\]]*\s*|\n\s*")


def _sentences(text: str) -> list[tuple[int, int]]:
    out = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if end > start:
            out.append((start, end))
        start = end
    if start < len(text):
        out.append((start, len(text)))
    return out or [(0, len(text))]


def _word_start(text: str, pos: int) -> int:
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _word_end(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and not text[pos].isspace():
        pos += 1
    return pos


def _passages(text: str, spans: list[tuple[int, int]], opts: Options) -> list[tuple[int, int]]:
    """Character ranges of the passages/fragments holding the spans."""
    size = max(1, opts.fragment_size)
    ranges: list[tuple[int, int]] = []
    if opts.type == "unified" and opts.boundary_scanner in (None, "sentence"):
        sentences = _sentences(text)
        for s, e in spans:
            if ranges and s < ranges[-1][1]:
                if e > ranges[-1][1]:
                    ranges[-1] = (ranges[-1][0], e)
                continue
            sent = next(((a, b) for a, b in sentences if a <= s < b), (0, len(text)))
            start, end = sent
            if end - start > size:
                start = max(start, _word_start(text, max(start, s - max(0, (size - (e - s)) // 2)))
                                                   if s - start > size // 2 else start)
                end = min(sent[1], max(e, _word_end(text, min(len(text), start + size))))
            else:
                # grow with following sentences while they fit
                for a, b in sentences:
                    if a >= end and b - start <= size:
                        end = b
                    elif a >= end:
                        break
            ranges.append((start, max(end, e)))
        return ranges
    # plain / fvh: fixed windows aligned on word boundaries
    for s, e in spans:
        if ranges and s < ranges[-1][1]:
            if e > ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], e)
            continue
        window = (s // size) * size
        start = _word_start(text, window) if window else 0
        if start > s:
            start = _word_start(text, s)
        if ranges and start < ranges[-1][1]:
            start = ranges[-1][1]
            while start < s and text[start].isspace():
                start += 1
        end = max(e, _word_end(text, min(len(text), start + size)))
        ranges.append((start, end))
    return ranges


def _fragments(text: str, spans: list[tuple[int, int]], opts: Options, scored_terms: list[str]) -> list[str]:
    if opts.number_of_fragments == 0:
        return [_render(text, 0, len(text), spans, opts)]
    ranges = _passages(text, spans, opts)
    scored = []
    for i, (a, b) in enumerate(ranges):
        inside = [(s, e) for s, e in spans if s >= a and e <= b]
        distinct = {text[s:e].lower() for s, e in inside}
        score = len(distinct) + sum(1.0 / (1 + math.log1p(k)) for k in range(len(inside))) * 0.1
        scored.append((score, i, a, b, inside))
    best = sorted(scored, key=lambda x: (-x[0], x[1]))[: opts.number_of_fragments]
    if opts.order != "score":
        best.sort(key=lambda x: x[1])
    out = []
    for _, _, a, b, inside in best:
        frag = _render(text, a, b, inside, opts)
        if opts.type == "unified":
            frag = frag.strip()
        out.append(frag)
    return out


def _render(text: str, a: int, b: int, spans: list[tuple[int, int]], opts: Options) -> str:
    parts = []
    pos = a
    for i, (s, e) in enumerate(spans):
        if s < a or e > b:
            continue
        parts.append(_encode(text[pos:s], opts))
        tag = i % len(opts.pre_tags)
        parts.append(opts.pre_tags[tag])
        parts.append(_encode(text[s:e], opts))
        parts.append(opts.post_tags[min(tag, len(opts.post_tags) - 1)])
        pos = e
    parts.append(_encode(text[pos:b], opts))
    return "".join(parts)


def _encode(text: str, opts: Options) -> str:
    if opts.encoder != "html":
        return text
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#x27;").replace("/", "&#x2F;"))


def _no_match(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text[:size]
    if not text[size].isspace():
        space = cut.rfind(" ")
        if space > 0:
            cut = cut[:space]
    return cut.rstrip()


__all__ = ["HighlightRequest", "Highlighter", "Collector", "Matcher"]
