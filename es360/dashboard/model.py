"""What a built dashboard holds: its panels' tables (or errors), ready to render."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import field as _field  # `field` is also an attribute name below
from typing import Any

from es360.dashboard.lens import Table
from es360.dashboard.timerange import TimeRange

RENDERED, EMPTY, FAILED, SKIPPED = "rendered", "empty", "failed", "skipped"


@dataclass
class PanelResult:
    """One dashboard panel: where it sits, what it shows, and its data or why it has none."""

    title: str
    vis_type: str
    grid: dict[str, int]
    visualization: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    field_formats: dict[str, dict[str, Any]] = field(default_factory=dict)  # layer id → data view formats
    status: str = RENDERED
    error: str | None = None
    queries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "type": self.vis_type, "status": self.status, "error": self.error,
                "rows": sum(len(t.rows) for t in self.tables.values()), "queries": self.queries}


@dataclass
class ControlResult:
    """One dashboard control: its title, its field, what is selected and the values it offers."""

    title: str
    kind: str
    field: str | None = None
    selected: list[Any] = _field(default_factory=list)
    options: list[tuple[Any, int]] = _field(default_factory=list)  # (value, documents), top values first
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "type": self.kind, "field": self.field, "selected": self.selected,
                "options": [{"value": v, "count": n} for v, n in self.options], "error": self.error}


@dataclass
class DashboardResult:
    """One dashboard: its title, time range, controls and panels."""

    id: str
    title: str
    description: str
    time_range: TimeRange
    time_text: str
    controls: list[ControlResult] = field(default_factory=list)
    panels: list[PanelResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for p in self.panels if p.status == status)

    def as_dict(self) -> dict[str, Any]:
        start, end = self.time_range.iso()
        return {"id": self.id, "title": self.title, "time_range": {"from": start, "to": end},
                "panels": len(self.panels), "rendered": self.count(RENDERED), "empty": self.count(EMPTY),
                "failed": self.count(FAILED), "skipped": self.count(SKIPPED),
                "controls": [c.as_dict() for c in self.controls],
                "panel_details": [p.as_dict() for p in self.panels]}
