"""One person's footprint in es360: which customer, which identifiers, and which documents per index.

`es360 forget` deletes exactly these documents and `es360 export` returns exactly them, so what is
exported is what an erasure removes. A person is a customer id (plus the ids merged into it); their
identifiers are the emails, phones and source record ids of their records, golden profile and
identity entries. An identifier that another customer's records also carry (a household email) is
*shared*: it is not used to find documents and is not suppressed, so nobody else loses data.

Per index (through its alias), a document belongs to the person when:
- customers, rollup: its customer_id is one of theirs;
- identity: its customer_id is theirs, or its identifier is one of their unshared identifiers;
- records: its customer_id is theirs, its record_id is theirs, or it is not yet resolved and holds
  one of their unshared emails (any spelling of the mailbox: `sam+news@…`) or phones;
- activity: its customer_id is theirs, one of its identity keys is their source record id, or it
  is untagged and carries one of their unshared emails (any spelling);
- tickets: its customer_id is theirs, or it is untagged and its requester email is theirs (any spelling);
- merge-log: it names one of their customer ids or record ids.
Their source record ids include those of records found by their unshared email or phone and the
account ids on their activity (a shop customer number) that no other customer holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

from es360.assets import index_alias
from es360.errors import Es360Error
from es360.identity.source import scan_pit
from es360.identity.text import canonical_email
from es360.privacy.normalize import email_variants, normalize_phone

PERSONAL_KINDS = ("records", "activity", "tickets", "rollup", "merge-log", "identity", "customers")
_PHONE_LIKE = re.compile(r"^[0-9+()./\s-]{7,}$")


@dataclass
class Footprint:
    """The person to forget or export, and the identifiers that find their documents."""

    customer_id: str
    customer_ids: list[str]
    profile: dict[str, Any] | None
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    record_ids: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)  # typed identifiers other customers hold too (kept)

    def identifiers(self) -> set[str]:
        """Typed identifiers (`email:…`, `phone:…`, `record:…`) only this person holds."""
        return ({f"email:{e}" for e in self.emails} | {f"phone:{p}" for p in self.phones}
                | {f"record:{r}" for r in self.record_ids})

    def identity_keys(self) -> list[str]:
        """The same identifiers as the identity index and enrich policy key them."""
        return sorted({f"email:{e}" for e in self.emails} | {f"phone:{p}" for p in self.phones} | self.record_ids)

    def counts(self) -> dict[str, int]:
        return {"email": len(self.emails), "phone": len(self.phones), "record": len(self.record_ids),
                "shared_kept": len(self.shared)}

    def query(self, kind: str) -> dict[str, Any]:
        """The query selecting this person's documents in the index of `kind`."""
        ids = {"terms": {"customer_id": self.customer_ids}}
        emails, phones, records = sorted(self.emails), sorted(self.phones), sorted(self.record_ids)
        email_keys = [f"email:{e}" for e in emails]
        clauses: list[dict[str, Any]] = [ids]
        if kind == "identity":
            clauses.append(_terms("identifier", self.identity_keys()))
        elif kind == "records":
            clauses.append(_terms("record_id", records))
            clauses.append(_unresolved([_terms("email", emails), _terms("phone", phones),
                                        *self._mailboxes("email")]))
        elif kind == "activity":
            clauses.append(_terms("identity.keys", records))
            clauses.append(_unresolved([_terms("identity.keys", email_keys), _terms("identity.email", emails),
                                        *self._mailboxes("identity.email")]))
        elif kind == "tickets":
            clauses.append(_unresolved([_terms("requester.email", emails), *self._mailboxes("requester.email")]))
        elif kind == "merge-log":
            clauses.append(_terms("other_customer_ids", self.customer_ids))
            clauses.append(_terms("record_ids", records))
        elif kind not in ("customers", "rollup"):
            raise ValueError(kind)
        useful = [c for c in clauses if c]
        return {"bool": {"should": useful, "minimum_should_match": 1}}

    def _mailboxes(self, field_name: str) -> list[dict[str, Any]]:
        """Any spelling of the person's mailboxes (`sam+news@…`, `s.a.m@googlemail.com`) in `field_name`."""
        mailboxes = sorted(m for m in {canonical_email(e) for e in self.emails} if not m.startswith("@"))
        return [{"regexp": {field_name: {"value": mailbox_regexp(m), "flags": "NONE"}}} for m in mailboxes]


def mailbox_regexp(mailbox: str) -> str:
    """A Lucene regular expression matching every stored email that canonical_email maps to `mailbox`:
    an optional `+tag`, and for Gmail dots anywhere in the local part and the googlemail.com domain."""
    local, _, domain = mailbox.rpartition("@")

    def literal(text: str) -> str:
        return "".join(ch if ch.isascii() and ch.isalnum() else "\\" + ch for ch in text)

    if domain == "gmail.com":
        local_re = "\\.*" + "".join(literal(ch) + "\\.*" for ch in local)
        domain_re = "(gmail|googlemail)\\.com"
    else:
        local_re, domain_re = literal(local), literal(domain)
    return f"{local_re}(\\+.*)?\\@{domain_re}"


def _terms(field_name: str, values: list[str]) -> dict[str, Any]:
    return {"terms": {field_name: values}} if values else {}


def _unresolved(alternatives: list[dict[str, Any]]) -> dict[str, Any]:
    useful = [a for a in alternatives if a]
    if not useful:
        return {}
    return {"bool": {"must_not": [{"exists": {"field": "customer_id"}}],
                     "should": useful, "minimum_should_match": 1}}


def _candidate_keys(text: str) -> list[str]:
    """Identity keys the text could be: a source id as typed, an email, an E.164 phone."""
    keys = {text}
    if "@" in text:
        keys.update(f"email:{e}" for e in email_variants(text))
    if _PHONE_LIKE.match(text):
        phone = normalize_phone(text)
        if phone:
            keys.add(f"phone:{phone}")
    return sorted(keys)


def _has_customer_id(es: Elasticsearch, prefix: str, customer_id: str) -> bool:
    indices = ",".join(index_alias(k, prefix) for k in ("customers", "identity", "records"))
    resp = es.count(index=indices, query={"term": {"customer_id": customer_id}}, ignore_unavailable=True)
    return bool(resp["count"])


def resolve_customer(es: Elasticsearch, prefix: str, text: str) -> str:
    """The customer id `text` names: a customer id, or an email, phone or source id (`crm:C-1`) that the
    identity index maps to exactly one customer."""
    text = (text or "").strip()
    if not text:
        raise Es360Error("Say which customer: a customer id, or an email, phone or source id (crm:C-1).")
    for kind in ("customers", "identity", "records"):
        if not es.indices.exists_alias(name=index_alias(kind, prefix)):
            raise Es360Error(f"Index alias {index_alias(kind, prefix)} does not exist; run `es360 setup` first.")
    if _has_customer_id(es, prefix, text):
        return text
    resp = es.search(index=index_alias("identity", prefix), size=0,
                     query={"terms": {"identifier": _candidate_keys(text)}},
                     aggs={"ids": {"terms": {"field": "customer_id", "size": 10}}})
    found = [b["key"] for b in resp["aggregations"]["ids"]["buckets"]]
    if not found:
        raise Es360Error(f"No es360 customer has the id or identifier {text!r} (records ingested since the last "
                         f"`es360 resolve` have no customer yet); nothing was changed.")
    if len(found) > 1:
        raise Es360Error(f"{text!r} belongs to {len(found)} customers ({', '.join(found)}); pass one customer id.")
    return str(found[0])


def build_footprint(es: Elasticsearch, prefix: str, customer_id: str) -> Footprint:
    """Gather the person's customer ids and identifiers from the profile, records and identity index."""
    resp = es.search(index=index_alias("customers", prefix), size=1, query={"term": {"customer_id": customer_id}})
    hits = resp["hits"]["hits"]
    profile = hits[0]["_source"] if hits else None
    merged = ((profile or {}).get("resolution") or {}).get("merged_from") or []
    ids = sorted({customer_id, *merged})
    fp = Footprint(customer_id, ids, profile)
    if profile:
        for email in profile.get("emails") or []:
            fp.emails.update(email_variants(email))
        fp.phones.update(profile.get("phones") or [])
        fp.record_ids.update(profile.get("record_ids") or [])
    mine = {"terms": {"customer_id": ids}}
    for hit in scan_pit(es, index_alias("records", prefix), query=mine,
                        fields=["record_id", "source", "source_id", "email", "phone"]):
        src = hit.get("_source") or {}
        fp.emails.update(email_variants(src.get("email")))
        if src.get("phone"):
            fp.phones.add(str(src["phone"]))
        if src.get("record_id"):
            fp.record_ids.add(str(src["record_id"]))
    for hit in scan_pit(es, index_alias("identity", prefix), query=mine, fields=["identifier", "type", "value"]):
        src = hit.get("_source") or {}
        kind, value = src.get("type"), str(src.get("value") or "")
        if kind == "email":
            fp.emails.update(email_variants(value))
        elif kind == "phone" and value:
            fp.phones.add(value)
        elif src.get("identifier"):
            fp.record_ids.add(str(src["identifier"]))
    _split_shared(es, prefix, fp)
    _add_linked_record_ids(es, prefix, fp)
    return fp


def _add_linked_record_ids(es: Elasticsearch, prefix: str, fp: Footprint) -> None:
    """Source ids the person's documents carry but resolution never saw: the record id of a record not
    yet resolved (found by their email or phone), and the account id on their activity (a shop
    customer number) unless the identity index gives that id to another customer."""
    found = {str(hit["_source"]["record_id"]) for hit in scan_pit(es, index_alias("records", prefix),
                                                                  query=fp.query("records"), fields=["record_id"])
             if (hit.get("_source") or {}).get("record_id")}
    for hit in scan_pit(es, index_alias("activity", prefix), query=fp.query("activity"), fields=["identity"]):
        identity = (hit.get("_source") or {}).get("identity") or {}
        if identity.get("source") and identity.get("source_id") not in (None, ""):
            found.add(f"{identity['source']}:{identity['source_id']}")
    new = sorted(found - fp.record_ids)
    if not new:
        return
    resp = es.search(index=index_alias("identity", prefix), size=len(new), _source=["identifier"],
                     query={"bool": {"filter": [{"terms": {"identifier": new}}],
                                     "must_not": [{"terms": {"customer_id": fp.customer_ids}}]}})
    claimed = {str((h.get("_source") or {}).get("identifier")) for h in resp["hits"]["hits"]}
    fp.record_ids.update(r for r in new if r not in claimed)


def _split_shared(es: Elasticsearch, prefix: str, fp: Footprint) -> None:
    """Move emails and phones that other customers also hold from the person's sets to `shared`."""
    others = {"bool": {"must_not": [{"terms": {"customer_id": fp.customer_ids}}],
                       "filter": [{"exists": {"field": "customer_id"}}]}}
    emails, phones = sorted(fp.emails), sorted(fp.phones)
    if not emails and not phones:
        return
    shared_emails: set[str] = set()
    shared_phones: set[str] = set()
    query = {"bool": {**others["bool"], "should": [c for c in (_terms("email", emails), _terms("phone", phones)) if c],
                      "minimum_should_match": 1}}
    for hit in scan_pit(es, index_alias("records", prefix), query=query, fields=["email", "phone"]):
        src = hit.get("_source") or {}
        shared_emails.update(e for e in email_variants(src.get("email")) if e in fp.emails)
        if src.get("phone") in fp.phones:
            shared_phones.add(str(src["phone"]))
    keys = [f"email:{e}" for e in emails] + [f"phone:{p}" for p in phones]
    query = {"bool": {**others["bool"], "should": [{"terms": {"identifier": keys}}], "minimum_should_match": 1}}
    for hit in scan_pit(es, index_alias("identity", prefix), query=query, fields=["type", "value"]):
        src = hit.get("_source") or {}
        (shared_emails if src.get("type") == "email" else shared_phones).add(str(src.get("value")))
    # a mailbox is shared when any of its spellings is: sam.smith@gmail.com shares samsmith@gmail.com
    mailboxes = {canonical_email(e) for e in shared_emails}
    shared_emails.update(e for e in fp.emails if canonical_email(e) in mailboxes)
    shared_emails &= fp.emails
    shared_phones &= fp.phones
    fp.emails -= shared_emails
    fp.phones -= shared_phones
    fp.shared = {f"email:{e}" for e in shared_emails} | {f"phone:{p}" for p in shared_phones}
