"""In-memory index structures: inverted index with positions, columnar doc values, vectors.

Documents get append-only internal numbers (docnums). An update deletes the old docnum and appends
a new one, as Lucene does; deleted docnums are masked out at query time and reclaimed by
`Segment.compact` (the owner rebuilds from stored sources).
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

__all__ = ["Postings", "KeywordPostings", "SingleDocPostings", "SinglePositionPostings", "TermDict", "add_keyword_doc",
           "positional_postings", "INT_BYTES",
           "InvertedField", "Column", "VectorColumn", "Segment"]


class Postings:
    """One term's postings: docnums, term frequencies and (for text) flat positions.

    While no document holds the term more than once (the usual case: n-grams, names, ids), the
    frequencies (all 1) and the position starts (doc i's position sits at i) are implicit, so adding
    a document is two appends; both arrays are made when a document holds the term twice. Reads see
    `docs`, `freqs`, `positions`, `pos_start`, `doc_array()`, `freq_array()` and `positions_of(i)`.
    """

    __slots__ = ("docs", "positions", "_freqs", "_starts")

    def __init__(self, with_positions: bool) -> None:
        self.docs = array("i")
        self.positions = array("i") if with_positions else None
        self._freqs: array | None = None  # None: every frequency is 1
        self._starts: array | None = None  # doc i's first position (kept with _freqs)

    def _explicit(self) -> array:
        """Make the frequencies (and position starts) explicit; returns the frequencies."""
        freqs = self._freqs
        if freqs is None:
            n = len(self.docs)
            freqs = self._freqs = array("i", [1]) * n
            if self.positions is not None:
                self._starts = array("i", range(n))
        return freqs

    def add(self, doc: int, positions: list[int]) -> None:
        docs = self.docs
        flat = self.positions
        if docs and docs[-1] == doc:
            # same doc again (multi-valued field): positions continue
            self._explicit()[-1] += len(positions)
            if flat is not None:
                flat.extend(positions)
            return
        if self._freqs is None and len(positions) == 1:
            docs.append(doc)
            if flat is not None:
                flat.append(positions[0])
            return
        freqs = self._explicit()
        docs.append(doc)
        freqs.append(len(positions))
        if flat is not None:
            self._starts.append(len(flat))  # type: ignore[union-attr]
            flat.extend(positions)

    def add_one(self, doc: int, position: int) -> None:
        """`add(doc, [position])` without the list."""
        docs = self.docs
        flat = self.positions
        if docs and docs[-1] == doc:
            self._explicit()[-1] += 1
        elif self._freqs is None:
            docs.append(doc)
        else:
            docs.append(doc)
            self._freqs.append(1)
            if flat is not None:
                self._starts.append(len(flat))  # type: ignore[union-attr]
        if flat is not None:
            flat.append(position)

    @property
    def freqs(self) -> array:
        if self._freqs is not None:
            return self._freqs
        return array("i", [1]) * len(self.docs)

    @property
    def pos_start(self) -> array | None:
        if self.positions is None:
            return None
        if self._starts is not None:
            return self._starts
        return array("i", range(len(self.docs)))

    def doc_array(self) -> np.ndarray:
        return np.frombuffer(self.docs.tobytes(), dtype=np.int32)

    def freq_array(self) -> np.ndarray:
        if self._freqs is None:
            return np.ones(len(self.docs), dtype=np.int32)
        return np.frombuffer(self._freqs.tobytes(), dtype=np.int32)

    def positions_of(self, i: int) -> array:
        flat = self.positions
        if flat is None:
            raise TypeError("these postings have no positions")
        if self._freqs is None:
            return flat[i:i + 1]
        start = self._starts[i]  # type: ignore[index]
        return flat[start:start + self._freqs[i]]


class KeywordPostings:
    """The postings of an untokenized term (keywords): no positions, lean on memory.

    A term seen in one document keeps that docnum inline (most keyword values of ids, emails and
    keys are unique); arrays are made when a second document arrives, and term frequencies only
    once one exceeds 1. Reads see the same `docs`/`freqs`/`doc_array()`/`freq_array()` as `Postings`.
    """

    __slots__ = ("_one", "_docs", "_freqs")
    positions = None
    pos_start = None

    def __init__(self, doc: int) -> None:
        self._one = doc
        self._docs: array | None = None
        self._freqs: array | None = None  # None: every frequency is 1

    def add_doc(self, doc: int, count: int = 1) -> None:
        """Count `count` more occurrences in `doc` (the last doc added, or a later one)."""
        docs = self._docs
        freqs = self._freqs
        if docs is None:
            if self._one == doc:
                if freqs is None:
                    self._freqs = array("i", [1 + count])
                else:
                    freqs[0] += count
                return
            self._docs = array("i", (self._one, doc))
            if freqs is not None:
                freqs.append(count)
            elif count != 1:
                self._freqs = array("i", (1, count))
            return
        if docs[-1] == doc:
            if freqs is None:
                freqs = self._freqs = array("i", [1]) * len(docs)
            freqs[-1] += count
            return
        docs.append(doc)
        if freqs is not None:
            freqs.append(count)
        elif count != 1:
            freqs = self._freqs = array("i", [1]) * len(docs)
            freqs[-1] = count

    @property
    def docs(self) -> array:
        return self._docs if self._docs is not None else array("i", (self._one,))

    @property
    def freqs(self) -> array:
        if self._freqs is not None:
            return self._freqs
        return array("i", [1]) * (len(self._docs) if self._docs is not None else 1)

    def doc_array(self) -> np.ndarray:
        return np.frombuffer(self.docs.tobytes(), dtype=np.int32)

    def freq_array(self) -> np.ndarray:
        if self._freqs is None:
            return np.ones(len(self._docs) if self._docs is not None else 1, dtype=np.int32)
        return np.frombuffer(self._freqs.tobytes(), dtype=np.int32)

    def positions_of(self, i: int) -> array:
        raise TypeError("keyword postings have no positions")


class SingleDocPostings:
    """A read-only view of a keyword term found in one document (stored in TermDict as its docnum)."""

    __slots__ = ("doc",)
    positions = None
    pos_start = None

    def __init__(self, doc: int) -> None:
        self.doc = doc

    @property
    def docs(self) -> array:
        return array("i", (self.doc,))

    @property
    def freqs(self) -> array:
        return array("i", (1,))

    def doc_array(self) -> np.ndarray:
        return np.array((self.doc,), dtype=np.int32)

    def freq_array(self) -> np.ndarray:
        return np.ones(1, dtype=np.int32)

    def positions_of(self, i: int) -> array:
        raise TypeError("keyword postings have no positions")


class SinglePositionPostings(SingleDocPostings):
    """A read-only view of a text term found once in one document (stored in TermDict as the tuple
    `(docnum, position)`: most n-grams of ids, emails and phone numbers occur once in the index)."""

    __slots__ = ("position",)

    def __init__(self, doc: int, position: int) -> None:
        super().__init__(doc)
        self.position = position

    @property  # type: ignore[override]
    def positions(self) -> array:
        return array("i", (self.position,))

    @property  # type: ignore[override]
    def pos_start(self) -> array:
        return array("i", (0,))

    def positions_of(self, i: int) -> array:
        if i != 0:
            raise IndexError("postings index out of range")
        return array("i", (self.position,))


def _view(value: Any) -> Any:
    """The postings object of a TermDict value (compact values are ints and (doc, position) tuples)."""
    if type(value) is int:
        return SingleDocPostings(value)
    if type(value) is tuple:
        return SinglePositionPostings(value[0], value[1])
    return value


def positional_postings(value: Any) -> Postings:
    """Positional postings holding what a compact `(doc, position)` value holds, to add to."""
    postings = Postings(True)
    postings.docs.append(value[0])
    postings.positions.append(value[1])  # type: ignore[union-attr]
    return postings


_ABSENT: Any = object()
INT_BYTES = array("i").itemsize  # zero bytes appended to an array("i") are that many zeros


class TermDict(dict):
    """term -> postings of one field.

    A keyword term found in exactly one document (most ids, emails and keys) is stored as that
    docnum, a plain int: no object per term for the memory or for Python's cyclic GC to track.
    Reads (`get`, `[]`, `values()`, `items()`) hand out postings objects as before.
    """

    __slots__ = ()

    def get(self, term: Any, default: Any = None) -> Any:
        value = dict.get(self, term, _ABSENT)
        if value is _ABSENT:
            return default
        return _view(value)

    def __getitem__(self, term: Any) -> Any:
        return _view(dict.__getitem__(self, term))

    def values(self) -> Any:  # type: ignore[override]
        return _TermValues(self)

    def items(self) -> Any:  # type: ignore[override]
        return _TermItems(self)


class _TermValues:
    __slots__ = ("_terms",)

    def __init__(self, terms: TermDict) -> None:
        self._terms = terms

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Any:
        for value in dict.values(self._terms):
            yield _view(value)


class _TermItems:
    __slots__ = ("_terms",)

    def __init__(self, terms: TermDict) -> None:
        self._terms = terms

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Any:
        for term, value in dict.items(self._terms):
            yield term, _view(value)


def add_keyword_doc(terms: TermDict, term: str, doc: int, count: int = 1) -> None:
    """Record `count` occurrences of keyword `term` in `doc` (the latest doc of the field, or a later one)."""
    current = dict.get(terms, term)
    if current is None:
        if count == 1:
            dict.__setitem__(terms, term, doc)
            return
        postings = KeywordPostings(doc)
        postings.add_doc(doc, count - 1)
        dict.__setitem__(terms, term, postings)
    elif type(current) is int:
        postings = KeywordPostings(current)
        postings.add_doc(doc, count)
        dict.__setitem__(terms, term, postings)
    else:
        current.add_doc(doc, count)


class InvertedField:
    """The inverted index of one field plus the statistics BM25 needs."""

    __slots__ = ("terms", "lengths", "doc_count", "sum_ttf", "with_positions", "_sorted")

    def __init__(self, with_positions: bool) -> None:
        self.terms: TermDict = TermDict()
        self.lengths = array("i")  # docnum -> number of tokens (0 = absent); grown lazily
        self.doc_count = 0
        self.sum_ttf = 0
        self.with_positions = with_positions
        self._sorted: list[str] | None = None

    def add(self, doc: int, tokens: list[tuple[str, int]], length: int) -> None:
        """Add a document's tokens `(term, position)`; `length` is the token count for norms."""
        grouped: dict[str, list[int]] = {}
        for term, pos in tokens:
            grouped.setdefault(term, []).append(pos)
        terms = self.terms
        with_positions = self.with_positions
        for term, positions in grouped.items():
            if not with_positions:
                if term not in terms:
                    self._sorted = None
                add_keyword_doc(terms, term, doc, len(positions))
                continue
            postings = dict.get(terms, term)
            if postings is None:
                self._sorted = None
                if len(positions) == 1:
                    dict.__setitem__(terms, term, (doc, positions[0]))
                    continue
                postings = terms[term] = Postings(True)
            elif type(postings) is tuple:
                postings = terms[term] = positional_postings(postings)
            postings.add(doc, positions)
        self._count(doc, length)

    def add_grouped(self, doc: int, terms: tuple[str, ...], positions: tuple[Any, ...], base: int,
                    length: int) -> None:
        """`add` for tokens already grouped by term (index.analyzed): `positions[i]` is the position
        of `terms[i]` (an int) or its positions (a tuple); `base` is added to every position."""
        postings_of = self.terms
        if not self.with_positions:
            for term, where in zip(terms, positions, strict=True):
                if term not in postings_of:
                    self._sorted = None
                add_keyword_doc(postings_of, term, doc, 1 if type(where) is int else len(where))
            self._count(doc, length)
            return
        terms_get = dict.get.__get__(postings_of)  # raw reads and writes: a term found once is a tuple
        terms_set = dict.__setitem__.__get__(postings_of)
        for term, where in zip(terms, positions, strict=True):
            postings = terms_get(term)
            if postings is None:
                self._sorted = None
                if type(where) is int:
                    terms_set(term, (doc, where + base))
                    continue
                postings = Postings(True)
                terms_set(term, postings)
            elif type(postings) is tuple:
                postings = positional_postings(postings)
                terms_set(term, postings)
            if type(where) is int:
                docs = postings.docs
                if postings._freqs is None and docs[-1] != doc:  # Postings.add_one's common case, inlined
                    docs.append(doc)
                    postings.positions.append(where + base)
                else:
                    postings.add_one(doc, where + base)
            else:
                postings.add(doc, [p + base for p in where])
        self._count(doc, length)

    def add_term(self, doc: int, term: str) -> None:
        """Fast path for untokenized values (keywords): one term at position 0."""
        terms = self.terms
        if self.with_positions:
            postings = dict.get(terms, term)
            if postings is None:
                dict.__setitem__(terms, term, (doc, 0))
                self._sorted = None
            else:
                if type(postings) is tuple:
                    postings = terms[term] = positional_postings(postings)
                postings.add_one(doc, 0)
        else:
            if term not in terms:
                self._sorted = None
            add_keyword_doc(terms, term, doc)
        self._count(doc, 1)

    def _count(self, doc: int, length: int) -> None:
        """Add `length` tokens to the document's length (norms) and the field's statistics."""
        lengths = self.lengths
        size = len(lengths)
        if size <= doc:
            if size == doc:
                lengths.append(0)
            else:
                lengths.frombytes(bytes(INT_BYTES * (doc + 1 - size)))  # zeros for the docs in between
        if length:  # a value without tokens ("") leaves the document out of the field's statistics, as in Lucene
            if lengths[doc] == 0:
                self.doc_count += 1
            lengths[doc] += length
            self.sum_ttf += length

    def sorted_terms(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.terms)
        return self._sorted

    def length_array(self, size: int) -> np.ndarray:
        out = np.zeros(size, dtype=np.int32)
        src = np.frombuffer(self.lengths.tobytes(), dtype=np.int32)
        out[: len(src)] = src[:size]
        return out

    @property
    def avgdl(self) -> float:
        return self.sum_ttf / self.doc_count if self.doc_count else 1.0


class Column:
    """Doc values of one field as parallel arrays (docnum, value), ordered by docnum.

    Numbers, dates and booleans are stored as float64 (longs beyond 2^53 lose precision, as ES's
    aggregations do); strings as ordinals into a vocabulary.
    """

    __slots__ = ("kind", "docs", "values", "vocab", "ord_of", "_cache", "_sorted_ords", "int_values")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "num" | "str"
        self.docs = array("i")
        self.values = array("d") if kind == "num" else array("i")
        self.int_values: dict[int, int] | None = None  # exact ints beyond 2^53, by position
        self.vocab: list[str] = []
        self.ord_of: dict[str, int] = {}
        self._cache: tuple[int, np.ndarray, np.ndarray] | None = None
        self._sorted_ords: np.ndarray | None = None

    def add(self, doc: int, value: Any) -> None:
        self.docs.append(doc)
        if self.kind == "num":
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
                if self.int_values is None:
                    self.int_values = {}
                self.int_values[len(self.values)] = value
            self.values.append(float(value))
        else:
            ordinal = self.ord_of.get(value)
            if ordinal is None:
                ordinal = self.ord_of[value] = len(self.vocab)
                self.vocab.append(value)
                self._sorted_ords = None
            self.values.append(ordinal)

    def add_str(self, doc: int, value: str) -> None:
        """`add` for string columns (keywords), without the kind dispatch."""
        self.docs.append(doc)
        ordinal = self.ord_of.get(value)
        if ordinal is None:
            ordinal = self.ord_of[value] = len(self.vocab)
            self.vocab.append(value)
            self._sorted_ords = None
        self.values.append(ordinal)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, values-or-ordinals) as numpy arrays, cached until the next write."""
        n = len(self.docs)
        if self._cache is None or self._cache[0] != n:
            docs = np.frombuffer(self.docs.tobytes(), dtype=np.int32)
            dtype = np.float64 if self.kind == "num" else np.int32
            values = np.frombuffer(self.values.tobytes(), dtype=dtype)
            self._cache = (n, docs, values)
        return self._cache[1], self._cache[2]

    def ord_rank(self) -> np.ndarray:
        """For string columns: rank of each ordinal in sorted term order."""
        if self._sorted_ords is None or len(self._sorted_ords) != len(self.vocab):
            order = sorted(range(len(self.vocab)), key=self.vocab.__getitem__)
            rank = np.empty(len(order), dtype=np.int32)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int32)
            self._sorted_ords = rank
        return self._sorted_ords

    def values_of(self, doc: int) -> list[Any]:
        """All values of one doc (slow path: binary search in the docnum array)."""
        docs, values = self.arrays()
        lo = int(np.searchsorted(docs, doc, "left"))
        hi = int(np.searchsorted(docs, doc, "right"))
        if self.kind == "num":
            out: list[Any] = []
            for i in range(lo, hi):
                exact = self.int_values.get(i) if self.int_values else None
                out.append(exact if exact is not None else float(values[i]))
            return out
        return [self.vocab[int(values[i])] for i in range(lo, hi)]


class VectorColumn:
    """Dense vectors of one field in one growable float32 matrix (rows in docnum order)."""

    __slots__ = ("docs", "_data", "_n", "_docs_cache")

    def __init__(self) -> None:
        self.docs = array("i")
        self._data: np.ndarray | None = None
        self._n = 0
        self._docs_cache: tuple[int, np.ndarray] | None = None

    def add(self, doc: int, vector: list[float]) -> None:
        row = np.asarray(vector, dtype=np.float32)
        if self._data is None:
            self._data = np.empty((16, row.shape[0]), dtype=np.float32)
        elif self._n == self._data.shape[0]:
            grown = np.empty((self._n * 2, self._data.shape[1]), dtype=np.float32)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n] = row
        self._n += 1
        self.docs.append(doc)

    @property
    def rows(self) -> np.ndarray:
        """The stored vectors (a view, one row per stored vector)."""
        if self._data is None:
            return np.zeros((0, 0), dtype=np.float32)
        return self._data[: self._n]

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, matrix) with one row per docnum."""
        if self._docs_cache is None or self._docs_cache[0] != self._n:
            self._docs_cache = (self._n, np.frombuffer(self.docs.tobytes(), dtype=np.int32))
        return self._docs_cache[1], self.rows

    def vector_of(self, doc: int) -> np.ndarray | None:
        docs, rows = self.matrix()
        i = int(np.searchsorted(docs, doc))
        if i < len(docs) and docs[i] == doc:
            return rows[i]
        return None


class Segment:
    """All indexed data of one index: per-docnum metadata and per-field structures."""

    def __init__(self) -> None:
        self.ids: list[str | None] = []
        self.live = bytearray()
        self.root = bytearray()  # 1 for top-level docs, 0 for nested sub-docs
        self.parent = array("i")  # nested sub-doc -> its root docnum; -1 for roots
        self.nested_path: dict[int, str] = {}
        self.inverted: dict[str, InvertedField] = {}
        self.columns: dict[str, Column] = {}
        self.vectors: dict[str, VectorColumn] = {}
        self.present: dict[str, array] = {}  # field -> docnums that have a value (deduped per doc)
        self.deleted = 0
        self.generation = 0
        self.visible_live = b""  # live flags as of the last refresh: what search sees (near real time)

    @property
    def max_doc(self) -> int:
        return len(self.ids)

    def new_doc(self, doc_id: str | None, parent: int = -1, nested_path: str | None = None) -> int:
        docnum = len(self.ids)
        self.ids.append(doc_id)
        self.live.append(1)
        self.root.append(1 if parent < 0 and nested_path is None else 0)
        self.parent.append(parent)
        if nested_path is not None:
            self.nested_path[docnum] = nested_path
        self.generation += 1
        return docnum

    def mark_present(self, field: str, doc: int) -> None:
        arr = self.present.get(field)
        if arr is None:
            arr = self.present[field] = array("i")
        if not arr or arr[-1] != doc:
            arr.append(doc)

    def delete(self, docnum: int) -> None:
        if self.live[docnum]:
            self.live[docnum] = 0
            self.deleted += 1
            self.generation += 1

    def refresh(self) -> None:
        """Make every write so far visible to search (a Lucene refresh)."""
        self.visible_live = bytes(self.live)

    def is_visible(self, docnum: int) -> bool:
        return docnum < len(self.visible_live) and self.visible_live[docnum] == 1

    def live_mask(self) -> np.ndarray:
        """Docs visible to search: live as of the last refresh, padded to the current max_doc."""
        mask = np.zeros(len(self.ids), dtype=bool)
        visible = np.frombuffer(self.visible_live, dtype=np.uint8).astype(bool)
        mask[: len(visible)] = visible
        return mask

    def realtime_live_mask(self) -> np.ndarray:
        """Docs live right now, refreshed or not (for real-time reads)."""
        return np.frombuffer(bytes(self.live), dtype=np.uint8).astype(bool)

    def root_mask(self) -> np.ndarray:
        """Top-level docs visible to search."""
        return self.live_mask() & np.frombuffer(bytes(self.root), dtype=np.uint8).astype(bool)

    def present_docs(self, field: str) -> np.ndarray:
        arr = self.present.get(field)
        if arr is None:
            return np.zeros(0, dtype=np.int32)
        return np.frombuffer(arr.tobytes(), dtype=np.int32)
