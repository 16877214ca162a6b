"""Identity resolution: which source records are the same person, and their golden customer profiles.

How it works, for data stewards: docs/identity.md. One module per step of `es360 resolve`:

    source      read records (and activity mailboxes) from Elasticsearch: point-in-time + search_after
    features    a record as comparable features (folded names, canonical email, ...); text, nicknames,
                phonetic hold the normalization, the nickname table and NYSIIS / Soundex
    blocking    candidate pairs from shared keys, with bounded block sizes
    compare     per-field comparison levels for one pair
    model       Fellegi-Sunter weights; m, u and the prior estimated by EM
    cluster     anti-chaining clustering with deterministic rules and steward overrides
    attach      second pass: same name at the same address; rare unique full names
    matcher     the in-process core tying blocking, comparison, EM and clustering together
    stable_ids  customer ids that survive re-runs, merges and splits
    golden      survivorship: one golden profile per customer
    store       write customers, identity, merge-log and customer_id back onto records; run enrich
    resolve     the `es360 resolve` run; explain, backfill, overrides, evaluate: the other commands
    synthetic   es360's own synthetic people with known truth, for tests and benchmarks
    commands    the CLI commands (`register(app)`)
"""
