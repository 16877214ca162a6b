"""One index: settings, mapping, documents with versions, and their indexed form."""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from . import settings as settings_mod
from .analysis import AnalysisRegistry, Grouped
from .errors import EsError, document_parsing, illegal_argument, mapper_parsing, version_conflict
from .mapping import Field, Mapping, ParsedDoc
from .segment import (
    INT_BYTES,
    Column,
    InvertedField,
    KeywordPostings,
    Segment,
    VectorColumn,
)

POSITION_GAP = 100
MEMO_LIMIT = 50_000  # values whose analysis (or normalized term) a field's indexer remembers
MEMO_MAX_CHARS = 100  # ... when they are this short (names, cities, emails recur; long texts seldom do)
EDGE_PREFIX_MAX = 20
TOKEN_LIMIT_SETTING = "index.mapping.total_tokens_per_document.limit"


@dataclass(slots=True)
class DocState:
    """The live version of one document."""

    docnum: int
    seq_no: int
    version: int
    primary_term: int
    routing: str | None = None
    row: int = -1  # the stored row of this version (storage.Store.put_doc), -1 when not stored


class Index:
    """An index's definition and data. Callers hold the engine lock around every method."""

    def __init__(self, name: str, uuid: str, settings: dict[str, Any], mapping: dict[str, Any] | None,
                 creation_date: int | None = None, store: Any = None) -> None:
        self.name = name
        self.uuid = uuid
        self.creation_date = creation_date or int(time.time() * 1000)
        self.settings = settings
        self.analysis = AnalysisRegistry(settings_mod.analysis_section(settings))
        self.mapping = Mapping(mapping or {}, self.analysis)
        self.aliases: dict[str, dict[str, Any]] = {}
        self.store = store
        self.closed = False
        self.segment = Segment()
        self.sources: list[bytes | None] = []
        self.docs: dict[str, DocState] = {}
        self.tombstones: dict[str, tuple[int, int]] = {}
        self.max_seq_no = -1
        self.primary_term = 1
        self.stats = {"index_total": 0, "delete_total": 0, "query_total": 0, "noop_update_total": 0}
        self.dirty = False
        self.last_refresh = time.monotonic()
        self._indexers: dict[str, Callable[[int, list[Any]], None]] = {}
        self._indexers_version = -1

    # ---- metadata ---------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        return {"name": self.name, "uuid": self.uuid, "settings": self.settings,
                "mappings": self.mapping.root, "aliases": self.aliases, "creation_date": self.creation_date,
                "closed": self.closed}

    def persist_meta(self) -> None:
        if self.store is not None:
            self.store.put_index(self.uuid, self.name, self.meta())

    def full_settings(self) -> dict[str, Any]:
        flat = {"index.number_of_shards": "1", "index.number_of_replicas": "1", **self.settings,
                "index.uuid": self.uuid, "index.provided_name": self.name,
                "index.creation_date": str(self.creation_date),
                "index.version.created": "8512000"}
        flat.setdefault("index.routing.allocation.include._tier_preference", "data_content")
        return flat

    def setting(self, name: str, default: Any = None) -> Any:
        return self.settings.get(f"index.{name}", default)

    def update_settings(self, flat: dict[str, Any]) -> None:
        settings_mod.validate(flat, updating=True)
        merged = {**self.settings}
        for key, value in flat.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        analysis_changed = any(k.startswith("index.analysis.") for k in flat)
        if analysis_changed and not self.closed:
                raise EsError(400, "illegal_argument_exception",
                              f"Can't update non dynamic settings [[{', '.join(sorted(flat))}]] for open indices "
                              f"[[{self.name}/{self.uuid}]]")
        if analysis_changed:
            self.analysis = AnalysisRegistry(settings_mod.analysis_section(merged))
            self.mapping.analysis = self.analysis
            self._indexers.clear()
        self.settings = merged
        self.persist_meta()

    def put_mapping(self, mapping: dict[str, Any]) -> None:
        self.mapping.merge(mapping)
        self.persist_meta()

    @property
    def doc_count(self) -> int:
        return len(self.docs)

    # ---- near real time -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Make all writes visible to search, as an ES refresh does (compacting first if worthwhile)."""
        self.maybe_compact()
        self.segment.refresh()
        self.dirty = False
        self.last_refresh = time.monotonic()

    def refresh_interval_s(self) -> float | None:
        """Seconds between automatic refreshes (`index.refresh_interval`, default 1s); None = never."""
        from .dates import parse_time_value

        value = self.setting("refresh_interval", "1s")
        if str(value) == "-1":
            return None
        return parse_time_value(str(value), "index.refresh_interval") / 1000

    def get_visible(self, doc_id: str) -> DocState | None:
        """The document as search sees it (realtime=false reads): None if not refreshed yet."""
        state = self.docs.get(doc_id)
        if state is None or not self.segment.is_visible(state.docnum):
            return None
        return state

    # ---- documents --------------------------------------------------------------------------
    def get(self, doc_id: str) -> DocState | None:
        return self.docs.get(doc_id)

    def source(self, state: DocState) -> dict[str, Any]:
        raw = self.sources[state.docnum]
        return orjson.loads(raw) if raw is not None else {}

    def source_bytes(self, docnum: int) -> bytes | None:
        return self.sources[docnum]

    def index_doc(self, doc_id: str, source: dict[str, Any], *, op_type: str = "index",
                  if_seq_no: int | None = None, if_primary_term: int | None = None,
                  version: int | None = None, version_type: str | None = None,
                  routing: str | None = None, dynamic_templates: dict[str, str] | None = None) -> dict[str, Any]:
        """Index (or create) one document; returns ES's write result fields.

        `dynamic_templates`: a bulk item's field path -> dynamic template name, for new fields."""
        state, created = self.write_doc(doc_id, source, op_type=op_type, if_seq_no=if_seq_no,
                                        if_primary_term=if_primary_term, version=version,
                                        version_type=version_type, routing=routing,
                                        dynamic_templates=dynamic_templates)
        return self._result("created" if created else "updated", doc_id, state)

    def write_doc(self, doc_id: str, source: dict[str, Any], *, op_type: str = "index",
                  if_seq_no: int | None = None, if_primary_term: int | None = None,
                  version: int | None = None, version_type: str | None = None,
                  routing: str | None = None, dynamic_templates: dict[str, str] | None = None
                  ) -> tuple[DocState, bool]:
        """`index_doc` without building the response: the new version's state and whether it was
        created (rather than updated). For internal writers that do not answer per document."""
        if self.closed:
            raise index_closed(self.name, self.uuid)
        existing = self.docs.get(doc_id)
        if op_type != "index" or if_seq_no is not None or if_primary_term is not None or version is not None:
            self._check_concurrency(doc_id, existing, op_type, if_seq_no, if_primary_term, version, version_type)
        parsed, update = self._parse(source, doc_id, dynamic_templates)
        if update:
            self.mapping.merge({"properties": update})
            self.persist_meta()
        token_limit = self.settings.get(TOKEN_LIMIT_SETTING)
        if token_limit is not None:
            self._check_token_limit(parsed, int(token_limit))
        if version is not None and version_type in ("external", "external_gte"):
            new_version = version
        else:
            tomb = self.tombstones.get(doc_id)
            new_version = existing.version + 1 if existing else (tomb[0] + 1 if tomb else 1)
        raw = source_bytes(source)
        if existing is not None:
            self._remove(existing)
        self.max_seq_no += 1
        docnum = self._add(doc_id, parsed, raw)
        self.dirty = True
        state = DocState(docnum, self.max_seq_no, new_version, self.primary_term, routing)
        self.docs[doc_id] = state
        self.tombstones.pop(doc_id, None)
        if self.store is not None:
            state.row = self.store.put_doc(self.uuid, doc_id, state.seq_no, state.version, state.primary_term,
                                           routing, raw, existing.row if existing is not None else -1)
        self.stats["index_total"] += 1
        return state, existing is None

    def delete_doc(self, doc_id: str, *, if_seq_no: int | None = None, if_primary_term: int | None = None,
                   version: int | None = None, version_type: str | None = None) -> dict[str, Any]:
        if self.closed:
            raise index_closed(self.name, self.uuid)
        existing = self.docs.get(doc_id)
        self._check_concurrency(doc_id, existing, "delete", if_seq_no, if_primary_term, version, version_type)
        self.max_seq_no += 1
        if existing is None:
            tomb = self.tombstones.get(doc_id)
            new_version = version if version_type in ("external", "external_gte") and version else (
                tomb[0] + 1 if tomb else 1)
            self.tombstones[doc_id] = (new_version, self.max_seq_no)
            state = DocState(-1, self.max_seq_no, new_version, self.primary_term)
            return self._result("not_found", doc_id, state)
        self._remove(existing)
        del self.docs[doc_id]
        new_version = version if version_type in ("external", "external_gte") and version else existing.version + 1
        self.tombstones[doc_id] = (new_version, self.max_seq_no)
        if self.store is not None:
            self.store.delete_doc(existing.row)
        self.stats["delete_total"] += 1
        state = DocState(-1, self.max_seq_no, new_version, self.primary_term)
        return self._result("deleted", doc_id, state)

    def _result(self, result: str, doc_id: str, state: DocState) -> dict[str, Any]:
        return {"_index": self.name, "_id": doc_id, "_version": state.version, "result": result,
                "_shards": {"total": 2, "successful": 1, "failed": 0},
                "_seq_no": state.seq_no, "_primary_term": state.primary_term}

    def _check_concurrency(self, doc_id: str, existing: DocState | None, op_type: str, if_seq_no: int | None,
                           if_primary_term: int | None, version: int | None, version_type: str | None) -> None:
        if op_type == "create" and existing is not None:
            raise version_conflict(self.name, doc_id, "document already exists (current version "
                                   f"[{existing.version}])", self.uuid)
        if if_seq_no is not None or if_primary_term is not None:
            if existing is None:
                raise version_conflict(self.name, doc_id, f"required seqNo [{if_seq_no}], primary term "
                                       f"[{if_primary_term}] but no document was found", self.uuid)
            if existing.seq_no != if_seq_no or existing.primary_term != if_primary_term:
                raise version_conflict(
                    self.name, doc_id,
                    f"required seqNo [{if_seq_no}], primary term [{if_primary_term}]. current document has "
                    f"seqNo [{existing.seq_no}] and primary term [{existing.primary_term}]", self.uuid)
        if version is None:
            return
        current = existing.version if existing else None
        kind = version_type or "internal"
        if kind == "internal":
            if current is None or current != version:
                detail = (f"current version [{current}] is different than the one provided [{version}]"
                          if current is not None else
                          f"document does not exist (expected version [{version}])")
                raise version_conflict(self.name, doc_id, detail, self.uuid)
        elif kind == "external":
            if current is not None and version <= current:
                raise version_conflict(self.name, doc_id, f"current version [{current}] is higher or equal to "
                                       f"the one provided [{version}]", self.uuid)
        elif kind == "external_gte":
            if current is not None and version < current:
                raise version_conflict(self.name, doc_id, f"current version [{current}] is higher than the one "
                                       f"provided [{version}]", self.uuid)

    def _parse(self, source: dict[str, Any], doc_id: str, dynamic_templates: dict[str, str] | None = None
               ) -> tuple[ParsedDoc, dict | None]:
        if not isinstance(source, dict):
            raise mapper_parsing("failed to parse, document is empty")
        try:
            return self.mapping.parse_document(source, dynamic_templates)
        except EsError as err:
            if err.type == "document_parsing_exception" and "in document with id" in (err.reason or ""):
                err.reason = err.reason.replace("in document with id", f"in document with id '{doc_id}'")
            raise

    def _check_token_limit(self, parsed: ParsedDoc, limit: int) -> None:
        """Reject a document whose analysed fields produce more than `limit` tokens in all, as ES's
        `index.mapping.total_tokens_per_document.limit` does (-1: no limit). Only fields indexed
        through an analyzer count (text-like fields); keywords are indexed untokenized."""
        if limit <= 0:
            return
        nested: list[tuple[str, ParsedDoc]] = []
        _collect_nested(parsed, nested)
        docs = [parsed, *(sub for _path, sub in nested)]
        count = 0
        for doc in docs:
            for path, values in doc.values.items():
                f = self.mapping.field(path)
                if f is None or not f.is_text or not f.indexed:
                    continue
                grouped = self.analysis.analyzer(f.analyzer).grouped
                for value in values:
                    count += grouped(str(value))[2]
                if count > limit:
                    raise illegal_argument(
                        f"The number of tokens produced while indexing this document has exceeded the allowed "
                        f"maximum of [{limit}]. This limit can be set by changing the "
                        f"[{TOKEN_LIMIT_SETTING}] index level setting.")

    # ---- indexing into the segment ----------------------------------------------------------
    def _remove(self, state: DocState) -> None:
        seg = self.segment
        seg.delete(state.docnum)
        child = state.docnum - 1  # nested sub-docs sit right before their root, as in a Lucene block
        while child >= 0 and seg.parent[child] == state.docnum:
            seg.delete(child)
            child -= 1
        self.dirty = True  # the source stays until compaction: search may still see this version

    def _add(self, doc_id: str, parsed: ParsedDoc, raw: bytes) -> int:
        seg = self.segment
        pending_children: list[tuple[str, ParsedDoc]] = []
        _collect_nested(parsed, pending_children)
        child_docnums = []
        for path, sub in pending_children:
            docnum = seg.new_doc(None, parent=0, nested_path=path)
            self.sources.append(None)
            self._index_values(docnum, sub)
            child_docnums.append(docnum)
        docnum = seg.new_doc(doc_id)
        self.sources.append(raw)
        for child in child_docnums:
            seg.parent[child] = docnum
        self._index_values(docnum, parsed)
        return docnum

    def _index_values(self, docnum: int, parsed: ParsedDoc) -> None:
        indexers = self._indexers
        if self._indexers_version != self.mapping.version:
            indexers.clear()
            self._indexers_version = self.mapping.version
        for path, values in parsed.values.items():
            fn = indexers.get(path)
            if fn is None:
                fn = indexers[path] = self._make_indexer(path)
            fn(docnum, values)
        for path in parsed.ignored:
            self._index_keyword_value(docnum, "_ignored", path, column=False)

    def _make_indexer(self, path: str) -> Callable[[int, list[Any]], None]:
        """A closure that indexes one field's values of a doc, built once per mapping version and segment.

        It runs when the field's first value arrives, so creating the field's structures here is
        what the generic path would do at that point.
        """
        f = self.mapping.field(path)
        if f is None:
            return _skip
        seg = self.segment
        present = seg.present.get(path)
        if present is None:
            present = seg.present[path] = array("i")
        t = f.type
        normalizer = f.params.get("normalizer")
        if t in ("keyword", "wildcard", "version", "constant_keyword", "flattened", "ip") \
                and (not normalizer or t == "keyword"):
            inv = None
            if f.indexed:
                inv = seg.inverted.get(path)
                if inv is None:
                    inv = seg.inverted[path] = InvertedField(with_positions=False)
            col = None
            if f.params.get("doc_values", True) is not False:
                col = seg.columns.get(path)
                if col is None:
                    col = seg.columns[path] = Column("str")
            if normalizer:
                return self._normalizing(self._keyword_indexer(present, inv, col), normalizer)
            return self._keyword_indexer(present, inv, col)
        if t in ("text", "match_only_text") and f.indexed and not f.params.get("fielddata") \
                and not f.params.get("_shingle") and not f.params.get("_prefix"):
            inv = seg.inverted.get(path)
            if inv is None:
                inv = seg.inverted[path] = InvertedField(with_positions=True)
            analyze = self.analysis.analyzer(f.analyzer).grouped
            gap = int(f.params.get("position_increment_gap", POSITION_GAP))
            return self._text_indexer(present, inv, analyze, gap)
        if f.is_numeric and t != "token_count":
            column = seg.columns.get(path)
            if column is None:
                column = seg.columns[path] = Column("num")
            add_num = column.add

            def index_number(docnum: int, values: list[Any]) -> None:
                if not present or present[-1] != docnum:
                    present.append(docnum)
                if len(values) > 1:
                    values = sorted(values, key=float)
                for value in values:
                    add_num(docnum, 1.0 if value is True else 0.0 if value is False else value)
            return index_number

        def index_other(docnum: int, values: list[Any]) -> None:
            if not present or present[-1] != docnum:
                present.append(docnum)
            self._index_field(docnum, f, path, values)
        return index_other

    @staticmethod
    def _text_indexer(present: array, inv: InvertedField, analyze: Callable[[str], Grouped], gap: int
                      ) -> Callable[[int, list[Any]], None]:
        """The indexer of a text field analysed at index time: postings with positions and norms."""
        # value -> its analysis, grouped by term: an index analyzer is a pure function of the
        # value (fixed until the analysis settings change, which drops every indexer), and
        # names, cities and streets recur, as does every value when a document is updated
        memo: dict[str, Grouped] = {}
        add_tokens, count_tokens = inv.add_grouped, inv._count

        def index_text(docnum: int, values: list[Any]) -> None:
            if not present or present[-1] != docnum:
                present.append(docnum)
            base = 0
            for value in values:
                remember = type(value) is str and len(value) <= MEMO_MAX_CHARS
                found = memo.get(value) if remember else None
                if found is None:
                    found = analyze(value)
                    if remember:
                        if len(memo) >= MEMO_LIMIT:
                            memo.clear()
                        memo[value] = found
                count = found[2]
                if count:
                    add_tokens(docnum, found[0], found[1], base, count)
                    base += found[3] + gap + 1
                elif base == 0:
                    count_tokens(docnum, 0)  # what adding no tokens does
        return index_text

    @staticmethod
    def _keyword_indexer(present: array, inv: InvertedField | None, col: Column | None
                         ) -> Callable[[int, list[Any]], None]:
        """The indexer of an untokenized string field (keyword-like): terms and doc-values columns."""
        if inv is None or col is None or inv.with_positions or col.kind != "str":
            add_term = inv.add_term if inv is not None else _skip
            add_str = col.add if col is not None else _skip

            def index_keyword_generic(docnum: int, values: list[Any]) -> None:
                if not present or present[-1] != docnum:
                    present.append(docnum)
                for value in values:
                    add_term(docnum, value)
                    add_str(docnum, value)
            return index_keyword_generic
        # the common case, with InvertedField.add_term and Column.add_str inlined
        terms, lengths = inv.terms, inv.lengths
        terms_get = dict.get.__get__(terms)  # raw reads and writes: ints for one-doc terms
        terms_set = dict.__setitem__.__get__(terms)
        col_docs, col_values, ord_of, vocab = col.docs, col.values, col.ord_of, col.vocab

        def index_keyword(docnum: int, values: list[Any]) -> None:
            if not present or present[-1] != docnum:
                present.append(docnum)
            count = len(values)
            if not count:
                return
            size = len(lengths)
            if size == docnum:  # the usual case: the newest doc, not seen by this field yet
                lengths.append(count)
                inv.doc_count += 1
            else:
                if size < docnum:
                    lengths.frombytes(bytes(INT_BYTES * (docnum + 1 - size)))  # zeros for the docs in between
                if lengths[docnum] == 0:
                    inv.doc_count += 1
                lengths[docnum] += count
            inv.sum_ttf += count
            for value in values:
                postings = terms_get(value)
                if postings is None:  # first sighting: the docnum itself (see segment.TermDict)
                    terms_set(value, docnum)
                    inv._sorted = None
                elif type(postings) is int:
                    grown = KeywordPostings(postings)
                    grown.add_doc(docnum)
                    terms_set(value, grown)
                else:
                    docs = postings._docs
                    if docs is not None and postings._freqs is None and docs[-1] != docnum:
                        docs.append(docnum)  # KeywordPostings.add_doc's common case, inlined
                    else:
                        postings.add_doc(docnum)
                col_docs.append(docnum)
                ordinal = ord_of.get(value)
                if ordinal is None:
                    ordinal = ord_of[value] = len(vocab)
                    vocab.append(value)
                    col._sorted_ords = None
                col_values.append(ordinal)
        return index_keyword

    def _normalizing(self, index_terms: Callable[[int, list[Any]], None], normalizer: str
                     ) -> Callable[[int, list[Any]], None]:
        """Wrap a keyword indexer so that it indexes each value's normalized term. Normalizers are
        pure functions of the value (fixed until the analysis settings change, which drops every
        indexer), so the terms of recent values are remembered."""
        normalize = self.analysis.normalizer(normalizer).terms
        memo: dict[str, str] = {}

        def index_normalized(docnum: int, values: list[Any]) -> None:
            terms = []
            for value in values:
                remember = type(value) is str and len(value) <= MEMO_MAX_CHARS
                term = memo.get(value) if remember else None
                if term is None:
                    found = normalize(value)
                    term = found[0] if found else ""
                    if remember:
                        if len(memo) >= MEMO_LIMIT:
                            memo.clear()
                        memo[value] = term
                terms.append(term)
            index_terms(docnum, terms)
        return index_normalized

    def _index_field(self, docnum: int, f: Field, path: str, values: list[Any]) -> None:
        seg = self.segment
        t = f.type
        if t in ("text", "match_only_text", "search_as_you_type"):
            if f.params.get("_shingle") or f.params.get("_prefix"):
                return
            self._index_text(docnum, f, path, values)
            if t == "search_as_you_type":
                self._index_sayt(docnum, f, path, values)
            return
        if t in ("keyword", "wildcard", "version", "constant_keyword", "flattened", "ip"):
            normalizer = f.params.get("normalizer")
            for value in values:
                term = self._normalize(normalizer, value) if normalizer else value
                self._index_keyword_value(docnum, path, term, column=f.params.get("doc_values", True) is not False,
                                          indexed=f.indexed)
            return
        if t == "dense_vector":
            column = seg.vectors.get(path)
            if column is None:
                column = seg.vectors[path] = VectorColumn()
            column.add(docnum, values[0])
            return
        if t == "token_count":
            analyzer = self.analysis.analyzer(f.analyzer)
            values = [len(analyzer.terms(str(v))) for v in values]
        if f.is_numeric:
            column = seg.columns.get(path)
            if column is None:
                column = seg.columns[path] = Column("num")
            for value in sorted(values, key=float):
                column.add(docnum, 1.0 if value is True else 0.0 if value is False else value)

    def _index_keyword_value(self, docnum: int, path: str, term: str, column: bool = True,
                             indexed: bool = True) -> None:
        seg = self.segment
        if indexed:
            inv = seg.inverted.get(path)
            if inv is None:
                inv = seg.inverted[path] = InvertedField(with_positions=False)
            inv.add_term(docnum, term)
        if column:
            col = seg.columns.get(path)
            if col is None:
                col = seg.columns[path] = Column("str")
            col.add(docnum, term)

    def _normalize(self, normalizer: str, value: str) -> str:
        terms = self.analysis.normalizer(normalizer).terms(value)
        return terms[0] if terms else ""

    def _index_text(self, docnum: int, f: Field, path: str, values: list[Any]) -> None:
        if not f.indexed:
            return
        seg = self.segment
        inv = seg.inverted.get(path)
        if inv is None:
            inv = seg.inverted[path] = InvertedField(with_positions=True)
        analyzer = self.analysis.analyzer(f.analyzer)
        gap = int(f.params.get("position_increment_gap", POSITION_GAP))
        base = 0
        for value in values:
            tokens = analyzer.analyze(value)
            if tokens:
                inv.add(docnum, [(t.term, base + t.position) for t in tokens], len(tokens))
                base += tokens[-1].position + gap + 1
            elif base == 0:
                inv.add(docnum, [], 0)
        if f.params.get("fielddata"):
            col = seg.columns.get(path)
            if col is None:
                col = seg.columns[path] = Column("str")
            for term in sorted({t for v in values for t in analyzer.terms(v)}):
                col.add(docnum, term)

    def _index_sayt(self, docnum: int, f: Field, path: str, values: list[Any]) -> None:
        seg = self.segment
        analyzer = self.analysis.analyzer(f.analyzer)
        max_shingle = int(f.params.get("max_shingle_size", 3))
        for value in values:
            terms = analyzer.terms(value)
            for n in range(2, max_shingle + 1):
                sub = f"{path}._{n}gram"
                inv = seg.inverted.get(sub) or seg.inverted.setdefault(sub, InvertedField(True))
                shingles = [(" ".join(terms[i:i + n]), i) for i in range(len(terms) - n + 1)]
                inv.add(docnum, shingles, len(shingles))
                seg.mark_present(sub, docnum)
            sub = f"{path}._index_prefix"
            inv = seg.inverted.get(sub) or seg.inverted.setdefault(sub, InvertedField(True))
            prefixes = []
            for i in range(len(terms)):
                for n in range(1, max_shingle + 1):
                    if i + n > len(terms):
                        break
                    shingle = " ".join(terms[i:i + n])
                    prefixes.extend((shingle[:k], i) for k in range(1, min(len(shingle), EDGE_PREFIX_MAX) + 1))
            inv.add(docnum, prefixes, len(terms))
            seg.mark_present(sub, docnum)

    # ---- maintenance ------------------------------------------------------------------------
    def load_doc(self, doc_id: str, seq_no: int, version: int, term: int, routing: str | None,
                 raw: bytes, row: int = -1) -> None:
        """Re-index a stored document at startup (no persistence, no version checks)."""
        existing = self.docs.get(doc_id)
        if existing is not None:  # a later stored version of the same id wins (and the earlier is dropped)
            self._remove(existing)
            if self.store is not None:
                self.store.delete_doc(existing.row)
        source = orjson.loads(raw)
        try:
            parsed, update = self.mapping.parse_document(source)
        except EsError:
            parsed, update = ParsedDoc(), None
        if update:
            self.mapping.merge({"properties": update})
        docnum = self._add(doc_id, parsed, raw)
        self.docs[doc_id] = DocState(docnum, seq_no, version, term, routing, row)
        self.max_seq_no = max(self.max_seq_no, seq_no)

    def compact(self) -> None:
        """Rebuild the segment without deleted docs (like a Lucene merge)."""
        live = sorted(self.docs.items(), key=lambda kv: kv[1].docnum)
        old_sources = self.sources
        self.segment = Segment()
        self._indexers.clear()
        self.sources = []
        for doc_id, state in live:
            raw = old_sources[state.docnum]
            parsed, _ = self.mapping.parse_document(orjson.loads(raw))
            state.docnum = self._add(doc_id, parsed, raw)
        self.segment.refresh()

    def maybe_compact(self) -> None:
        seg = self.segment
        if seg.deleted > 50_000 and seg.deleted > seg.max_doc // 2:
            self.compact()


def source_bytes(source: dict[str, Any]) -> bytes:
    """Serialized `_source`, copied to an exact-size buffer: orjson's output keeps a ~4 KB
    allocation per object, which would cost ~4 GB of RSS per million stored documents."""
    return memoryview(orjson.dumps(source)).tobytes()


def _skip(*_args: Any) -> None:
    """An indexer for values that are not indexed (fields the mapping does not know)."""


def _collect_nested(parsed: ParsedDoc, out: list[tuple[str, ParsedDoc]]) -> None:
    for path, sub in parsed.nested:
        _collect_nested(sub, out)
        out.append((path, sub))


def index_closed(name: str, uuid: str) -> EsError:
    return EsError(400, "index_closed_exception", "closed", index_uuid=uuid, index=name)


__all__ = ["Index", "DocState", "index_closed", "document_parsing"]
