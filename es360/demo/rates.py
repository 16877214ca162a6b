"""Every rate of the demo world in one place: who is where, how messy records are, how much happens."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Presence:
    """Share of people with records in each system."""

    crm: float = 0.70
    shop: float = 0.80
    support: float = 0.35
    marketing: float = 0.60
    anonymous_web: float = 0.5  # people outside the shop who browse the site anonymously


@dataclass(frozen=True, slots=True)
class Noise:
    """How often each kind of mess appears in one record (or one person, where noted)."""

    nickname: float = 0.18  # first name written as a nickname, when the name has one
    typo: float = 0.04  # one edit in the first or last name
    swapped_names: float = 0.025  # first and last name in each other's fields
    initials: float = 0.03  # "S. Johnson" / "Sam J."
    name_case: float = 0.03  # ALL CAPS or all lower
    strip_accents: float = 0.25  # José -> Jose (when the name has accents)
    email_case: float = 0.07
    gmail_dots: float = 0.3  # of gmail addresses: dots added or removed
    plus_tag: float = 0.04
    email_missing: float = 0.04
    email_whitespace: float = 0.01
    other_email: float = 0.25  # record uses the person's other (work) address
    phone_missing: float = 0.15
    phone_extension: float = 0.01
    moved: float = 0.15  # person: moved house; the CRM often keeps the old address
    stale_crm_address: float = 0.7
    street_abbreviation: float = 0.2
    city_alias: float = 0.1  # Munich for München
    postcode_missing: float = 0.05
    field_missing: float = 0.05  # any other optional field left empty
    birth_date_missing: float = 0.2
    household: float = 0.08  # person: lives with a partner sharing one family email
    same_name: float = 0.02  # person: has a namesake (same first and last name), a different person
    same_name_same_city: float = 0.5
    crm_duplicate: float = 0.04  # person: a second CRM contact
    shop_duplicate: float = 0.03  # person: a second shop account
    marketing_duplicate: float = 0.03  # person: subscribed twice, with two addresses
    guest_order: float = 0.03  # order placed as a guest (no customer number)
    order_email_differs: float = 0.05
    currency_mismatch: float = 0.02
    bounce: float = 0.03  # subscriber's address has a typo in its domain and bounces


@dataclass(frozen=True, slots=True)
class Volume:
    """How much activity happens."""

    refund: float = 0.06  # share of orders refunded (fully or partly)
    cancelled: float = 0.03
    web_days: int = 365  # web analytics keep one year
    web_tracked: float = 0.7  # share of sessions the analytics see (consent, ad blockers)
    email_days: int = 450  # the email platform exports 15 months
    campaign_every_days: int = 14
    campaign_reach: float = 0.3  # share of campaigns a subscriber is sent
    anonymous_visitors: float = 0.25  # background visitors (no person) per person
    tickets_per_support_person: float = 2.9
    segment_mix: tuple[tuple[str, float], ...] = (
        ("loyal", 0.25), ("declining", 0.15), ("churned", 0.20), ("new", 0.10), ("reactivated", 0.08),
        ("one_time", 0.22),
    )


@dataclass(frozen=True, slots=True)
class Rates:
    """All rates of a demo world."""

    presence: Presence = field(default_factory=Presence)
    noise: Noise = field(default_factory=Noise)
    volume: Volume = field(default_factory=Volume)


DEFAULT_RATES = Rates()
