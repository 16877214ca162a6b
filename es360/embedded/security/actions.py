"""Which ES action each REST route runs, and what kind of privilege authorizes it.

Kinds: `none` (authentication only), `cluster` (a cluster privilege), `index` (an index privilege on the
indices named by a path parameter, wildcards narrowed to the authorized ones), `composite` (bulk, mget,
msearch, scroll: granted when any index privilege grants it; each item is then authorized on its own),
`handler` (the security API authorizes inside the handler), `reindex` and `aliases` (indices from the body).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    action: str
    kind: str
    param: str | None = None  # the path parameter that names the indices (kind `index`)


_TABLE = """
GET,HEAD /                                                  cluster:monitor/main                    cluster
GET   /_cluster/health                                      cluster:monitor/health                  cluster
GET   /_cluster/health/{index}                              cluster:monitor/health                  cluster
GET   /_cat/indices                                         indices:monitor/stats                   index index
GET   /_cat/indices/{index}                                 indices:monitor/stats                   index index
GET   /_cat/count                                           indices:data/read/search                index index
GET   /_cat/count/{index}                                   indices:data/read/search                index index
GET   /_cat/health                                          cluster:monitor/health                  cluster
GET   /_cluster/settings                                    cluster:monitor/state                   cluster
PUT   /_cluster/settings                                    cluster:admin/settings/update           cluster
GET   /_cluster/state                                       cluster:monitor/state                   cluster
GET   /_cluster/state/{metric}                              cluster:monitor/state                   cluster
GET   /_cluster/state/{metric}/{index}                      cluster:monitor/state                   cluster
GET   /_nodes                                               cluster:monitor/nodes/info              cluster
GET   /_nodes/{node_id}                                     cluster:monitor/nodes/info              cluster
GET   /_nodes/{node_id}/{metric}                            cluster:monitor/nodes/info              cluster
GET   /_nodes/stats                                         cluster:monitor/nodes/stats             cluster
GET   /_nodes/stats/{metric}                                cluster:monitor/nodes/stats             cluster
GET   /_nodes/{node_id}/stats                               cluster:monitor/nodes/stats             cluster
GET   /_nodes/{node_id}/stats/{metric}                      cluster:monitor/nodes/stats             cluster
GET   /_capabilities                                        cluster:monitor/nodes/capabilities      cluster
PUT,POST /{index}/_doc/{id}                                 indices:data/write/index                index index
PUT,POST /{index}/_create/{id}                              indices:data/write/index:op_type/create index index
POST  /{index}/_doc                                         indices:data/write/index:op_type/create index index
GET,HEAD /{index}/_doc/{id}                                 indices:data/read/get                   index index
GET,HEAD /{index}/_source/{id}                              indices:data/read/get                   index index
DELETE /{index}/_doc/{id}                                   indices:data/write/delete               index index
POST  /{index}/_update/{id}                                 indices:data/write/update               index index
GET,POST /_mget                                             indices:data/read/mget                  composite
GET,POST /{index}/_mget                                     indices:data/read/mget                  composite
POST,PUT /_bulk                                             indices:data/write/bulk                 composite
POST,PUT /{index}/_bulk                                     indices:data/write/bulk                 composite
PUT,POST /_enrich/policy/{name}                             cluster:admin/xpack/enrich/put          cluster
GET   /_enrich/policy                                       cluster:admin/xpack/enrich/get          cluster
GET   /_enrich/policy/{name}                                cluster:admin/xpack/enrich/get          cluster
DELETE /_enrich/policy/{name}                               cluster:admin/xpack/enrich/delete       cluster
PUT,POST /_enrich/policy/{name}/_execute                    cluster:admin/xpack/enrich/execute      cluster
GET   /_enrich/_stats                                       cluster:monitor/xpack/enrich/stats      cluster
PUT   /{index}                                              indices:admin/create                    index index
DELETE /{index}                                             indices:admin/delete                    index index
HEAD,GET /{index}                                           indices:admin/get                       index index
GET   /_mapping                                             indices:admin/mappings/get              index index
GET   /{index}/_mapping                                     indices:admin/mappings/get              index index
PUT,POST /{index}/_mapping                                  indices:admin/mapping/put               index index
GET   /_mapping/field/{fields}                              indices:admin/mappings/fields/get       index index
GET   /{index}/_mapping/field/{fields}                      indices:admin/mappings/fields/get       index index
GET   /_settings                                            indices:monitor/settings/get            index index
GET   /_settings/{name}                                     indices:monitor/settings/get            index index
GET   /{index}/_settings                                    indices:monitor/settings/get            index index
GET   /{index}/_settings/{name}                             indices:monitor/settings/get            index index
PUT   /_settings                                            indices:admin/settings/update           index index
PUT   /{index}/_settings                                    indices:admin/settings/update           index index
POST,GET /_refresh                                          indices:admin/refresh                   index index
POST,GET /{index}/_refresh                                  indices:admin/refresh                   index index
POST,GET /_flush                                            indices:admin/flush                     index index
POST,GET /{index}/_flush                                    indices:admin/flush                     index index
POST  /_forcemerge                                          indices:admin/forcemerge                index index
POST  /{index}/_forcemerge                                  indices:admin/forcemerge                index index
POST  /_cache/clear                                         indices:admin/cache/clear               index index
POST  /{index}/_cache/clear                                 indices:admin/cache/clear               index index
POST  /{index}/_close                                       indices:admin/close                     index index
POST  /{index}/_open                                        indices:admin/open                      index index
PUT   /{index}/_block/{block}                               indices:admin/block/add                 index index
DELETE /{index}/_block/{block}                              indices:admin/block/remove              index index
GET   /_stats                                               indices:monitor/stats                   index index
GET   /_stats/{metric}                                      indices:monitor/stats                   index index
GET   /{index}/_stats                                       indices:monitor/stats                   index index
GET   /{index}/_stats/{metric}                              indices:monitor/stats                   index index
POST  /_aliases                                             indices:admin/aliases                   aliases
PUT,POST /{index}/_alias/{name}                             indices:admin/aliases                   index index
PUT,POST /{index}/_aliases/{name}                           indices:admin/aliases                   index index
PUT,POST /_alias/{name}                                     indices:admin/aliases                   index index
PUT,POST /_aliases/{name}                                   indices:admin/aliases                   index index
DELETE /{index}/_alias/{name}                               indices:admin/aliases                   index index
DELETE /{index}/_aliases/{name}                             indices:admin/aliases                   index index
GET,HEAD /_alias                                            indices:admin/aliases/get               index index
GET,HEAD /_aliases                                          indices:admin/aliases/get               index index
GET,HEAD /_alias/{name}                                     indices:admin/aliases/get               index index
GET,HEAD /{index}/_alias                                    indices:admin/aliases/get               index index
GET,HEAD /{index}/_aliases                                  indices:admin/aliases/get               index index
GET,HEAD /{index}/_alias/{name}                             indices:admin/aliases/get               index index
GET,HEAD /{index}/_aliases/{name}                           indices:admin/aliases/get               index index
GET   /_cat/aliases                                         indices:admin/aliases/get               index index
GET   /_cat/aliases/{name}                                  indices:admin/aliases/get               index index
PUT,POST /_index_template/{name}                            indices:admin/index_template/put        cluster
GET,HEAD /_index_template                                   indices:admin/index_template/get        cluster
GET,HEAD /_index_template/{name}                            indices:admin/index_template/get        cluster
DELETE /_index_template/{name}                              indices:admin/index_template/delete     cluster
POST  /_index_template/_simulate_index/{name}               indices:admin/index_template/simulate_index cluster
POST  /_index_template/_simulate                            indices:admin/index_template/simulate   cluster
POST  /_index_template/_simulate/{name}                     indices:admin/index_template/simulate   cluster
PUT,POST /_component_template/{name}                        cluster:admin/component_template/put    cluster
GET,HEAD /_component_template                               cluster:admin/component_template/get    cluster
GET,HEAD /_component_template/{name}                        cluster:admin/component_template/get    cluster
DELETE /_component_template/{name}                          cluster:admin/component_template/delete cluster
PUT,POST /_template/{name}                                  indices:admin/template/put              cluster
GET,HEAD /_template                                         indices:admin/template/get              cluster
GET,HEAD /_template/{name}                                  indices:admin/template/get              cluster
DELETE /_template/{name}                                    indices:admin/template/delete           cluster
GET,POST /_analyze                                          cluster:admin/analyze                   cluster
GET,POST /{index}/_analyze                                  indices:admin/analyze                   index index
GET   /_resolve/index/{name}                                indices:admin/resolve/index             index name
GET   /_resolve/cluster                                     indices:admin/resolve/cluster           index name
GET   /_resolve/cluster/{name}                              indices:admin/resolve/cluster           index name
POST  /{index}/_disk_usage                                  indices:admin/analyze_disk_usage        index index
GET   /{index}/_field_usage_stats                           indices:monitor/field_usage_stats       index index
POST  /{alias}/_rollover                                    indices:admin/rollover                  index alias
POST  /{alias}/_rollover/{new_index}                        indices:admin/rollover                  index alias
PUT,POST /{index}/_clone/{target}                           indices:admin/resize                    index index
PUT,POST /{index}/_shrink/{target}                          indices:admin/resize                    index index
PUT,POST /{index}/_split/{target}                           indices:admin/resize                    index index
GET   /_segments                                            indices:monitor/segments                index index
GET   /{index}/_segments                                    indices:monitor/segments                index index
GET   /_recovery                                            indices:monitor/recovery                index index
GET   /{index}/_recovery                                    indices:monitor/recovery                index index
GET   /_shard_stores                                        indices:monitor/shard_stores            index index
GET   /{index}/_shard_stores                                indices:monitor/shard_stores            index index
PUT   /_ingest/pipeline/{id}                                cluster:admin/ingest/pipeline/put       cluster
GET   /_ingest/pipeline                                     cluster:admin/ingest/pipeline/get       cluster
GET   /_ingest/pipeline/{id}                                cluster:admin/ingest/pipeline/get       cluster
DELETE /_ingest/pipeline/{id}                               cluster:admin/ingest/pipeline/delete    cluster
GET,POST /_ingest/pipeline/_simulate                        cluster:admin/ingest/pipeline/simulate  cluster
GET,POST /_ingest/pipeline/{id}/_simulate                   cluster:admin/ingest/pipeline/simulate  cluster
GET,POST /_ingest/_simulate                                 indices:data/write/simulate/bulk        composite
GET,POST /_ingest/{index}/_simulate                         indices:data/write/simulate/bulk        composite
GET   /_ingest/processor/grok                               cluster:admin/ingest/processor/grok/get cluster
PUT   /_ingest/geoip/database/{id}                          cluster:admin/ingest/geoip/database/put cluster
PUT   /_ingest/ip_location/database/{id}                    cluster:admin/ingest/geoip/database/put cluster
GET   /_ingest/geoip/database                               cluster:admin/ingest/geoip/database/get cluster
GET   /_ingest/geoip/database/{id}                          cluster:admin/ingest/geoip/database/get cluster
GET   /_ingest/ip_location/database                         cluster:admin/ingest/geoip/database/get cluster
GET   /_ingest/ip_location/database/{id}                    cluster:admin/ingest/geoip/database/get cluster
DELETE /_ingest/geoip/database/{id}                         cluster:admin/ingest/geoip/database/delete cluster
DELETE /_ingest/ip_location/database/{id}                   cluster:admin/ingest/geoip/database/delete cluster
GET   /_ingest/geoip/stats                                  cluster:monitor/ingest/geoip/stats      cluster
POST  /{index}/_update_by_query                             indices:data/write/update/byquery       index index
POST  /{index}/_delete_by_query                             indices:data/write/delete/byquery       index index
POST  /_reindex                                             indices:data/write/reindex              reindex
POST  /_reindex/{task_id}/_rethrottle                       cluster:admin/reindex/rethrottle        cluster
POST  /_update_by_query/{task_id}/_rethrottle               cluster:admin/reindex/rethrottle        cluster
POST  /_delete_by_query/{task_id}/_rethrottle               cluster:admin/reindex/rethrottle        cluster
GET   /_tasks                                               cluster:monitor/tasks/lists             cluster
GET   /_tasks/{task_id}                                     cluster:monitor/task/get                cluster
POST  /_tasks/{task_id}/_cancel                             cluster:admin/tasks/cancel              cluster
GET,POST /_search                                           indices:data/read/search                index index
GET,POST /{index}/_search                                   indices:data/read/search                index index
GET,POST /_count                                            indices:data/read/search                index index
GET,POST /{index}/_count                                    indices:data/read/search                index index
GET,POST /_search/scroll                                    indices:data/read/scroll                composite
GET,POST /_search/scroll/{scroll_id}                        indices:data/read/scroll                composite
DELETE /_search/scroll                                      indices:data/read/scroll/clear          composite
DELETE /_search/scroll/{scroll_id}                          indices:data/read/scroll/clear          composite
POST  /{index}/_pit                                         indices:data/read/open_point_in_time    index index
POST  /{index}/_open_point_in_time                          indices:data/read/open_point_in_time    index index
DELETE /_pit                                                indices:data/read/close_point_in_time   composite
GET,POST /_msearch                                          indices:data/read/msearch               composite
GET,POST /{index}/_msearch                                  indices:data/read/msearch               composite
GET,POST /{index}/_knn_search                               indices:data/read/knn_search            index index
PUT   /_transform/{transform_id}                            cluster:admin/transform/put             cluster
GET   /_transform                                           cluster:monitor/transform/get           cluster
GET   /_transform/{transform_id}                            cluster:monitor/transform/get           cluster
GET   /_transform/{transform_id}/_stats                     cluster:monitor/transform/stats/get     cluster
DELETE /_transform/{transform_id}                           cluster:admin/transform/delete          cluster
POST  /_transform/{transform_id}/_update                    cluster:admin/transform/update          cluster
POST  /_transform/{transform_id}/_start                     cluster:admin/transform/start           cluster
POST  /_transform/{transform_id}/_stop                      cluster:admin/transform/stop            cluster
POST  /_transform/{transform_id}/_schedule_now              cluster:admin/transform/schedule_now    cluster
POST  /_transform/{transform_id}/_reset                     cluster:admin/transform/reset           cluster
GET,POST /_transform/_preview                               cluster:admin/transform/preview         cluster
GET,POST /_transform/{transform_id}/_preview                cluster:admin/transform/preview         cluster
POST  /_transform/_upgrade                                  cluster:admin/transform/upgrade         cluster
GET   /_transform/_node_stats                               cluster:monitor/transform/stats/get     cluster
GET   /_cat/transforms                                      cluster:monitor/transform/get           cluster
GET   /_cat/transforms/{transform_id}                       cluster:monitor/transform/get           cluster
"""

FALLBACK = Rule("cluster:admin/es360/unmapped", "cluster")  # a route without a rule: `all`/`manage` only


def _parse(table: str) -> dict[tuple[str, str], Rule]:
    rules: dict[tuple[str, str], Rule] = {}
    for line in table.strip().splitlines():
        parts = line.split()
        methods, pattern, action, kind = parts[:4]
        param = parts[4] if len(parts) > 4 else None
        for method in methods.split(","):
            rules[(method, pattern)] = Rule(action, kind, param)
    return rules


RULES = _parse(_TABLE)


def register(method: str, pattern: str, rule: Rule) -> None:
    """Let an API module (the security API) declare the rule of its own routes."""
    RULES[(method, pattern)] = rule


def rule_for(method: str, pattern: str | None) -> Rule:
    if pattern is None:
        return FALLBACK
    rule = RULES.get((method, pattern))
    if rule is None and method == "HEAD":
        rule = RULES.get(("GET", pattern))
    return rule or FALLBACK
