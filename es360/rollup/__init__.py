"""The per-customer rollup and churn signals: driven here, defined in transforms/ and pipelines/.

`service` starts, stops, watches and fully recomputes the continuous transform; `quality`
measures churn risk against a labelled truth; `synthetic` makes activity with known behaviour.
"""

from es360.rollup.service import RecomputeReport, RollupStatus, recompute, start, status, stop, transform_id

__all__ = ["RecomputeReport", "RollupStatus", "recompute", "start", "status", "stop", "transform_id"]
