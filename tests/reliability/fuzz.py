"""Malformed source files for every built-in source type, and the check that an ingest of one reconciles.

`write_fuzz_file` derives the columns from the source's TOML mapping (so a new column is fuzzed
too), writes `rows` rows of which a share carry one to three defects — bad quoting, invalid UTF-8
or Latin-1 bytes, invalid emails/dates/amounts, extra or missing columns, control characters,
very long fields, wrong JSON types, broken JSON, empty or repeated keys — and remembers which rows
are clean. `verify_ingest` then checks, row by row as the reader sees the file, that every row was
either rejected (in the dead-letter file, with file, line and reason) or is present exactly once.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from es360.ingest.mapping import SourceMapping, load_mapping
from es360.ingest.readers import Row, read_rows
from es360.ingest.run import IngestReport

VALUE_DEFECTS = ("invalid_email", "invalid_date", "invalid_amount", "control_chars", "long_field", "unicode",
                 "empty_key", "duplicate_key", "missing_columns", "null_values")
JSON_DEFECTS = ("wrong_type", "deep_nesting", "bad_json", "not_object")
CSV_DEFECTS = ("bad_quoting", "extra_columns", "quoted_newline")
LINE_DEFECTS = ("invalid_utf8", "latin1", "blank_line")
BAD_EMAILS = ("foo@@bar.com", "@", "a b@c.de", "no-at-sign", "x@y", "ä@ö.ü", "<script>@x.io", "a@b.c.")
BAD_DATES = ("31/31/2000", "2025-13-45T99:99:99Z", "yesterday", "0000-00-00", "-1", "9999999999999999", "2025-02-30")
BAD_AMOUNTS = ("abc", "1,5", "NaN", "-1e400", "€12", "1e309", "--3", "", "0x1F", "12.5.3")
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\u2028\u2029"
UNICODE = ("Zoë 🙂", "שלום", "e\u0301\u0301\u0301", "\ufeffBOM", "𝔘𝔫𝔦", "\u202eevil", "ǅž", "　")


@dataclass
class FuzzFile:
    """A generated file: its path, its source, how many rows were written, which lines are clean."""

    path: Path
    source: str
    rows: int
    clean_lines: set[int] = field(default_factory=set)
    defects: Counter[str] = field(default_factory=Counter)

    @property
    def malformed(self) -> int:
        """Rows written with at least one defect."""
        return self.rows - len(self.clean_lines)


def _columns(mapping: SourceMapping) -> list[str]:
    cols: list[str] = []
    for target in mapping.targets:
        for column in [target.key, *target.fields.values()]:
            if column not in cols:
                cols.append(column)
    return [*cols, "note"]  # an unmapped column: it lands in `extra`


def _field_of(mapping: SourceMapping, column: str) -> str:
    return next((p for t in mapping.targets for p, c in t.fields.items() if c == column), column)


def _good_value(path: str, source: str, i: int) -> Any:
    """A plausible value for the es360 field `path` of row `i`."""
    if path in ("event.action",):
        return {"shop-orders": "order", "web": "page_view", "marketing-events": "open"}.get(source, "open")
    if "email" in path and "campaign" not in path and "status" not in path:
        return f"user{i}@example.com"
    if "phone" in path:
        return f"+44 20 7946 {i % 10000:04d}"
    if path in ("@timestamp", "created_at", "updated_at", "solved_at"):
        return f"2025-0{1 + i % 9}-1{i % 10}T10:11:12Z"
    if path == "birth_date":
        return "1980-01-02"
    if path == "order.amount":
        return f"{5 + i % 300}.50"
    if path == "order.currency":
        return "EUR"
    if path == "order.items":
        return str(1 + i % 4)
    if path in ("name.first", "requester.name"):
        return "Sam"
    if path == "name.last":
        return "Smith"
    if path == "name.full":
        return f"Sam Smith {i}"
    if path.endswith("country"):
        return "GB"
    if path == "consent.email.status":
        return "yes"
    if path in ("csat", "ticket.csat"):
        return 1 + i % 5
    if path in ("escalated", "ticket.escalated"):
        return False
    if path == "tags":
        return ["billing"]
    if path == "status":
        return "open"
    if path == "order.refund_of":
        return ""
    return f"v{i}"


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        doc = doc.setdefault(part, {})
    doc[parts[-1]] = value


def _mutate_values(values: dict[str, Any], mapping: SourceMapping, key: str, defect: str, rng: random.Random,
                   used_keys: list[str], is_json: bool) -> None:
    cols = [c for c in values if c != key]
    col = rng.choice(cols)
    if defect == "invalid_email":
        for c in values:
            if "email" in c:
                values[c] = rng.choice(BAD_EMAILS)
    elif defect == "invalid_date":
        dates = [c for c in values if any(w in c for w in ("ts", "created", "updated", "birth", "_at", "date"))]
        for c in dates or [col]:
            values[c] = rng.choice(BAD_DATES)
    elif defect == "invalid_amount":
        values["amount" if "amount" in values else col] = rng.choice(BAD_AMOUNTS)
        if "currency" in values and rng.random() < 0.3:
            values["currency"] = rng.choice(("XXX", "eur ", "", "€"))
    elif defect == "control_chars":
        values[col] = f"{values[col]}{''.join(rng.choice(CONTROL) for _ in range(3))}x"
    elif defect == "long_field":
        values[col] = "L" * rng.choice((2_000, 12_000, 40_000))
    elif defect == "unicode":
        values[col] = rng.choice(UNICODE)
    elif defect == "empty_key":
        values[key] = rng.choice(("", "   ", None))
    elif defect == "duplicate_key" and used_keys:
        values[key] = rng.choice(used_keys)
    elif defect == "missing_columns":
        for c in rng.sample(cols, k=max(1, len(cols) // 2)):
            values.pop(c)
    elif defect == "null_values":
        for c in rng.sample(cols, k=max(1, len(cols) // 3)):
            values[c] = None if is_json else ""
    elif defect == "wrong_type":
        values[col] = rng.choice((12345, 3.5, True, ["a", {"b": 1}], {"nested": {"deep": [1, 2]}}, -0.0))
    elif defect == "deep_nesting":
        deep: Any = "x"
        for _ in range(rng.choice((5, 25, 60))):
            deep = {"d": deep}
        values[col] = deep


def _csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return out.getvalue()


def write_fuzz_file(folder: Path, source: str, rows: int, seed: int = 1, defect_share: float = 0.6,
                    max_row_bytes: int = 1_000_000) -> FuzzFile:
    """Write `rows` rows for built-in `source` into `folder`, about `defect_share` of them malformed."""
    mapping = load_mapping(source)
    is_json = mapping.format == "jsonl"
    rng = random.Random(f"{source}-{seed}")
    key = mapping.targets[0].key
    columns = _columns(mapping)
    path = folder / f"fuzz-{source}.{'jsonl' if is_json else 'csv'}"
    result = FuzzFile(path, source, rows)
    chunks: list[bytes] = [] if is_json else [(",".join(columns) + "\n").encode()]
    line = 1 if is_json else 2  # the line the next row starts on
    used: list[str] = []
    line_defects = [*LINE_DEFECTS, *(JSON_DEFECTS[2:] if is_json else CSV_DEFECTS)]
    value_defects = [*VALUE_DEFECTS, *(JSON_DEFECTS[:2] if is_json else ())]
    for i in range(rows):
        values: dict[str, Any] = {c: _good_value(_field_of(mapping, c), source, i) for c in columns}
        values[key] = f"FZ{seed}-{source}-{i}"
        values["note"] = f"note {i}"
        defects: list[str] = []
        if rng.random() < defect_share:
            for _ in range(rng.choice((1, 1, 2, 3))):
                defects.append(rng.choice(value_defects + line_defects))
        for d in defects:
            if d in value_defects:
                _mutate_values(values, mapping, key, d, rng, used, is_json)
        if isinstance(values.get(key), str) and values[key].strip():
            used.append(values[key])
        if is_json:
            doc: dict[str, Any] = {}
            for c, v in values.items():
                _set(doc, c, v)
            text = json.dumps(doc, ensure_ascii=rng.random() < 0.5) + "\n"
            if "bad_json" in defects:
                text = text[: rng.randrange(1, max(2, len(text) - 2))] + "\n"
            if "not_object" in defects:
                text = rng.choice(("[1, 2, 3]\n", "42\n", '"just a string"\n', "null\n"))
        else:
            text = _csv_line([values.get(c) for c in columns if c in values or "missing_columns" not in defects])
            if "extra_columns" in defects:
                text = text.rstrip("\n") + ",surplus,more\n"
            if "bad_quoting" in defects:
                cut = rng.randrange(1, len(text) - 1)
                text = text[:cut] + rng.choice(('"', '""', 'a"b')) + text[cut:]
            if "quoted_newline" in defects:
                text = text.rstrip("\n") + ',"multi\nline\nnote"\n'
        data = text.encode("utf-8", "surrogatepass")
        if "latin1" in defects:
            data = data.rstrip(b"\n") + " café".encode("latin-1") + b"\n"
        if "invalid_utf8" in defects:
            cut = rng.randrange(0, max(1, len(data) - 1))
            data = data[:cut] + b"\xff\xfe" + data[cut:]
        if "long_field" in defects and len(data) > max_row_bytes:
            defects.append("over_row_limit")
        if "blank_line" in defects:
            chunks.append(b"\n")
            line += 1
        chunks.append(data)
        if not defects:
            result.clean_lines.add(line)
        result.defects.update(defects)
        line += data.count(b"\n")
    path.write_bytes(b"".join(chunks))
    return result


@dataclass
class Verdict:
    """What `verify_ingest` found: rows as the reader yields them, and where each one ended up."""

    rows_read: int = 0
    present_once: int = 0
    rejected: int = 0
    dead_letter_ok: bool = True
    problems: list[str] = field(default_factory=list)
    clean_rejected: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _key_field(mapping: SourceMapping) -> tuple[str, str]:
    target = mapping.targets[0]
    path = next(p for p, c in target.fields.items() if c == target.key)
    return target.kind, path


def _key_counts(es: Elasticsearch, alias: str, key_field: str, query: dict[str, Any],
                scope: list[dict[str, Any]]) -> Counter[str]:
    """How many documents of `alias` hold each value of `key_field`, among this source's (`scope`) that
    match `query`."""
    resp = es.search(index=alias, query={"bool": {"filter": [query, *scope]}}, size=10_000, source=[key_field], track_total_hits=True)
    if resp["hits"]["total"]["value"] > 10_000:
        raise ValueError("more than 10,000 documents match; verify smaller files")
    counts: Counter[str] = Counter()
    for hit in resp["hits"]["hits"]:
        node: Any = hit["_source"]
        for part in key_field.split("."):
            node = node[part]
        counts[str(node)] += 1
    return counts


def verify_ingest(es: Elasticsearch, prefix: str, fuzz: FuzzFile, report: IngestReport, marker: str,
                  max_row_bytes: int = 1_000_000) -> Verdict:
    """Row by row: rejected rows are in the dead-letter file with file/line/reason, the others present once."""
    verdict = Verdict()
    mapping = load_mapping(fuzz.source)
    kind, key_field = _key_field(mapping)
    dead: dict[int, dict[str, Any]] = {}
    if report.dead_letter:
        for text in Path(report.dead_letter).read_text(encoding="utf-8").split("\n")[:-1]:  # not splitlines: U+2028
            entry = json.loads(text)
            if entry.get("file") != str(fuzz.path) or not entry.get("reason") or not isinstance(entry.get("line"), int):
                verdict.problems.append(f"dead-letter entry without file/line/reason: {text[:120]}")
            dead[entry["line"]] = entry
    verdict.rejected = len(dead)
    if len(dead) != report.rejected:
        verdict.problems.append(f"{report.rejected} rows rejected but {len(dead)} dead-letter lines")
    rows, _ = read_rows(str(fuzz.path), mapping.format, 0, max_row_bytes)
    accepted: dict[int, str] = {}
    for item in rows:
        verdict.rows_read += 1
        if item.line in dead:
            if item.line in fuzz.clean_lines:
                verdict.clean_rejected.append(item.line)
            continue
        if not isinstance(item, Row):
            verdict.problems.append(f"line {item.line} could not be read but is not in the dead-letter file")
            continue
        value = item.values.get(mapping.targets[0].key)
        accepted[item.line] = value.strip() if isinstance(value, str) else str(value)
    alias = f"{prefix}{kind}"
    scope = [{"term": {k: v}} for k, v in mapping.targets[0].constants.items()]  # records share an alias
    es.indices.refresh(index=alias)
    keys = sorted(set(accepted.values()))
    present: Counter[str] = Counter()
    for i in range(0, len(keys), 1000):
        present.update(_key_counts(es, alias, key_field, {"terms": {key_field: keys[i:i + 1000]}}, scope))
    for line, key in accepted.items():
        if present.get(key) != 1:
            verdict.problems.append(f"line {line}: key {key!r} present {present.get(key, 0)} times")
    verdict.present_once = sum(1 for key in keys if present.get(key) == 1)
    marked = _key_counts(es, alias, key_field, {"prefix": {key_field: marker}}, scope)
    unexpected = {k for k in set(marked) - set(keys) if not _is_rejected_key(k, dead)}
    if unexpected:
        verdict.problems.append(f"{len(unexpected)} documents in the index for rows that were neither accepted "
                                f"nor rejected, e.g. {sorted(unexpected)[:3]}")
    if verdict.rows_read != report.read:
        verdict.problems.append(f"the reader yields {verdict.rows_read} rows but ingest read {report.read}")
    if not report.reconciles:
        verdict.problems.append("read != indexed + duplicates + rejected + suppressed")
    if verdict.clean_rejected:
        verdict.problems.append(f"clean rows rejected at lines {verdict.clean_rejected[:5]}")
    return verdict


def _is_rejected_key(key: str, dead: dict[int, dict[str, Any]]) -> bool:
    """A rejected row may leave a document behind when one of its targets was written and another refused."""
    return any(key in str(entry.get("raw", "")) for entry in dead.values())
