"""Identifiers normalized exactly as es360's ingest pipelines store them, computed client-side.

The suppression list must recognise a row *before* it is sent, so ingest cannot wait for the
pipeline's answer. These functions port the few pipeline steps that shape identifiers:

- emails: `trim` then `lowercase` (es360-records, es360-activity, es360-tickets);
- phones: `gsub [^0-9+]`, the `country` script, then the `phone_e164` script (es360-records);
- record ids: `{{{source}}}:{{{source_id}}}` (records) and `source:source_id` (activity keys).

The lookup tables (country names, calling codes, default region) are read from
pipelines/es360-records.json itself, so the tables have one source of truth. The script logic is
ported line by line; tests/privacy/test_normalize.py runs the same inputs through the real pipeline
(`_ingest/pipeline/_simulate`) and asserts equal output, and pins a digest of the two scripts so a
change to them fails the tests until this port is updated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from es360.assets import DEFAULT_PREFIX, load_assets
from es360.errors import Es360Error
from es360.identity.text import canonical_email

_PHONE_CHARS = re.compile(r"[^0-9+]")


@dataclass(frozen=True)
class PhoneRules:
    """The records pipeline's country aliases, calling codes and default region."""

    countries: dict[str, str]
    calling_codes: dict[str, str]
    default_region: str
    scripts_digest: str  # of the `country` and `phone_e164` script sources this port mirrors


@cache
def phone_rules() -> PhoneRules:
    """Read the tables from the es360-records pipeline asset."""
    import hashlib

    pipeline = next((a.body for a in load_assets(DEFAULT_PREFIX)
                     if a.kind == "pipeline" and a.name == f"{DEFAULT_PREFIX}records"), None)
    scripts = {p["script"].get("tag"): p["script"] for p in (pipeline or {}).get("processors", []) if "script" in p}
    if "country" not in scripts or "phone_e164" not in scripts:
        raise Es360Error("The es360-records pipeline has no `country`/`phone_e164` scripts; es360's assets are damaged.")
    params = scripts["phone_e164"]["params"]
    digest = hashlib.sha256((scripts["country"]["source"] + "\n" + scripts["phone_e164"]["source"]).encode())
    return PhoneRules(dict(scripts["country"]["params"]["countries"]), dict(params["calling_codes"]),
                      str(params["default_region"]), digest.hexdigest()[:16])


def java_trim(text: str) -> str:
    """Java's String.trim(): strips code points <= U+0020 at both ends (not other Unicode spaces)."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _java_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def normalize_email(value: Any) -> str | None:
    """The stored form of an email (trim + lowercase); None when the pipeline would store none."""
    if not isinstance(value, str):
        return None
    email = java_trim(value).lower()
    return email or None


def email_variants(value: Any) -> set[str]:
    """The stored email and the mailbox it delivers to (identity keys use both)."""
    email = normalize_email(value)
    if email is None:
        return set()
    return {email, canonical_email(email)} - {""}


def normalize_country(value: Any) -> Any:
    """address.country after the `country` script (None when it would be removed)."""
    if value is None:
        return None
    code = java_trim(str(value)).lower()
    if not code:
        return None
    rules = phone_rules()
    if code in rules.countries:
        return rules.countries[code]
    start = code.find("(")
    if start > 0 and code.endswith(")"):  # 'Deutschland (DE)': the name, else the part in brackets
        inside = java_trim(code[start + 1:-1])
        found = rules.countries.get(java_trim(code[:start])) or rules.countries.get(inside)
        if found is None and _java_length(inside) == 2:
            found = inside.upper()
        if found is not None:
            return found
    if _java_length(code) == 2:
        return code.upper()
    return value  # unknown: the script leaves it as it was (and flags country_unknown)


def normalize_phone(value: Any, country: Any = None) -> str | None:
    """The E.164 phone the records pipeline stores for `value` given the row's raw country, or None."""
    if not isinstance(value, str):
        return None
    phone = _PHONE_CHARS.sub("", value)
    if not phone:
        return None
    rules = phone_rules()
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not phone.startswith("+"):
        region = normalize_country(country)
        region = region if isinstance(region, str) else rules.default_region
        code = rules.calling_codes.get(region) or rules.calling_codes.get(rules.default_region)
        if code == "1" and len(phone) == 11 and phone.startswith("1"):
            phone = "+" + phone
        else:
            if phone.startswith("0"):
                phone = phone[1:]
            phone = f"+{code}{phone}"
    digits = phone[1:]
    if len(digits) < 7 or len(digits) > 15 or "+" in digits:
        return None
    return phone


def _mustache(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def record_id(source: Any, source_id: Any) -> str | None:
    """`source:source_id` as the pipelines build it; None when either part is missing."""
    if source is None or source_id is None or source_id == "":
        return None
    return f"{_mustache(source)}:{_mustache(source_id)}"


def _get(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def doc_identifiers(kind: str, doc: dict[str, Any]) -> set[str]:
    """Typed identifiers (`email:…`, `phone:…`, `record:…`) a mapped document will carry once stored."""
    out: set[str] = set()
    if kind == "records":
        out.update(f"email:{e}" for e in email_variants(doc.get("email")))
        phone = normalize_phone(doc.get("phone"), _get(doc, "address.country"))
        if phone:
            out.add(f"phone:{phone}")
        rid = record_id(doc.get("source"), doc.get("source_id"))
        if rid:
            out.add(f"record:{rid}")
    elif kind == "activity":
        out.update(f"email:{e}" for e in email_variants(_get(doc, "identity.email")))
        rid = record_id(_get(doc, "identity.source"), _get(doc, "identity.source_id"))
        if rid:
            out.add(f"record:{rid}")
    elif kind == "tickets":
        out.update(f"email:{e}" for e in email_variants(_get(doc, "requester.email")))
    return out
