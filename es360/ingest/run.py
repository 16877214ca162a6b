"""One ingest run: files -> rows -> documents -> bulk writes, with counts that always reconcile.

Per row: `indexed` (its document is new), `duplicates` (already present: same deterministic _id),
`rejected` (unreadable, unmappable, or refused by Elasticsearch; written to the dead-letter
file with file, line and reason), or `suppressed` (it carries an identifier erased by `es360 forget`;
see es360.privacy.suppression). read = indexed + duplicates + rejected + suppressed, always.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from es360.errors import Es360Error
from es360.ingest.bulk import Action, BulkWriter, Outcome
from es360.ingest.checkpoint import Checkpoints
from es360.ingest.deadletter import DeadLetter
from es360.ingest.inflight import InFlight
from es360.ingest.mapping import RowError, SourceMapping
from es360.ingest.readers import DEFAULT_MAX_ROW_BYTES, BadRow, Row, detect_format, read_rows
from es360.privacy.suppression import Suppression, load_suppression

ProgressFn = Callable[[str, int, int, int | None], None]  # (file, rows, bytes, total bytes)


@dataclass
class IngestReport:
    """The counts of one run; `read == indexed + duplicates + rejected + suppressed`."""

    run_id: str
    source: str
    files: list[str]
    dry_run: bool = False
    read: int = 0
    indexed: int = 0
    duplicates: int = 0
    rejected: int = 0
    suppressed: int = 0  # rows of people erased by `es360 forget`, skipped
    retries: int = 0
    resumed: dict[str, int] = field(default_factory=dict)  # file -> line it resumed after
    dead_letter: str | None = None
    seconds: float = 0.0

    @property
    def reconciles(self) -> bool:
        return self.read == self.indexed + self.duplicates + self.rejected + self.suppressed

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_s": round(self.read / self.seconds, 1) if self.seconds else None}


@dataclass(slots=True)
class _Pending:
    """A row of the batch being built: its actions, or the reason it is rejected without being sent."""

    row: Row | BadRow
    actions: list[Action]
    reason: str | None = None


class IngestRun:
    """Ingests files for one source mapping into the aliases under `prefix`."""

    def __init__(self, es: Elasticsearch, mapping: SourceMapping, prefix: str, home: Path, *,
                 fmt: str | None = None, dry_run: bool = False, batch_size: int = 1000,
                 dead_letter: Path | None = None, max_row_bytes: int = DEFAULT_MAX_ROW_BYTES,
                 progress: ProgressFn | None = None) -> None:
        self.es = es
        self.mapping = mapping
        self.prefix = prefix
        self.fmt = fmt or mapping.format
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.max_row_bytes = max_row_bytes
        self.progress = progress
        self.run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
        self.dead_letter = DeadLetter(dead_letter or home / "dead-letter" / f"{mapping.name}-{self.run_id}.ndjson")
        self.checkpoints = Checkpoints(home / "checkpoints")
        self.writer = BulkWriter(es)
        self.home = Path(home)
        self.suppression = Suppression()  # loaded once per run, in run()

    def alias(self, kind: str) -> str:
        return f"{self.prefix}{kind}"

    def _check_setup(self) -> None:
        for kind in {t.kind for t in self.mapping.targets}:
            if not self.es.indices.exists_alias(name=self.alias(kind)):
                raise Es360Error(f"Index alias {self.alias(kind)} does not exist; run `es360 setup` first.")

    def run(self, files: list[str]) -> IngestReport:
        """Ingest every file; a bad row never stops the run, an unreachable cluster does."""
        for file in files:  # fail fast on bad arguments, before anything is written
            detect_format(file, self.fmt)
            if file != "-" and not Path(file).is_file():
                raise Es360Error(f"{file} does not exist or is not a file.")
        if files.count("-") > 1:
            raise Es360Error("stdin (-) can be read only once per run.")
        self._check_setup()
        self.suppression = load_suppression(self.es, self.prefix, self.home)
        report = IngestReport(self.run_id, self.mapping.name, files, self.dry_run)
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        try:
            for file in files:
                self._ingest_file(file, report)
        finally:
            self.dead_letter.close()
            report.seconds = time.perf_counter() - started
            report.retries = self.writer.retries
            report.dead_letter = str(self.dead_letter.path) if self.dead_letter.count else None
        if not self.dry_run:
            self.es.indices.refresh(index=",".join(self.alias(t.kind) for t in self.mapping.targets))
            self._log_run(report, started_at)
        return report

    def _ingest_file(self, file: str, report: IngestReport) -> None:
        """Read, map and send one file; one batch is in flight while the next one is mapped."""
        inflight: InFlight[list[_Pending]] = InFlight()
        try:
            self._read_file(file, report, inflight)
        except BaseException:
            self._settle(inflight, report, file)
            raise
        finally:
            inflight.close()

    def _read_file(self, file: str, report: IngestReport, inflight: InFlight[list[_Pending]]) -> None:
        start = 0 if self.dry_run else self.checkpoints.load(self.mapping.name, file)
        rows, total = read_rows(file, self.fmt, start, self.max_row_bytes)
        batch: list[_Pending] = []
        seen = 0
        for item in rows:
            if start and not report.resumed.get(file):
                report.resumed[file] = max(item.line - 1, 0)
            report.read += 1
            seen += 1
            if isinstance(item, BadRow):  # rejected rows are dead-lettered in line order, with their batch
                batch.append(_Pending(item, [], item.reason))
            else:
                try:
                    mapped = self.mapping.apply(item.values)
                except RowError as exc:
                    batch.append(_Pending(item, [], str(exc)))
                else:
                    if self.suppression.matches(mapped):
                        report.suppressed += 1
                        continue
                    actions = [Action(self.alias(kind), key, doc) for kind, key, doc in mapped]
                    batch.append(_Pending(item, actions))
            if len(batch) >= self.batch_size:
                self._send(batch, report, file, inflight)
                batch = []
            if self.progress is not None and seen % 500 == 0:
                self.progress(file, seen, item.offset, total)
        if batch:
            self._send(batch, report, file, inflight)
        done = inflight.wait()
        if done is not None:
            self._handle(*done, report, file)
        if self.progress is not None:
            self.progress(file, seen, total or 0, total)
        if not self.dry_run:
            self.checkpoints.clear(self.mapping.name, file)

    def _send(self, batch: list[_Pending], report: IngestReport, file: str, inflight: InFlight[list[_Pending]]) -> None:
        """Start writing `batch`, then handle the batch that was in flight (in file order)."""
        actions = [a for p in batch for a in p.actions]
        if self.dry_run:
            self._handle(batch, self._simulate(actions) if actions else [], report, file)
            return
        if not actions:  # only rejected rows: nothing to send, but handled after the batch in flight
            done = inflight.wait()
            if done is not None:
                self._handle(*done, report, file)
            self._handle(batch, [], report, file)
            return
        encoded = self.writer.encode(actions)  # here, while the batch in flight is being written
        done = inflight.submit(batch, lambda: self.writer.write(actions, encoded))
        if done is not None:
            self._handle(*done, report, file)

    def _settle(self, inflight: InFlight[list[_Pending]], report: IngestReport, file: str) -> None:
        """On the way out of an interrupted file: a write still in flight is waited for and handled,
        so the checkpoint covers it; its own failure is ignored (the interruption is what is raised)."""
        try:
            done = inflight.wait()
        except Exception:  # noqa: BLE001 - already failing with the original error
            return
        if done is not None:
            self._handle(*done, report, file)

    def _handle(self, batch: list[_Pending], outcomes: list[Outcome], report: IngestReport, file: str) -> None:
        """Count and dead-letter a written batch's rows, then move the file's checkpoint past them."""
        position = 0
        for pending in batch:
            if pending.reason is not None:
                row = pending.row
                self._reject(report, row.file, row.line, pending.reason, row.raw)
                continue
            mine = outcomes[position:position + len(pending.actions)]
            position += len(pending.actions)
            failed = next((o for o in mine if not o.ok), None)
            if failed is not None:
                self._reject(report, pending.row.file, pending.row.line, f"rejected by Elasticsearch "
                                                                         f"({failed.status}): {failed.reason}",
                             pending.row.raw)
            elif mine[0].result == "updated":
                report.duplicates += 1
            else:
                report.indexed += 1
        if not self.dry_run:
            last = next((p.row for p in reversed(batch) if p.row.offset > 0), None)  # 0: not a resumable place
            if last is not None:
                self.checkpoints.save(self.mapping.name, file, last.offset, last.line)

    def _simulate(self, actions: list[Action]) -> list[Outcome]:
        """Dry run: run each document through its real pipeline without writing anything."""
        by_kind: dict[str, list[int]] = {}
        for i, action in enumerate(actions):
            by_kind.setdefault(action.index, []).append(i)
        result: dict[int, Outcome] = {}
        for alias, positions in by_kind.items():
            docs = [{"_id": actions[i].key, "_source": actions[i].doc} for i in positions]
            response = self.es.ingest.simulate(id=alias, docs=docs)
            for i, doc in zip(positions, response["docs"], strict=True):
                if "error" in doc:
                    error = doc["error"]
                    result[i] = Outcome(400, reason=f"{error.get('type')}: {error.get('reason')}")
                else:
                    result[i] = Outcome(201, "created")
        return [result[i] for i in range(len(actions))]

    def _reject(self, report: IngestReport, file: str, line: int, reason: str, raw: str) -> None:
        report.rejected += 1
        if not self.dry_run:
            self.dead_letter.add(file, line, reason, raw)

    def _log_run(self, report: IngestReport, started_at: datetime) -> None:
        doc = {"run_id": report.run_id, "source": report.source, "files": report.files,
               "started_at": started_at.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
               "status": "completed", "read": report.read, "indexed": report.indexed,
               "duplicates": report.duplicates, "rejected": report.rejected, "suppressed": report.suppressed,
               "dead_letter": report.dead_letter}
        self.es.index(index=self.alias("ingest-log"), id=report.run_id, document=doc, refresh=True)


def ingest_files(es: Elasticsearch, mapping: SourceMapping, files: Iterable[str], prefix: str, home: Path,
                 **options: Any) -> IngestReport:
    """Convenience wrapper: one IngestRun over `files`."""
    return IngestRun(es, mapping, prefix, home, **options).run(list(files))
