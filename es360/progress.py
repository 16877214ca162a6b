"""Progress display for long work: a rich bar on a terminal, plain log lines otherwise.

Two shapes cover every command: `RowProgress` for reading files (rows, bytes, rate, ETA) and
`PhaseProgress` for multi-phase work reporting `done` of `total` per phase.
"""

from __future__ import annotations

import time
from typing import Any


class RowProgress:
    """Rows, rate and ETA (by bytes) per file on a terminal; a log line every 50k rows otherwise.

    Called as `progress(file, rows, done_bytes, total_bytes)`.
    """

    def __init__(self, console: Any, log_every: int = 50_000) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = console
        self.log_every = log_every
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"),
                                 TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeRemainingColumn(),
                                 console=console, transient=True) if console.is_terminal else None
        self.tasks: dict[str, Any] = {}
        self.started: dict[str, float] = {}
        self.logged: dict[str, int] = {}

    def __enter__(self) -> RowProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, file: str, rows: int, done_bytes: int, total: int | None) -> None:
        start = self.started.setdefault(file, time.monotonic())
        rate = rows / max(time.monotonic() - start, 1e-6)
        if self.progress is not None:
            if file not in self.tasks:
                self.tasks[file] = self.progress.add_task(file, total=total, rows=0, rate=0.0)
            self.progress.update(self.tasks[file], completed=done_bytes, rows=rows, rate=rate)
        elif rows - self.logged.get(file, 0) >= self.log_every:
            self.logged[file] = rows
            self.console.print(f"{file}: {rows:,} rows ({rate:,.0f} rows/s)", highlight=False)


class PhaseProgress:
    """A bar per phase on a terminal; one log line per finished phase otherwise.

    Called as `progress(phase, done, total)`; `total` may be None when unknown.
    """

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.progress = Progress(TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True) if console.is_terminal else None
        self.tasks: dict[str, Any] = {}
        self.started: dict[str, float] = {}
        self.last: dict[str, tuple[int, int | None]] = {}

    def __enter__(self) -> PhaseProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
        else:
            for phase in list(self.last):
                self._log(phase)

    def _log(self, phase: str) -> None:
        done, total = self.last.pop(phase)
        seconds = time.monotonic() - self.started[phase]
        of = f"/{total:,}" if total else ""
        self.console.print(f"{phase}: {done:,}{of} ({seconds:.1f}s)", highlight=False)

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        self.started.setdefault(phase, time.monotonic())
        for other in [p for p in self.last if p != phase]:
            if self.progress is None:
                self._log(other)
        self.last[phase] = (done, total)
        if self.progress is not None:
            if phase not in self.tasks:
                self.tasks[phase] = self.progress.add_task(phase, total=total)
            self.progress.update(self.tasks[phase], completed=done, total=total)
