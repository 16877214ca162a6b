"""Synthetic people and their source records, with known truth, for tests and benchmarks.

Independent of the demo world (es360/demo) on purpose: its own name pools, households, life events
and noise, so identity resolution is never tuned on one generator only. Records come out already
shaped like documents of the records index (what the records pipeline produces), so they can be
resolved in-process or bulk-indexed (the pipeline leaves them unchanged).

Noise, per record: nicknames, initials, typos (keyboard, dropped, doubled, transposed letters),
first/last swapped, ALL CAPS, maiden names, double-barrelled surnames, Gmail dots and +tags,
work vs personal vs old email, wrong country code or one wrong digit in phones, day/month swapped
or mistyped birth dates, moved addresses and abbreviated streets, missing fields. Hard negatives:
households sharing an email, a landline and an address; twins; namesakes (same name, different person).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

from es360.identity.text import canonical_email, clean_name


def _words(text: str) -> tuple[str, ...]:
    """Space-separated words; an underscore joins a multi-word name ('van_der_Berg')."""
    return tuple(w.replace("_", " ") for w in text.split())


_MALE = _words("James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew Anthony Steven "
         "Andrew Kenneth Joshua Kevin Brian George Edward Ronald Timothy Jason Jeffrey Ryan Jacob Gary "
         "Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Frank "
         "Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Henry Adam Douglas Nathan Peter Zachary Kyle "
         "Walter Harold Carl Jeremy Keith Roger Gerald Ethan Arthur Terry Christian Sean Lawrence Austin Joe "
         "Noah Jesse Albert Bryan Billy Bruce Willie Jordan Dylan Alan Ralph Gabriel Roy Juan Wayne Eugene "
         "Louis Russell Vincent Philip Bobby Johnny Bradley Stefan Lukas Jonas Matthias Pierre Antoine "
         "Julien Giovanni Marco Luca Pablo Javier Diego Wojciech Tomasz Piotr Krzysztof Sven Lars Niels "
         "Rahul Arjun Vikram Hiroshi Kenji Minh Tuan Mehmet Emre Kwame Tunde Oluwaseun Mateus Thiago")
_FEMALE = _words("Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Margaret Betty "
           "Sandra Ashley Dorothy Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie "
           "Rebecca Laura Sharon Cynthia Kathleen Amy Shirley Angela Helen Anna Brenda Pamela Nicole Samantha "
           "Katherine Emma Ruth Christine Catherine Debra Rachel Carolyn Janet Virginia Maria Heather Diane "
           "Julie Joyce Victoria Kelly Christina Joan Evelyn Lauren Judith Olivia Frances Martha Cheryl Megan "
           "Andrea Hannah Jacqueline Ann Jean Alice Kathryn Gloria Teresa Doris Sara Janice Julia Marie "
           "Madison Grace Judy Theresa Beverly Denise Marilyn Amber Danielle Abigail Brittany Rose Diana "
           "Natalie Sophia Alexandra Charlotte Katarzyna Agnieszka Malgorzata Sabine Ursula Claudia Petra "
           "Isabelle Camille Chiara Giulia Lucia Carmen Ingrid Astrid Priya Ananya Yuki Sakura Linh Mai "
           "Ayse Zeynep Amara Chiamaka Fernanda Beatriz")
_SURNAMES = _words("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
             "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
             "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
             "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
             "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
             "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
             "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster "
             "Jimenez Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
             "Dubois Durand Lefebvre Moreau Laurent Simon Michel Rossi Russo Ferrari Esposito Bianchi Romano "
             "Kowalski Nowak Wisniewski Wojcik Jensen Nielsen Hansen Andersen Larsen Johansson Karlsson "
             "Sharma Gupta Singh Kumar Tanaka Suzuki Sato Takahashi Tran Pham Yilmaz Kaya Demir Okafor Mensah "
             "Adeyemi Silva Santos Oliveira Souza O'Brien McDonald van_der_Berg de_Jong")
_SYLLABLES = _words("ka ro mi ten bar vel dor sin ash lun tor quin hal mer zan fel gor ril bek sto vin dal nor pel "
              "rus tam wen yor cas lin dru fen gal hov jem kor lom mos nev oss pry rak sel tov ulm vas wyn")
_CITIES = {
    "GB": ("+44", (("London", "SW1A"), ("Manchester", "M1"), ("Leeds", "LS1"), ("Bristol", "BS1"), ("York", "YO1"))),
    "US": ("+1", (("Boston", "021"), ("Denver", "802"), ("Austin", "787"), ("Seattle", "981"), ("Miami", "331"))),
    "DE": ("+49", (("Berlin", "101"), ("Hamburg", "201"), ("München", "803"), ("Köln", "506"), ("Leipzig", "041"))),
    "FR": ("+33", (("Paris", "750"), ("Lyon", "690"), ("Marseille", "130"), ("Lille", "590"), ("Nantes", "440"))),
    "NL": ("+31", (("Amsterdam", "10"), ("Utrecht", "35"), ("Rotterdam", "30"), ("Leiden", "23"), ("Delft", "26"))),
    "ES": ("+34", (("Madrid", "280"), ("Sevilla", "410"), ("Valencia", "460"), ("Bilbao", "480"), ("Malaga", "290"))),
}
_STREETS = ("Oak Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "High Street", "Elm Drive",
            "Lindenstraße", "Bahnhofstraße", "rue de la Paix", "Kerkstraat", "Calle Mayor", "Via Roma",
            "Maple Avenue", "Victoria Road", "Cedar Court", "King Street", "Queen's Road", "Lake View", "Hill Road")
_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
            "gmx.de", "web.de", "orange.fr", "live.nl", "proton.me", "aol.com")
_NICKS = {"William": ("Bill", "Will", "Billy"), "Robert": ("Bob", "Rob", "Bobby"), "Richard": ("Rick", "Dick", "Rich"),
          "Elizabeth": ("Liz", "Beth", "Betty", "Eliza"), "Margaret": ("Peggy", "Maggie", "Meg"),
          "Katherine": ("Kate", "Kathy", "Katie"), "Catherine": ("Cathy", "Kate"), "Kathleen": ("Kathy", "Kate"),
          "Samuel": ("Sam", "Sammy"), "Samantha": ("Sam", "Sammy"), "Michael": ("Mike", "Mick"),
          "Alexander": ("Alex", "Xander"), "Alexandra": ("Alex", "Lexi"), "James": ("Jim", "Jimmy", "Jamie"),
          "Charles": ("Chuck", "Charlie"), "John": ("Jack", "Johnny"), "Anthony": ("Tony",), "Thomas": ("Tom", "Tommy"),
          "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",), "Joseph": ("Joe", "Joey"), "Edward": ("Ed", "Ted", "Eddie"),
          "Jennifer": ("Jen", "Jenny"), "Patricia": ("Pat", "Trish"), "Susan": ("Sue", "Susie"),
          "Rebecca": ("Becky", "Becca"), "Deborah": ("Deb", "Debbie"), "Victoria": ("Vicky", "Tori"),
          "Jessica": ("Jess",), "Nicholas": ("Nick",), "Benjamin": ("Ben",), "Andrew": ("Andy", "Drew"),
          "Steven": ("Steve",), "Stephen": ("Steve",), "Timothy": ("Tim",), "Gregory": ("Greg",),
          "Kenneth": ("Ken", "Kenny"), "Ronald": ("Ron",), "Douglas": ("Doug",), "Zachary": ("Zach",),
          "Jacob": ("Jake",), "Nathan": ("Nate",), "Pamela": ("Pam",), "Kimberly": ("Kim",),
          "Stephanie": ("Steph",), "Jacqueline": ("Jackie",), "Abigail": ("Abby",), "Amanda": ("Mandy",),
          "Teresa": ("Terry", "Tess"), "Judith": ("Judy",), "Frances": ("Fran",), "Christine": ("Chris", "Tina"),
          "Christina": ("Tina",), "Victor": ("Vic",), "Katarzyna": ("Kasia",), "Malgorzata": ("Gosia",),
          "Wojciech": ("Wojtek",), "Tomasz": ("Tomek",), "Giovanni": ("Gianni",), "Dorothy": ("Dot",),
          "Barbara": ("Barb",), "Lawrence": ("Larry",), "Gerald": ("Jerry",), "Joshua": ("Josh",),
          "Philip": ("Phil",), "Vincent": ("Vince",), "Walter": ("Walt",), "Arthur": ("Art",), "Albert": ("Al",),
          "Russell": ("Russ",), "Frank": ("Frankie",), "Jonathan": ("Jon",), "Raymond": ("Ray",), "Diana": ("Di",)}
_KEYS = "qwertyuiopasdfghjklzxcvbnm"


@dataclass
class Person:
    """One true person: the attributes each source system may record about them."""

    pid: str
    first: str
    last: str
    female: bool
    dob: str
    country: str
    city: str
    postcode: str
    street: str
    emails: list[str] = field(default_factory=list)  # personal first; later ones: work / newer
    old_email: str | None = None
    phone: str | None = None
    landline: str | None = None
    family_email: str | None = None
    maiden: str | None = None
    old_address: tuple[str, str, str] | None = None


@dataclass
class World:
    """Records (as records-index documents) and the truth: record_id -> person id."""

    records: list[dict[str, Any]]
    truth: dict[str, str]

    def write_truth(self, path: Path) -> None:
        """The truth in the demo's format: one line per person with its records."""
        people: dict[str, list[dict[str, str]]] = {}
        for record_id, pid in self.truth.items():
            source, _, sid = record_id.partition(":")
            people.setdefault(pid, []).append({"source": source, "id": sid})
        with path.open("w") as fh:
            for pid, recs in sorted(people.items()):
                fh.write(json.dumps({"person_id": pid, "records": recs}) + "\n")


class _Gen:
    def __init__(self, seed: int, noise: float) -> None:
        self.rng = Random(seed)
        self.noise = noise
        self.seq: dict[str, int] = {}
        self.used_emails: set[str] = set()

    def chance(self, p: float) -> bool:
        return self.rng.random() < p * self.noise

    def pick(self, items: Any) -> Any:
        return items[self.rng.randrange(len(items))]

    def zipf_pick(self, items: list[str], s: float = 1.1) -> str:
        # heavy head: the first names of a pool are far more common than the tail
        weights = self.__dict__.setdefault(f"w{len(items)}{s}", [1 / (i + 1) ** s for i in range(len(items))])
        return self.rng.choices(items, weights=weights)[0]

    def next_id(self, prefix: str) -> str:
        self.seq[prefix] = self.seq.get(prefix, 0) + 1
        return f"{prefix}{self.seq[prefix]:07d}"

    def rare_surname(self) -> str:
        return "".join(self.pick(_SYLLABLES) for _ in range(self.rng.randint(2, 3))).capitalize()

    def surname(self) -> str:
        return self.rare_surname() if self.rng.random() < 0.35 else self.zipf_pick(_SURNAMES, 0.9)

    def dob(self) -> str:
        return f"{self.rng.randint(1940, 2006)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"

    def phone(self, country: str) -> str:
        code = _CITIES[country][0]
        return code + "".join(str(self.rng.randrange(10)) for _ in range(10 if code == "+1" else 9))

    def address(self, country: str) -> tuple[str, str, str]:
        city, pc = self.pick(_CITIES[country][1])
        postcode = pc + "".join(str(self.rng.randrange(10)) for _ in range(max(5 - len(pc), 2)))
        if country == "GB":
            postcode = f"{pc} {self.rng.randrange(1, 9)}{self.pick('ABDEFGHJLNPQRSTUWXYZ')}{self.pick('ABDEFGHJLN')}"
        return f"{self.rng.randint(1, 220)} {self.pick(_STREETS)}", city, postcode

    def email(self, first: str, last: str, dob: str, domain: str | None = None) -> str:
        f, la = _ascii(first), _ascii(last)
        style = self.rng.randrange(7)
        local = (f"{f}.{la}", f"{f}{la}", f"{f[0]}{la}", f"{la}.{f}", f"{f}{dob[2:4]}", f"{f}.{la}{self.rng.randint(1, 99)}",
                 f"{f[0]}.{la}{dob[:4]}")[style]
        address = f"{local}@{domain or self.pick(_DOMAINS)}"
        while canonical_email(address) in self.used_emails:  # one mailbox, one owner (Gmail ignores dots)
            address = f"{local}{self.rng.randint(2, 999)}@{domain or self.pick(_DOMAINS)}"
        self.used_emails.add(canonical_email(address))
        return address


def _ascii(name: str) -> str:
    return clean_name(name).replace(" ", "") or "x"


def _typo(g: _Gen, text: str) -> str:
    if len(text) < 4:
        return text
    i = g.rng.randrange(1, len(text) - 1)
    op = g.rng.randrange(4)
    if op == 0:
        return text[:i] + text[i + 1:]
    if op == 1:
        return text[:i] + text[i] + text[i:]
    if op == 2:
        return text[:i] + g.pick(_KEYS) + text[i + 1:]
    return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]


def _make_people(g: _Gen, n: int) -> list[Person]:
    people: list[Person] = []
    while len(people) < n:
        size = 1 if g.rng.random() < 0.72 else g.rng.choice((2, 2, 2, 3, 3, 4))
        country = g.pick(tuple(_CITIES))
        street, city, postcode = g.address(country)
        last = g.surname()
        landline = g.phone(country) if size > 1 and g.rng.random() < 0.5 else None
        family_email = None
        twins = size > 1 and g.rng.random() < 0.08
        base_dob = g.dob()
        members: list[Person] = []
        for k in range(size):
            female = g.rng.random() < 0.5
            first = g.zipf_pick(list(_FEMALE if female else _MALE), 0.8)
            while any(m.first == first for m in members):
                first = g.zipf_pick(list(_FEMALE if female else _MALE), 0.8)
            dob = base_dob if twins and k < 2 else g.dob()
            p = Person(f"P{len(people) + len(members):07d}", first, last, female, dob, country, city, postcode, street)
            p.emails.append(g.email(first, last, dob))
            if g.rng.random() < 0.3:
                p.emails.append(g.email(first, last, dob, f"{g.pick(_SYLLABLES)}{g.pick(_SYLLABLES)}corp.com"))
            if g.rng.random() < 0.12:
                p.old_email = g.email(first, last, dob)
            p.phone = g.phone(country) if g.rng.random() < 0.75 else None
            p.landline = landline
            if female and k > 0 and g.rng.random() < 0.3:
                p.maiden = g.surname()
            if g.rng.random() < 0.1:
                p.old_address = g.address(country)
            members.append(p)
        if size > 1 and g.rng.random() < 0.35:
            family_email = g.email(members[0].last, "family", "2000", None)
            for m in members:
                m.family_email = family_email
        people.extend(members)
    namesakes = max(1, n // 50)  # same first and last name, otherwise a different person
    for k in range(namesakes):
        a, b = people[g.rng.randrange(len(people))], people[g.rng.randrange(len(people))]
        if a is not b and a.female == b.female and not (a.family_email and a.family_email == b.family_email):
            b.first, b.last = a.first, a.last
            b.emails = [g.email(b.first, b.last, b.dob)]
        del k
    return people[:n]


def _name_variant(g: _Gen, p: Person, last: str) -> tuple[str, str]:
    first = p.first
    if p.first in _NICKS and g.chance(0.18):
        first = g.pick(_NICKS[p.first])
    if g.chance(0.05):
        first = _typo(g, first)
    if g.chance(0.05):
        last = _typo(g, last)
    if g.chance(0.02):
        last = f"{last}-{g.surname()}" if g.rng.random() < 0.5 else f"{last} {g.surname()}"
    if g.chance(0.04):
        first, last = first.upper(), last.upper()
    return first, last


def _phone_variant(g: _Gen, phone: str | None) -> str | None:
    if phone is None:
        return None
    if g.chance(0.03):
        return "+1" + phone[-10:] if not phone.startswith("+1") else "+44" + phone[-10:]
    if g.chance(0.02):
        i = g.rng.randrange(4, len(phone))
        return phone[:i] + str((int(phone[i]) + 1) % 10) + phone[i + 1:]
    return phone


def _email_variant(g: _Gen, email: str) -> str:
    local, _, domain = email.partition("@")
    if domain == "gmail.com" and g.chance(0.1):
        local = local.replace(".", "") if "." in local else local[:2] + "." + local[2:]
    if g.chance(0.05):
        local += "+" + g.pick(("shop", "news", "x", "2023"))
    if g.chance(0.05):
        local = local.capitalize()
    return f"{local}@{domain}"


def _dob_variant(g: _Gen, dob: str) -> str:
    if g.chance(0.03) and int(dob[8:10]) <= 12:
        return f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}"
    if g.chance(0.02):
        i = g.rng.choice((2, 3, 9))
        return dob[:i] + str((int(dob[i]) + 1) % 10) + dob[i + 1:]
    return dob


def _stamp(g: _Gen) -> str:
    return f"20{g.rng.randint(15, 25)}-{g.rng.randint(1, 12):02d}-{g.rng.randint(1, 28):02d}T{g.rng.randint(0, 23):02d}:00:00Z"


def _email_for(g: _Gen, p: Person, source: str) -> str:
    """Mostly the personal address; sometimes the family, an old or (crm, support) the work one."""
    work = p.emails[1] if len(p.emails) > 1 else p.emails[0]
    r = g.rng.random()
    shares = {"crm": (0.2, 0.04, 0.03), "shop": (0.0, 0.06, 0.04), "support": (0.08, 0.04, 0.02),
              "marketing": (0.0, 0.03, 0.03)}[source]
    if r < shares[0]:
        return work
    if p.family_email and r < shares[0] + shares[1]:
        return p.family_email
    if p.old_email and r > 1 - shares[2]:
        return p.old_email
    return p.emails[0]


def _record(g: _Gen, p: Person, source: str) -> dict[str, Any]:
    last = p.maiden if p.maiden and g.rng.random() < 0.3 else p.last
    first, last = _name_variant(g, p, last)
    doc: dict[str, Any] = {"source": source, "created_at": _stamp(g)}
    if g.rng.random() < 0.3:
        doc["updated_at"] = _stamp(g)
    street, city, postcode = p.old_address if p.old_address and g.rng.random() < 0.5 else (p.street, p.city, p.postcode)
    if g.chance(0.1):
        street = street.replace("Street", "St").replace("Road", "Rd").replace("straße", "str.")
    email = _email_variant(g, _email_for(g, p, source))
    if source == "crm":
        doc["source_id"] = g.next_id("C-")
        doc["name"] = {"first": first, "last": last}
        if g.chance(0.04):
            doc["name"] = {"first": last, "last": first}
        doc["email"] = email
        doc["phone"] = _phone_variant(g, p.phone or p.landline)
        if g.rng.random() < 0.9:
            doc["birth_date"] = _dob_variant(g, p.dob)
        doc["address"] = {"street": street, "city": city, "postcode": postcode, "country": p.country}
    elif source == "shop":
        doc["source_id"] = g.next_id("S-")
        if g.chance(0.05):
            first = first[0] + "."
        doc["name"] = {"full": f"{first} {last}" if g.rng.random() < 0.8 else f"{last}, {first}"}
        doc["email"] = email
        doc["phone"] = _phone_variant(g, p.phone) if g.rng.random() < 0.7 else None
        if g.rng.random() < 0.3:
            doc["birth_date"] = _dob_variant(g, p.dob)
        if g.rng.random() < 0.9:
            doc["address"] = {"street": street, "city": city, "postcode": postcode, "country": p.country}
    elif source == "support":
        doc["source_id"] = email
        doc["email"] = email
        if g.chance(0.1):
            first = first[0] + "."
        doc["name"] = {"full": f"{first} {last}" if not g.chance(0.04) else f"{last} {first}"}
        doc["phone"] = _phone_variant(g, p.phone or p.landline) if g.rng.random() < 0.5 else None
    else:
        doc["source_id"] = g.next_id("M-")
        doc["email"] = email
        if g.rng.random() < 0.9:
            doc["name"] = {"first": first, "last": last} if not g.chance(0.05) else {"first": first[0] + ".", "last": last}
        doc["address"] = {"country": p.country}
    doc["consent"] = {"email": {"status": g.pick(("opt_in", "opt_in", "opt_out", "unknown"))}}
    return _clean(doc)


def _prune(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            value = _prune(value)
        if value not in (None, "", {}):
            out[key] = value
    return out


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    """Shape a record the way the records pipeline leaves it (full name, email parts, record_id)."""
    out = _prune(doc)
    if "name" in out:
        name = out["name"]
        if "full" not in name:
            name["full"] = f"{name.get('first', '')} {name.get('last', '')}".strip()
    if "email" in out:
        email = out["email"].strip().lower()
        out["email_local"], _, out["email_domain"] = email.partition("@")
        out["email"] = email
    if "phone" in out:
        out["phone_last4"] = out["phone"][-4:]
    out["record_id"] = f"{out['source']}:{out['source_id']}"
    return out


def generate_world(people: int, seed: int = 1, noise: float = 1.0) -> World:
    """`people` synthetic people and their records in crm, shop, support and marketing."""
    g = _Gen(seed, noise)
    records: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    for p in _make_people(g, people):
        sources = [s for s, share in (("crm", 0.55), ("shop", 0.75), ("support", 0.3), ("marketing", 0.5))
                   if g.rng.random() < share] or ["shop"]
        if g.rng.random() < 0.06:
            sources.append("shop")  # a second shop account
        if "support" in sources and g.rng.random() < 0.3:
            sources.append("support")
        seen_support: set[str] = set()
        for source in sources:
            doc = _record(g, p, source)
            if source == "support":
                if doc["source_id"] in seen_support:
                    continue
                seen_support.add(doc["source_id"])
            if doc["record_id"] in truth:  # a support email shared by a household: one requester record
                continue
            truth[doc["record_id"]] = p.pid
            records.append(doc)
    g.rng.shuffle(records)
    return World(records, truth)


def world_digest(world: World) -> str:
    """A short hash of a world, to check that generation is deterministic."""
    return hashlib.sha256(json.dumps(world.records, sort_keys=True).encode()).hexdigest()[:16]
