"""Ingest pipelines for the embedded engine: definitions, processors, execution and simulate.

`install(engine)` registers the engine extensions this package provides:

* `engine.extensions["ingest"]`: an `IngestService` (pipeline CRUD persisted in the store,
  `process(...)` for the write path, `simulate(...)`, node info/stats);
* `engine.extensions["script"]`: a `ScriptService` running `_update` scripts (Painless subset).
"""

from __future__ import annotations

from typing import Any

from .document import IngestDocument
from .pipeline import IngestFailure, Pipeline, Runner, parse_pipeline
from .processors import FACTORIES
from .service import IngestService

__all__ = ["FACTORIES", "IngestDocument", "IngestFailure", "IngestService", "Pipeline", "Runner", "install",
           "parse_pipeline"]


def install(engine: Any) -> IngestService:
    """Install the ingest and script extensions on `engine` (idempotent); returns the IngestService."""
    from ..painless import ScriptService

    service = engine.extensions.get("ingest")
    if not isinstance(service, IngestService):
        service = IngestService(engine)
        engine.extensions["ingest"] = service
    if engine.extensions.get("script") is None:
        engine.extensions["script"] = ScriptService()
    return service
