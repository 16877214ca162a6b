"""es360: a search-centric Customer 360 on Elasticsearch."""

__version__ = "0.1.0"
