"""Render the Kibana dashboards' panels to one self-contained HTML file."""
