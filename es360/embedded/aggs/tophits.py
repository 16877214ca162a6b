"""top_hits: the best documents of each bucket, fetched like search hits."""

from __future__ import annotations

import contextlib
import functools
import math
from typing import Any

import numpy as np

from ..errors import EsError, illegal_argument
from .base import OpaqueNode, Params, setter_error
from .core import Scope
from .spec import AggSpec, FnCollected, Run, register

FETCH_KEYS = {"_source", "stored_fields", "docvalue_fields", "fields", "highlight", "explain", "version",
              "seq_no_primary_term", "script_fields", "track_scores", "sort"}
MAX_INNER_RESULT_WINDOW = 100


@register("top_hits")
class TopHits(AggSpec):
    type_name = "top_hits"
    allowed = FETCH_KEYS | {"from", "size"}

    def configure(self, p: Params) -> None:
        self.from_ = p.int("from", 0) or 0
        self.size = p.int("size", 3)
        if self.size is None:
            self.size = 3
        if self.from_ < 0:
            raise setter_error(self.type_name, "from", f"[from] must be greater than or equal to 0. Found [{self.from_}] in [{self.name}]")
        if self.size < 0:
            raise setter_error(self.type_name, "size", f"[size] must be greater than or equal to 0. Found [{self.size}] in [{self.name}]")
        if self.from_ + self.size > MAX_INNER_RESULT_WINDOW:
            raise illegal_argument(
                f"Top hits result window is too large, the top hits aggregator [{self.name}]'s from + size must be "
                f"less than or equal to: [{MAX_INNER_RESULT_WINDOW}] but was [{self.from_ + self.size}]. This limit "
                f"can be set by changing the [index.max_inner_result_window] index level setting.")
        self.fetch_body = {k: v for k, v in p.body.items() if k in FETCH_KEYS}
        from ..search import parse_sort

        self.sort = parse_sort(p.get("sort"))

    def _searcher(self, run: Run) -> Any:
        from ..search import Searcher

        parent = run.searcher
        body: dict[str, Any] = {}
        pbody = getattr(parent, "body", {}) or {}
        if pbody.get("query") is not None:
            body["query"] = pbody["query"]
        for key in ("fields",):
            if key in pbody and key not in self.fetch_body:
                body[key] = pbody[key]
        body.update(self.fetch_body)
        body["size"] = self.size
        body["from"] = self.from_
        params = {k: v for k, v in (getattr(parent, "params", {}) or {}).items()
                  if k in ("rest_total_hits_as_int", "typed_keys")}
        searcher = Searcher(parent.engine, parent.targets, body, params)
        searcher.now = run.now
        return searcher

    def collect(self, run: Run, scope: Scope) -> FnCollected:
        from ..search import ShardResult, _compare_rows, sort_keys

        n = scope.n
        want = self.from_ + self.size
        by_bid: list[list[tuple[int, int, float, list[Any]]]] = [[] for _ in range(n)]
        totals = scope.counts()
        max_scores = np.full(n, -np.inf)
        scored = not self.sort or any(s.is_score for s in self.sort) or bool(self.fetch_body.get("track_scores"))
        for pi, part in enumerate(scope.parts):
            if not len(part.docs):
                continue
            docs = part.docs
            scores = part.src.scores_of(docs)
            if scored:
                np.maximum.at(max_scores, part.bids, scores.astype(np.float64))
            if self.sort and not (len(self.sort) == 1 and self.sort[0].is_score and self.sort[0].order == "desc"):
                ctx = part.src.level_ctx(part.path) if part.path else part.src.ctx
                keys, outputs = sort_keys(ctx, docs, scores, self.sort)
                order = np.lexsort(tuple([docs] + list(reversed(keys)) + [part.bids]))
            else:
                outputs = [[float(s) for s in scores]] if self.sort else []
                order = np.lexsort((docs, -scores, part.bids))
            b_sorted = part.bids[order]
            starts = np.searchsorted(b_sorted, b_sorted, "left")
            rank = np.arange(len(order)) - starts
            for i in order[rank < want].tolist():
                sort_values = [out[i] for out in outputs] if self.sort else []
                by_bid[int(part.bids[i])].append((pi, int(docs[i]), float(scores[i]), sort_values))
        searcher = self._searcher(run) if want else None
        multi = len(scope.parts) > 1
        sort = self.sort
        shards: list[Any] = []
        shard_of: dict[int, int] = {}
        for part in scope.parts:
            src = part.src
            if id(src) not in shard_of:
                shard_of[id(src)] = len(shards)
                shards.append(ShardResult(src.target, src.ctx, src.docset, 0, np.zeros(0, dtype=np.int32),
                                          np.zeros(0)))
        if searcher is not None:
            searcher._shard_positions = {id(sh): i for i, sh in enumerate(shards)}

        def node(b: int) -> OpaqueNode:
            rows = by_bid[b]
            if multi and sort:
                rows = sorted(rows, key=functools.cmp_to_key(lambda x, y: _compare_rows(x, y, sort)))
            elif multi:
                rows = sorted(rows, key=lambda r: (-r[2], r[0], r[1]))
            page = rows[self.from_:want]
            hits = []
            if page and searcher is not None:
                fetched = []
                for pi, doc, score, sort_values in page:
                    part = scope.parts[pi]
                    root = doc if part.path is None else int(part.src.ancestors(np.asarray([doc], dtype=np.int32),
                                                                                 0)[0])
                    fetched.append((shard_of[id(part.src)], root, score, sort_values))
                with contextlib.suppress(EsError):  # named queries are best effort
                    searcher.prepare_page(shards, fetched)
                for (pi, doc, score, sort_values), (si, _, _, _) in zip(page, fetched, strict=True):
                    hits.append(self._hit(searcher, scope.parts[pi], shards[si], doc, score, sort_values))
            total = int(totals[b])
            total_obj: Any = total if run.hits_as_int else {"value": total, "relation": "eq"}
            ms = max_scores[b]
            max_score = float(np.float32(ms)) if scored and total and not math.isinf(ms) else None
            rendered = {"hits": {"total": total_obj, "max_score": max_score, "hits": hits}}
            return OpaqueNode("top_hits", "InternalTopHits", rendered)
        return FnCollected(node)

    def _hit(self, searcher: Any, part: Any, shard: Any, doc: int, score: float, sort_values: list[Any]
             ) -> dict[str, Any]:
        src = part.src
        if part.path is None:
            return searcher.fetch(shard, doc, score, sort_values)
        # a nested document: fetch its root and cut the nested object out of the root's source
        root = int(src.ancestors(np.asarray([doc], dtype=np.int32), 0)[0])
        hit = searcher.fetch(shard, root, score, sort_values)
        siblings = src.path_docs(part.path)
        same_root = siblings[(siblings < doc) & (src.ancestors(siblings, 0) == root)]
        offset = len(same_root)
        nested_info = {"field": part.path, "offset": offset}
        source = hit.get("_source")
        if isinstance(source, dict):
            obj: Any = source
            for key in part.path.split("."):
                obj = obj.get(key) if isinstance(obj, dict) else None
            if isinstance(obj, list) and offset < len(obj):
                hit["_source"] = obj[offset]
            elif isinstance(obj, dict) and offset == 0:
                hit["_source"] = obj
        out = {"_index": hit.get("_index"), "_id": hit.get("_id"), "_nested": nested_info}
        out.update({k: v for k, v in hit.items() if k not in ("_index", "_id")})
        return out
