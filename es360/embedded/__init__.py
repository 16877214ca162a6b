"""An embedded Elasticsearch-compatible engine that speaks the ES REST API over HTTP.

It is the zero-setup default and the test backend of es360; production uses real Elasticsearch.
This package imports nothing else from es360.
"""

ES_VERSION = "8.17.0"
LUCENE_VERSION = "9.12.0"
DEFAULT_PORT = 9260
