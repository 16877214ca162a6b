"""The `suggest` section: the term suggester (edit-distance candidates from a field's terms).

Phrase and completion suggesters are reported as unsupported with a clear error.
"""

from __future__ import annotations

from typing import Any

from .errors import illegal_argument, parsing_exception

TERM_KEYS = {"field", "size", "sort", "suggest_mode", "max_edits", "prefix_length", "min_word_length",
             "min_doc_freq", "max_term_freq", "string_distance", "analyzer", "shard_size", "max_inspections",
             "lowercase_terms", "accuracy"}


def suggest(spec: Any, searcher: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise parsing_exception("[suggest] must be an object")
    global_text = spec.get("text")
    out: dict[str, Any] = {}
    for name, body in spec.items():
        if name == "text":
            continue
        if not isinstance(body, dict):
            raise parsing_exception(f"suggestion [{name}] must be an object")
        text = body.get("text", global_text)
        kinds = [k for k in body if k not in ("text", "prefix", "regex")]
        if len(kinds) != 1:
            raise parsing_exception(f"suggestion [{name}] must define exactly one suggester")
        kind = kinds[0]
        if kind == "term":
            out[name] = _term(body["term"], text, searcher)
        elif kind in ("phrase", "completion"):
            raise illegal_argument(f"the [{kind}] suggester is not supported by the embedded engine; use the "
                                   f"[term] suggester")
        else:
            raise parsing_exception(f"suggester[{kind}] not supported")
    return out


def _term(opts: dict[str, Any], text: Any, searcher: Any) -> list[dict[str, Any]]:
    from rapidfuzz.distance import DamerauLevenshtein

    for key in opts:
        if key not in TERM_KEYS:
            raise parsing_exception(f"suggester[term] doesn't support field [{key}]")
    if "field" not in opts:
        raise illegal_argument("The required field option is missing")
    if text is None:
        raise illegal_argument("The required text option is missing")
    field = opts["field"]
    size = int(opts.get("size", 5))
    mode = opts.get("suggest_mode", "missing")
    max_edits = int(opts.get("max_edits", 2))
    if not 1 <= max_edits <= 2:
        raise illegal_argument("max_edits must be between 1 and 2")
    prefix_length = int(opts.get("prefix_length", 1))
    min_word_length = int(opts.get("min_word_length", 4))
    sort = opts.get("sort", "score")
    tokens = None
    df: dict[str, int] = {}
    for target in searcher.targets:
        index = target.index
        f = index.mapping.field(field)
        if tokens is None:
            analyzer = opts.get("analyzer") or (f.search_analyzer if f is not None and f.is_text else "standard")
            tokens = index.analysis.analyzer(analyzer).analyze(str(text))
        inv = index.segment.inverted.get(field)
        if inv is None:
            continue
        for term, postings in inv.terms.items():
            df[term] = df.get(term, 0) + len(postings.docs)
    tokens = tokens or []
    entries = []
    for tok in tokens:
        term = tok.term
        entry: dict[str, Any] = {"text": term, "offset": tok.start_offset, "length": tok.end_offset - tok.start_offset,
                                 "options": []}
        own = df.get(term, 0)
        if len(term) < min_word_length or (mode == "missing" and own > 0):
            entries.append(entry)
            continue
        options = []
        for cand, freq in df.items():
            if cand == term or abs(len(cand) - len(term)) > max_edits:
                continue
            if prefix_length and cand[:prefix_length] != term[:prefix_length]:
                continue
            if len(cand) < min_word_length:
                continue
            dist = DamerauLevenshtein.distance(term, cand, score_cutoff=max_edits)
            if dist > max_edits:
                continue
            if mode == "popular" and freq <= own:
                continue
            score = 1.0 - dist / max(len(term), len(cand))
            options.append({"text": cand, "score": round(score, 7), "freq": freq})
        if sort == "frequency":
            options.sort(key=lambda o: (-o["freq"], -o["score"], o["text"]))
        else:
            options.sort(key=lambda o: (-o["score"], -o["freq"], o["text"]))
        entry["options"] = options[:size]
        entries.append(entry)
    return entries


__all__ = ["suggest"]
