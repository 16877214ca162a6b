"""Kibana saved objects shipped in kibana/: loading, import into and export from Kibana."""
