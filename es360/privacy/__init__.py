"""Privacy: erasure (forget), subject access export, and the suppression list ingest honors.

    normalize    identifiers (emails, E.164 phones, source ids) exactly as the ingest pipelines store them
    salt         where the suppression list's secret salt lives (never in Elasticsearch)
    suppression  the salted-hash list of erased identifiers; `Suppression.matches` is ingest's hook
    footprint    one person's customer ids, identifiers and documents per index (shared by forget/export)
    forget       `es360 forget`: suppress, delete per index, re-execute enrich, verify, audit
    export       `es360 export`: everything about one person as one streamed JSON document
    audit        who did what: entries in the audit index, without personal data
    commands     the CLI commands (`register(app)`)
"""
