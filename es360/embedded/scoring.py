"""Lucene BM25 as Elasticsearch scores it (k1=1.2, b=0.75, quantized length norms).

ES's default similarity is Lucene's BM25 wrapped so that it keeps the legacy `(k1 + 1)` factor in
the term weight. Lucene computes in 32-bit floats; the functions here follow its order of
operations in float32 so scores match ES to the last digit in the common cases:

    idf    = (float) ln(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5))     (double math)
    weight = (boost * (k1 + 1)) * idf                                          (float)
    cache  = 1 / (k1 * ((1 - b) + b * LENGTH_TABLE[norm] / avgdl))             (float)
    score  = weight - weight / (1 + freq * cache)                              (float)

`avgdl = (float) (sumTotalTermFreq / (double) docCount)`; fields without norms use norm byte 1
(a length of 1), as Lucene's LeafSimScorer does.
"""

from __future__ import annotations

import math

import numpy as np

K1 = 1.2
B = 0.75
_K1 = np.float32(K1)
_B = np.float32(B)
_ONE = np.float32(1.0)
LEGACY_FACTOR = np.float32(_ONE + _K1)  # (1 + k1) as a float: 2.2f


def _long_to_int4(i: int) -> int:
    num_bits = i.bit_length()
    if num_bits < 4:
        return i
    shift = num_bits - 4
    encoded = (i >> shift) & 0x07
    return encoded | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits = i & 0x07
    shift = (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


MAX_INT4 = _long_to_int4(2**31 - 1)
NUM_FREE_VALUES = 255 - MAX_INT4


def int_to_byte4(i: int) -> int:
    """Lucene's SmallFloat.intToByte4: the lossy one-byte encoding of a field length."""
    if i < NUM_FREE_VALUES:
        return i
    return NUM_FREE_VALUES + _long_to_int4(i - NUM_FREE_VALUES)


def byte4_to_int(b: int) -> int:
    if b < NUM_FREE_VALUES:
        return b
    return NUM_FREE_VALUES + _int4_to_long(b - NUM_FREE_VALUES)


# decoded length of every norm byte, as float32 (Lucene's LENGTH_TABLE)
LENGTH_TABLE = np.array([byte4_to_int(i) for i in range(256)], dtype=np.float32)

# norm byte for every field length up to a cap; longer ones computed on demand
_CAP = 1 << 16
_ENCODED = np.array([int_to_byte4(i) for i in range(_CAP)], dtype=np.uint8)
_QUANTIZED = LENGTH_TABLE[_ENCODED].astype(np.float64)


def encode_lengths(lengths: np.ndarray) -> np.ndarray:
    """Norm bytes (uint8) of field lengths."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size and lengths.max() >= _CAP:
        return np.array([int_to_byte4(int(v)) for v in lengths], dtype=np.uint8)
    return _ENCODED[lengths]


def quantize_lengths(lengths: np.ndarray) -> np.ndarray:
    """Field lengths as Lucene sees them after norm encoding."""
    return LENGTH_TABLE[encode_lengths(lengths)].astype(np.float64)


def idf(doc_freq: int | float, doc_count: int) -> float:
    """BM25 idf: ln(1 + (N - n + 0.5) / (n + 0.5)), rounded to float32 as Lucene does."""
    return float(np.float32(math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))))


def avg_field_length(sum_ttf: int | float, doc_count: int) -> float:
    return float(np.float32(sum_ttf / doc_count)) if doc_count > 0 else 1.0


def norm_table(avgdl: float) -> np.ndarray:
    """Lucene's per-norm-byte cache: 1 / (k1 * ((1 - b) + b * length / avgdl)) in float32."""
    avg = np.float32(avgdl)
    with np.errstate(divide="ignore", over="ignore"):
        return (_ONE / (_K1 * ((_ONE - _B) + _B * LENGTH_TABLE / avg))).astype(np.float32)


def term_weight(boost: float, idf_value: float) -> np.float32:
    """The BM25 weight of a term: (boost * (k1 + 1)) * idf in float32 (ES's legacy BM25)."""
    return np.float32(np.float32(np.float32(boost) * LEGACY_FACTOR) * np.float32(idf_value))


def bm25_scores(freqs: np.ndarray, norm_inverse: np.ndarray | np.float32, weight: np.float32) -> np.ndarray:
    """Per-doc scores from term (or phrase) freqs and each doc's cached 1/norm value."""
    f = np.asarray(freqs, dtype=np.float32)
    w = np.float32(weight)
    return (w - w / (_ONE + f * np.asarray(norm_inverse, dtype=np.float32))).astype(np.float32)


def bm25(freqs: np.ndarray, lengths: np.ndarray | None, avgdl: float, weight: float,
         boost: float | None = None, idf_value: float | None = None) -> np.ndarray:
    """Per-doc scores; `weight` = boost * idf; `lengths` None for fields without norms (keyword).

    Prefer passing `boost` and `idf_value` for Lucene's exact float rounding.
    """
    table = norm_table(avgdl)
    norm_inv = table[1] if lengths is None else table[encode_lengths(lengths)]
    w = term_weight(boost, idf_value) if boost is not None and idf_value is not None else \
        np.float32(np.float32(weight) * LEGACY_FACTOR)
    return bm25_scores(freqs, norm_inv, w)
