"""The dead-letter file: every rejected row with its file, line and reason (NDJSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

RAW_LIMIT = 2000


class DeadLetter:
    """Appends rejected rows to an NDJSON file, created only when the first row is rejected."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._handle: IO[str] | None = None

    def add(self, file: str, line: int, reason: str, raw: str) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        record = {"file": file, "line": line, "reason": reason, "raw": raw[:RAW_LIMIT]}
        text = json.dumps(record, ensure_ascii=False)
        # U+2028/U+2029 are valid raw in JSON, but line readers (Python's splitlines, many editors)
        # break lines there: escape them so each dead letter stays on exactly one line
        self._handle.write(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n")
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
