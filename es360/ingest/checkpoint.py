"""Checkpoints: how far an interrupted ingest of one file got, so a re-run resumes there.

A checkpoint is keyed by source, path, size and modification time, so a changed file starts
over. It is removed when the file completes: ingesting a finished file again re-reads it
(harmless, since every document has a deterministic _id).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


class Checkpoints:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, source: str, file: str) -> Path | None:
        if file == "-":
            return None
        stat = os.stat(file)
        key = f"{source}|{os.path.abspath(file)}|{stat.st_size}|{stat.st_mtime_ns}"
        return self.folder / f"{source}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"

    def load(self, source: str, file: str) -> int:
        """The byte offset to resume from (0 = start)."""
        path = self._path(source, file)
        if path is None or not path.is_file():
            return 0
        try:
            return int(json.loads(path.read_text())["offset"])
        except (ValueError, KeyError, OSError):
            return 0

    def save(self, source: str, file: str, offset: int, line: int) -> None:
        path = self._path(source, file)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"file": os.path.abspath(file), "offset": offset, "line": line}))
        tmp.replace(path)

    def clear(self, source: str, file: str) -> None:
        path = self._path(source, file)
        if path is not None:
            path.unlink(missing_ok=True)
