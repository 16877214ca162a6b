"""Output files of the demo world, streamed row by row (CSV: RFC 4180, UTF-8; JSONL: one object per line)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import IO, Any

import orjson

CSV_HEADERS: dict[str, tuple[str, ...]] = {
    "crm/contacts.csv": ("contact_id", "first_name", "last_name", "email", "phone", "street", "city", "postcode",
                         "country", "birth_date", "created_at", "updated_at", "email_opt_in", "account_owner"),
    "shop/orders.csv": ("order_id", "customer_number", "email", "order_ts", "type", "refund_of", "status", "amount",
                        "currency", "items"),
    "marketing/subscribers.csv": ("subscriber_id", "email", "first_name", "last_name", "country", "subscribed_at",
                                  "unsubscribed_at", "status"),
    "marketing/email_events.csv": ("event_id", "subscriber_id", "email", "campaign_id", "campaign_name", "event",
                                   "ts"),
}
_BUFFER = 1 << 20


def _quote(field: str) -> str:
    if "," in field or '"' in field or "\n" in field or "\r" in field:
        return '"' + field.replace('"', '""') + '"'
    return field


def csv_line(fields: list[str] | tuple[str, ...]) -> str:
    """One RFC 4180 record (CRLF-terminated), quoting only the fields that need it."""
    line = ",".join(fields)
    if '"' in line or "\n" in line or "\r" in line or line.count(",") != len(fields) - 1:
        line = ",".join(_quote(f) for f in fields)
    return line + "\r\n"


class _Sink:
    """A file written row by row; counts data rows."""

    def __init__(self, path: Path) -> None:
        self._file: IO[bytes] = path.open("wb", buffering=_BUFFER)
        self.rows = 0

    def append_file(self, path: Path, rows: int) -> None:
        """Append a part written elsewhere (same format, no header) holding `rows` rows."""
        with path.open("rb") as part:
            shutil.copyfileobj(part, self._file, _BUFFER)
        self.rows += rows

    def close(self) -> None:
        self._file.close()


class CsvSink(_Sink):
    """One CSV file (with its header unless it is a part). Every field is a str."""

    def __init__(self, path: Path, header: tuple[str, ...] | None) -> None:
        super().__init__(path)
        if header is not None:
            self._file.write(csv_line(header).encode())

    def write(self, row: list[str] | tuple[str, ...]) -> None:
        self._file.write(csv_line(row).encode())
        self.rows += 1


class JsonlSink(_Sink):
    """One JSON-lines file."""

    def write(self, obj: dict[str, Any]) -> None:
        self._file.write(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
        self.rows += 1


class Sinks:
    """All files of a world, opened under out_dir (parts of a world have no CSV headers)."""

    def __init__(self, out_dir: Path, headers: bool = True) -> None:
        self.out_dir = out_dir
        self._headers = headers
        self._all: dict[str, CsvSink | JsonlSink] = {}
        self.contacts = self._csv("crm/contacts.csv")
        self.orders = self._csv("shop/orders.csv")
        self.subscribers = self._csv("marketing/subscribers.csv")
        self.email_events = self._csv("marketing/email_events.csv")
        self.customers = self._jsonl("shop/customers.jsonl")
        self.tickets = self._jsonl("support/tickets.jsonl")
        self.web = self._jsonl("web/events.jsonl")
        self.truth_people = self._jsonl("truth/people.jsonl")
        self.truth_tickets = self._jsonl("truth/tickets.jsonl")

    def _csv(self, name: str) -> CsvSink:
        sink = CsvSink(self._prepare(name), CSV_HEADERS[name] if self._headers else None)
        self._all[name] = sink
        return sink

    def _jsonl(self, name: str) -> JsonlSink:
        sink = JsonlSink(self._prepare(name))
        self._all[name] = sink
        return sink

    def _prepare(self, name: str) -> Path:
        path = self.out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def append_parts(self, part_dir: Path, counts: dict[str, int]) -> None:
        """Append every file of a part folder (written by another process) to this world's files."""
        for name, sink in self._all.items():
            sink.append_file(part_dir / name, counts[name])

    def counts(self) -> dict[str, int]:
        """Data rows written per file (relative path)."""
        return {name: sink.rows for name, sink in self._all.items()}

    def close(self) -> None:
        for sink in self._all.values():
            sink.close()
