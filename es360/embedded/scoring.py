"""Lucene BM25 as Elasticsearch scores it (k1=1.2, b=0.75, quantized length norms)."""

from __future__ import annotations

import math

import numpy as np

K1 = 1.2
B = 0.75


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


# decoded length for every possible field length up to a cap; longer ones computed on demand
_CAP = 1 << 16
_QUANTIZED = np.array([byte4_to_int(int_to_byte4(i)) for i in range(_CAP)], dtype=np.float64)


def quantize_lengths(lengths: np.ndarray) -> np.ndarray:
    """Field lengths as Lucene sees them after norm encoding."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size and lengths.max() >= _CAP:
        return np.array([byte4_to_int(int_to_byte4(int(v))) for v in lengths], dtype=np.float64)
    return _QUANTIZED[lengths]


def idf(doc_freq: int | float, doc_count: int) -> float:
    """BM25 idf: ln(1 + (N - n + 0.5) / (n + 0.5))."""
    return math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def bm25(freqs: np.ndarray, lengths: np.ndarray | None, avgdl: float, weight: float) -> np.ndarray:
    """Per-doc scores; `weight` = boost * idf; `lengths` None for fields without norms (keyword)."""
    freqs = freqs.astype(np.float64)
    if lengths is None:
        norm = K1
    else:
        norm = K1 * ((1 - B) + B * quantize_lengths(lengths) / avgdl)
    # ES keeps Lucene's legacy (k1 + 1) factor so scores match what ES users have always seen
    return (weight * (K1 + 1) * freqs / (freqs + norm)).astype(np.float32)
