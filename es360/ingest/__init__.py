"""`es360 ingest`: read source files, map columns to es360 fields, write through the ingest pipelines."""
