"""A text value without tokens ("") leaves its document out of the field's statistics, as in Lucene."""

from __future__ import annotations

from es360.embedded.segment import InvertedField


def test_empty_values_do_not_count_documents() -> None:
    field = InvertedField(with_positions=True)
    field.add_grouped(0, (), (), 0, 0)  # "" in doc 0
    field.add_grouped(0, ("a", "b"), (0, 1), 0, 2)  # then "a b" in the same doc
    field.add_grouped(1, (), (), 0, 0)  # only "" in doc 1
    field.add_grouped(1, (), (), 0, 0)
    field.add_grouped(2, ("c",), (0,), 0, 1)
    assert (field.doc_count, field.sum_ttf) == (2, 3)
    assert list(field.length_array(3)) == [2, 0, 1]
