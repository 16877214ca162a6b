"""CRM contacts: crm/contacts.csv."""

from __future__ import annotations

from es360.demo.behaviour import Plan
from es360.demo.people import Person
from es360.demo.timefmt import DAY, iso_z
from es360.demo.world import World

OWNERS = ("Anna Keller", "Tom Briggs", "Priya Nair", "Lukas Brandt", "María López", "James O'Neil",
          "Sofie Jansen", "Chen Wei", "", "", "")


def write_contacts(w: World, p: Person, plan: Plan, in_marketing: bool) -> None:
    """One contact per person, sometimes a second (duplicate) one created later."""
    rng, v, now = w.rng, w.views, w.now
    if plan.segment == "new":
        created = min(plan.start + int(rng.random() * 5 * DAY), now - 3600)
    else:
        created = plan.start + int((rng.random() * 230 - 200) * DAY)
    copies = 2 if rng.random() < w.rates.noise.crm_duplicate else 1
    for k in range(copies):
        if k:
            lo = created + 30 * DAY if plan.segment != "new" else created
            created = min(now - 3600, lo + int(rng.random() * 600 * DAY))
        updated = created + int(rng.random() ** 2 * (now - created))
        first, last = v.names(p)
        email = v.email(p, work_bias=0.15)
        web_lead = k == 1 and rng.random() < 0.5  # a lead from a web form: name and email only
        phone = "" if web_lead else v.phone(p)
        stale = p.old_address is not None and rng.random() < w.rates.noise.stale_crm_address
        street, city, postcode = ("", "", "") if web_lead else v.address(p, stale=stale)
        if not web_lead and v.missing():
            street = ""
        country = "" if web_lead else v.country_label(p)
        birth = "" if web_lead else v.birth_date(p)
        opt_in = _opt_in(rng.random(), in_marketing)
        owner = OWNERS[int(rng.random() * len(OWNERS))]
        cid = w.ids.contact()
        w.sinks.contacts.write((cid, first, last, email, phone, street, city, postcode, country, birth,
                                iso_z(created), iso_z(updated), opt_in, owner))
        p.records.append({"source": "crm", "id": cid})


def _opt_in(x: float, in_marketing: bool) -> str:
    if in_marketing:
        return "yes" if x < 0.65 else ("" if x < 0.85 else "no")
    return "no" if x < 0.45 else ("" if x < 0.9 else "yes")
