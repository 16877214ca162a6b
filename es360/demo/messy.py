"""Deliberately broken source files for ingest robustness tests (kinds: crm, orders, tickets).

Each file holds `rows` records in the demo format, some of them defective, plus blank lines. The
returned MessyFile says which defects are on which (1-based, physical) lines, so a test can check that
ingest reads every record and rejects exactly the broken ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from random import Random

import orjson

from es360.demo.emails import personal_address
from es360.demo.names import POOLS
from es360.demo.phones import format_phone, make_phone
from es360.demo.places import COUNTRIES, fill_pattern, format_street
from es360.demo.sinks import CSV_HEADERS
from es360.demo.tickets_text import TicketStyle, compose
from es360.demo.timefmt import DAY, iso_offset, iso_z

HUGE = 10 * 1024 * 1024
_T0 = 1_735_689_600  # 2025-01-01
_BAD = "\x00BAD\x00"
BAD_EMAILS = ("sam.smith@", "@example.com", "sam@@example.com", "sam smith@example.com", "sam.example.com",
              "sam@example", "<sam@example.com>", "sam@exa mple.com")
BAD_DATES = ("2021-13-45", "31/02/2020", "yesterday", "2021-02-30T25:61:00Z", "not a date", "0000-00-00",
             "12/31/2021 10:00 PM")
BAD_AMOUNTS = ("12,50", "abc", "-", "1.234.567,00", "€ 19.99", "NaN", "-5.00", "1e309", "19.99.99")
BAD_BYTES = (b"M\xfcller", b"\xff\xfe\xfd", b"caf\xe9", b"\xc3", b"\xed\xa0\x80", b"Jos\xe9 Garc\xeda")
BAD_JSON = ('{"ticket_id": "T-1", "subject": "Hel', "{'ticket_id': 'T-2', 'subject': 'single quotes'}",
            '{"ticket_id": "T-3", "subject": "trailing comma",}', '{ticket_id: "T-4"}',
            '{"ticket_id": "T-5" "subject": "missing comma"}', '{"ticket_id": "T-6", "subject": "tab\there"}')
NOT_OBJECTS = ('["T-7", "an array"]', '"just a string"', "42", "null", "true")

DEFECTS = {
    "crm": ("bom", "bad_quoting", "invalid_utf8", "invalid_email", "invalid_date", "extra_columns",
            "missing_columns", "huge_line", "blank_lines", "multiline_field", "duplicate_row",
            "unterminated_quote"),
    "orders": ("bad_quoting", "invalid_utf8", "invalid_email", "invalid_date", "invalid_amount", "extra_columns",
               "missing_columns", "huge_line", "blank_lines", "multiline_field", "duplicate_row",
               "unterminated_quote"),
    "tickets": ("bad_json", "wrong_types", "not_object", "missing_fields", "extra_fields", "invalid_utf8",
                "invalid_email", "invalid_date", "huge_line", "blank_lines", "duplicate_row"),
}
# Defects that occur once per file rather than on a share of the records.
_ONCE = ("bom", "huge_line", "unterminated_quote")


@dataclass(frozen=True, slots=True)
class MessyFile:
    """A written messy file: how many records (blank lines excluded) and where each defect is."""

    path: Path
    kind: str
    records: int
    defects: dict[str, list[int]]

    @property
    def defective_records(self) -> int:
        """Records carrying at least one defect that makes them invalid (not blank lines or valid quirks)."""
        lines: set[int] = set()
        for name, where in self.defects.items():
            if name not in ("blank_lines", "multiline_field", "duplicate_row", "bom"):
                lines.update(where)
        return len(lines)


def write_messy_file(path: Path, kind: str, rows: int, seed: int) -> MessyFile:
    """Write a broken `kind` file ("crm", "orders" or "tickets") of `rows` records to path."""
    if kind not in DEFECTS:
        raise ValueError(f"kind must be one of {', '.join(DEFECTS)}")
    if rows < 30:
        raise ValueError("rows must be at least 30 so that every defect fits")
    rng = Random(f"es360-messy:{kind}:{seed}")
    per_defect = max(1, rows // 100)
    plan = _assign(rng, kind, rows, per_defect)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    defects: dict[str, list[int]] = {name: [] for name in DEFECTS[kind]}
    blank_at = set(rng.sample(range(1, rows), min(rows - 1, per_defect + 2)))
    make = _ROW_MAKERS[kind]
    line = 1
    previous = b""
    with path.open("wb") as out:
        if kind != "tickets":
            if "bom" in plan.get(-1, ()):
                out.write(b"\xef\xbb\xbf")
                defects["bom"].append(1)
            out.write(_csv_line(list(CSV_HEADERS[_FILE[kind]])))
            line += 1
        for i in range(rows):
            if i in blank_at:
                out.write(b"" if rng.random() < 0.5 else b"   \t")
                out.write(b"\r\n" if kind != "tickets" else b"\n")
                defects["blank_lines"].append(line)
                line += 1
            names = plan.get(i, ())
            if "duplicate_row" in names and previous:
                data = previous
            else:
                data = make(rng, i, names)
            for name in names:
                defects[name].append(line)
            out.write(data)
            previous = data
            line += data.count(b"\n")
    return MessyFile(path, kind, rows, defects)


_FILE = {"crm": "crm/contacts.csv", "orders": "shop/orders.csv"}


def _assign(rng: Random, kind: str, rows: int, per_defect: int) -> dict[int, tuple[str, ...]]:
    """Which defects go on which record index (-1: the file itself)."""
    plan: dict[int, list[str]] = {}
    free = list(range(1, rows - 1))  # record 0 stays clean (a duplicate needs a predecessor); last is special
    rng.shuffle(free)
    for name in DEFECTS[kind]:
        if name == "blank_lines":
            continue
        if name == "bom":
            plan.setdefault(-1, []).append(name)
        elif name == "unterminated_quote":
            plan.setdefault(rows - 1, []).append(name)
        else:
            for _ in range(1 if name in _ONCE else per_defect):
                plan.setdefault(free.pop(), []).append(name)
    return {k: tuple(v) for k, v in plan.items()}


def _csv_line(fields: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow(fields)
    return buf.getvalue().encode("utf-8")


def _person(rng: Random) -> tuple[str, str, str, str, str, str, str]:
    country = COUNTRIES[rng.randrange(len(COUNTRIES))]
    pool = POOLS[country.pools[0][0]]
    first = (pool.female + pool.male)[rng.randrange(len(pool.female) + len(pool.male))]
    last = pool.family[rng.randrange(len(pool.family))]
    city = country.cities[rng.randrange(len(country.cities))]
    email = personal_address(rng, country, first, last, 1950 + rng.randrange(55))
    phone = format_phone(rng, make_phone(rng, country.phone_plan, city.area, city.sub_len, rng.random() < 0.7))
    street = format_street(rng, country.street_style, country.streets[rng.randrange(len(country.streets))])
    return first, last, email, phone, street, city.name, country.code


def _finish_csv(rng: Random, fields: list[str], names: tuple[str, ...], email_at: int, date_at: int, huge_at: int,
                extra: Callable[[list[str]], None] | None = None) -> bytes:
    """Apply CSV defects to one row's fields and render it."""
    bad_bytes = None
    if "invalid_email" in names:
        fields[email_at] = BAD_EMAILS[rng.randrange(len(BAD_EMAILS))]
    if "invalid_date" in names:
        fields[date_at] = BAD_DATES[rng.randrange(len(BAD_DATES))]
    if extra is not None:
        extra(fields)
    if "huge_line" in names:
        fields[huge_at] = ("x" * 1000 + " ") * (HUGE // 1001 + 1)
    if "multiline_field" in names:
        fields[huge_at] = fields[huge_at] + "\nsecond line, with a comma and \"quotes\""
    if "invalid_utf8" in names:
        bad_bytes = BAD_BYTES[rng.randrange(len(BAD_BYTES))]
        fields[1] = _BAD
    if "extra_columns" in names:
        fields += ["surprise", "more"][: 1 + rng.randrange(2)]
    if "missing_columns" in names:
        fields = fields[: len(fields) - 1 - rng.randrange(4)]
    if "unterminated_quote" in names:
        raw = ",".join(fields[:-1]) + ',"never closed ' + fields[-1]
        return raw.encode("utf-8") + b"\r\n"
    if "bad_quoting" in names:
        fields[2] = f'{fields[2]} "the boss"' if rng.random() < 0.5 else f'"{fields[2]} "Jr", x"'
        raw = ",".join(fields)
        data = raw.encode("utf-8") + b"\r\n"
    else:
        data = _csv_line(fields)
    if bad_bytes is not None:
        data = data.replace(_BAD.encode("utf-8"), bad_bytes)
    return data


def _crm_row(rng: Random, i: int, names: tuple[str, ...]) -> bytes:
    first, last, email, phone, street, city, country = _person(rng)
    created = _T0 - rng.randrange(900) * DAY
    fields = [f"C-{i + 1}", first, last, email, phone, street, city, fill_pattern(rng, "#####"), country,
              f"{1950 + rng.randrange(55)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}",
              iso_z(created), iso_z(created + rng.randrange(300) * DAY), ("yes", "no", "")[rng.randrange(3)], ""]
    return _finish_csv(rng, fields, names, email_at=3, date_at=9 if rng.random() < 0.5 else 10, huge_at=5)


def _orders_row(rng: Random, i: int, names: tuple[str, ...]) -> bytes:
    _, _, email, _, _, _, _ = _person(rng)
    ts = _T0 + rng.randrange(300 * DAY)
    fields = [f"O-{100_001 + i}", f"S-{100 + i:06d}", email, iso_offset(ts, 60), "order", "", "paid",
              f"{5 + rng.random() * 300:.2f}", ("EUR", "USD", "GBP")[rng.randrange(3)],
              f"P-{1001 + rng.randrange(300)}:{1 + rng.randrange(3)}"]

    def amount(f: list[str]) -> None:
        if "invalid_amount" in names:
            f[7] = BAD_AMOUNTS[rng.randrange(len(BAD_AMOUNTS))]

    return _finish_csv(rng, fields, names, email_at=2, date_at=3, huge_at=9, extra=amount)


def _tickets_row(rng: Random, i: int, names: tuple[str, ...]) -> bytes:
    if "bad_json" in names:
        return BAD_JSON[rng.randrange(len(BAD_JSON))].encode("utf-8") + b"\n"
    if "not_object" in names:
        return NOT_OBJECTS[rng.randrange(len(NOT_OBJECTS))].encode("utf-8") + b"\n"
    first, last, email, phone, _, _, _ = _person(rng)
    issue = ("billing", "delivery", "refund", "login", "product_defect")[rng.randrange(5)]
    slots = {"order": f"O-{100_001 + rng.randrange(9000)}", "product": "the headphones", "date": "last week",
             "amount": "€49.99", "card": "my Visa", "carrier": "DHL", "days": "10", "email": email}
    subject, body = compose(rng, issue, TicketStyle("email", rng.randrange(4), rng.randrange(3), first), slots)
    created = _T0 + rng.randrange(300 * DAY)
    obj: dict[str, object] = {
        "ticket_id": f"T-{10_001 + i}", "requester_email": email, "requester_name": f"{first} {last}",
        "requester_phone": phone, "subject": subject, "description": body, "status": "solved",
        "priority": "normal", "channel": "email", "created": iso_z(created), "updated": iso_z(created + 3600),
        "solved_at": iso_z(created + 3600), "csat": 1 + rng.randrange(5), "escalated": False, "tags": ["demo"],
    }
    if "invalid_email" in names:
        obj["requester_email"] = BAD_EMAILS[rng.randrange(len(BAD_EMAILS))]
    if "invalid_date" in names:
        obj["created"] = BAD_DATES[rng.randrange(len(BAD_DATES))]
    if "wrong_types" in names:
        obj.update({"csat": "five", "escalated": "yes", "tags": "billing", "updated": 1_699_999_999})
    if "missing_fields" in names:
        for key in ("ticket_id", "subject", "created")[: 1 + rng.randrange(3)]:
            obj.pop(key)
    if "extra_fields" in names:
        obj.update({"internal_notes": "called twice", "sla_breached": True, "custom_field_1234": None})
    if "huge_line" in names:
        obj["description"] = ("lorem ipsum " * (HUGE // 12 + 1))
    if "invalid_utf8" in names:
        obj["requester_name"] = _BAD
    data = orjson.dumps(obj) + b"\n"
    if "invalid_utf8" in names:
        data = data.replace(orjson.dumps(_BAD)[1:-1], BAD_BYTES[rng.randrange(len(BAD_BYTES))])
    return data


_ROW_MAKERS: dict[str, Callable[[Random, int, tuple[str, ...]], bytes]] = {
    "crm": _crm_row, "orders": _orders_row, "tickets": _tickets_row,
}
