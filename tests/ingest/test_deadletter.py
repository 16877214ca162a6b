"""The dead-letter file keeps one rejected row per line, whatever characters the row holds."""

from __future__ import annotations

import json
from pathlib import Path

from es360.ingest.deadletter import DeadLetter


def test_line_and_paragraph_separators_do_not_split_a_dead_letter(tmp_path: Path) -> None:
    letters = DeadLetter(tmp_path / "dead.ndjson")
    raw = "name\u2028with a line separator,\u2029and a paragraph separator\\u2028"
    letters.add("in.csv", 7, "bad row\u2028really", raw)
    letters.add("in.csv", 8, "second", "ok")
    letters.close()
    lines = (tmp_path / "dead.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["raw"] == raw and first["reason"] == "bad row\u2028really" and first["line"] == 7
