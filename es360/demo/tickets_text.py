"""Natural ticket subjects and bodies: many phrasings per issue type, by channel, mood and length."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from random import Random

from es360.demo import ticket_phrases as P
from es360.demo.noise import typo
from es360.demo.timefmt import DAY, ymd

_ALT = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)\}")
_DOUBLE_ARTICLE = re.compile(r"\b(the|my|a|an|your|our|this) the ", re.IGNORECASE)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBERS = {3: "three", 5: "five", 7: "seven", 10: "ten", 12: "twelve", 14: "fourteen", 20: "twenty"}
_CURRENCY_SIGN = {"EUR": "€", "USD": "$", "GBP": "£"}
_CARDS = ("my Visa", "Visa ending in {n}", "my Mastercard", "Mastercard ending {n}", "my credit card", "Amex",
          "PayPal", "my debit card", "Apple Pay", "card ****{n}")
_CODES = ("E-402", "ERR_3DS_TIMEOUT", "PAY-1007", "card_declined", "05 Do not honour", "CHK-500", "51",
          "processing_error", "AUTH_FAILED")


@dataclass(slots=True)
class TicketStyle:
    """How the ticket is written: channel, mood (0 polite .. 3 angry) and length (0 short .. 2 long)."""

    channel: str
    mood: int
    length: int
    signature: str


@lru_cache(maxsize=4096)
def _compile(template: str) -> tuple[str | tuple[str, ...], ...]:
    parts: list[str | tuple[str, ...]] = []
    pos = 0
    for m in _ALT.finditer(template):
        if m.start() > pos:
            parts.append(template[pos:m.start()])
        parts.append(tuple(m.group(1).split("|")))
        pos = m.end()
    if pos < len(template):
        parts.append(template[pos:])
    return tuple(parts)


def render(rng: Random, template: str, slots: Mapping[str, str]) -> str:
    """Pick one alternative per [a|b] group and fill {slots}."""
    out = []
    for part in _compile(template):
        out.append(part if isinstance(part, str) else part[int(rng.random() * len(part))])
    text = "".join(out)
    if "{" in text:
        text = _SLOT.sub(lambda m: _lookup(slots, m.group(1)), text)
        if " the " in text:
            text = _DOUBLE_ARTICLE.sub(lambda m: m.group(1) + " ", text)
    return _tidy(text)


def _lookup(slots: Mapping[str, str], key: str) -> str:
    try:
        return slots[key]
    except KeyError:
        return "{" + key + "}"


def _tidy(text: str) -> str:
    while "  " in text:
        text = text.replace("  ", " ")
    return text.replace(" .", ".").replace(" ,", ",").replace(" ?", "?").strip()


def _one(rng: Random, options: tuple[str, ...]) -> str:
    return options[int(rng.random() * len(options))]


def _some(rng: Random, options: tuple[str, ...], k: int) -> list[str]:
    k = min(k, len(options))
    return rng.sample(options, k) if k else []


def human_date(rng: Random, ts: int, now: int) -> str:
    """A date as people write it in a message about it: 'March 3', '3 March', '03/03', 'last Tuesday'."""
    y, m, d = ymd(ts)
    ago = (now - ts) // DAY
    r = int(rng.random() * 7)
    if r == 0 and ago < 7:
        return f"last {_WEEKDAYS[(ts // DAY + 3) % 7]}"
    if r == 1:
        return f"{d} {_MONTHS[m - 1]}"
    if r == 2:
        return f"{d:02d}/{m:02d}"
    if r == 3:
        return f"{d:02d}.{m:02d}.{y}"
    if r == 4 and ago < 60:
        return f"{ago} days ago" if ago > 1 else "yesterday"
    if r == 5:
        return f"{y}-{m:02d}-{d:02d}"
    return f"{_MONTHS[m - 1]} {d}"


def money(rng: Random, amount: float, currency: str) -> str:
    """'€49.99', '49,99 EUR', '$52.10', 'GBP 40.00'."""
    sign = _CURRENCY_SIGN.get(currency, "")
    r = int(rng.random() * 5)
    if r == 0:
        return f"{amount:.2f} {currency}"
    if r == 1:
        return f"{amount:.2f}".replace(".", ",") + f" {currency}"
    if r == 2:
        return f"{currency} {amount:.2f}"
    if r == 3 and amount == int(amount):
        return f"{sign}{int(amount)}"
    return f"{sign}{amount:.2f}"


def order_ref(rng: Random, order_id: str) -> str:
    """The order id as a customer quotes it: 'O-104233', '#104233', '104233'."""
    digits = order_id.partition("-")[2] or order_id
    return (order_id, f"#{digits}", digits, order_id.replace("-", ""), order_id)[int(rng.random() * 5)]


def card(rng: Random) -> str:
    """A payment method as written in a message."""
    return _one(rng, _CARDS).replace("{n}", f"{int(rng.random() * 10000):04d}")


def error_code(rng: Random) -> str:
    """A payment error code as shown at checkout."""
    return _one(rng, _CODES)


def days_phrase(rng: Random, days: int) -> str:
    """'10' or 'ten'."""
    return _NUMBERS.get(days, str(days)) if rng.random() < 0.4 else str(days)


def compose(rng: Random, issue: str, style: TicketStyle, slots: Mapping[str, str]) -> tuple[str, str]:
    """(subject, description) of one ticket."""
    if style.channel == "phone":
        subject, body = _phone(rng, issue, slots)
    elif style.channel == "chat":
        subject, body = _chat(rng, issue, style, slots)
    else:
        subject, body = _subject(rng, issue, style, slots), _letter(rng, issue, style, slots)
    rate = {"chat": 0.35, "phone": 0.03}.get(style.channel, 0.12)
    if rng.random() < rate:
        body = _typos(rng, body, 1 + int(rng.random() * 3))
    if rng.random() < rate / 3:
        subject = _typos(rng, subject, 1)
    return subject, body


def _subject(rng: Random, issue: str, style: TicketStyle, slots: Mapping[str, str]) -> str:
    subject = render(rng, _one(rng, P.SUBJECTS[issue]), slots)
    r = rng.random()
    if r < 0.12:
        subject = _one(rng, P.PREFIXES) + subject
    elif r < 0.27:
        subject += " " + render(rng, _one(rng, P.SUFFIXES), slots)
    if style.mood == 3 and rng.random() < 0.25:
        subject = subject.upper()
    elif style.mood >= 2 and rng.random() < 0.3:
        subject = subject.rstrip("?.!") + ("!!!" if style.mood == 3 else "!")
    elif rng.random() < 0.08:
        subject = subject.lower()
    return subject


def _letter(rng: Random, issue: str, style: TicketStyle, slots: Mapping[str, str]) -> str:
    lines: list[str] = []
    formal = style.channel == "email"
    if rng.random() < (0.85 if formal else 0.4):
        lines.append(render(rng, _one(rng, P.GREETINGS), slots))
    sentences: list[str] = []
    if style.length == 2 or rng.random() < 0.15:
        sentences.append(render(rng, _one(rng, P.OPENERS), slots))
    n_problems = (1, 1 + int(rng.random() * 2), 2 + int(rng.random() * 3))[style.length]
    sentences += [render(rng, t, slots) for t in _some(rng, P.PROBLEMS[issue], n_problems)]
    n_details = (0, int(rng.random() * 2), 1 + int(rng.random() * 2))[style.length]
    sentences += [render(rng, t, slots) for t in _some(rng, P.DETAILS[issue], n_details)]
    if style.length == 2:
        sentences += [render(rng, t, slots) for t in _some(rng, P.CONTEXT, 1 + int(rng.random() * 2))]
    mood = render(rng, _one(rng, P.MOODS[style.mood]), slots)
    if mood:
        sentences.append(mood)
    n_asks = (int(rng.random() < 0.5), 1, 1 + int(rng.random() * 2))[style.length]
    sentences += [render(rng, t, slots) for t in _some(rng, P.ASKS[issue], n_asks)]
    if style.mood == 3:
        sentences = [s[:-1] + "!" if s.endswith(".") and rng.random() < 0.4 else s for s in sentences]
    if style.length == 2 and len(sentences) > 3:
        cut = 1 + int(rng.random() * (len(sentences) - 1))
        lines += [" ".join(sentences[:cut]), " ".join(sentences[cut:])]
    else:
        lines.append(" ".join(sentences))
    if rng.random() < (0.75 if formal else 0.3):
        lines.append(f"{_one(rng, P.CLOSINGS)}\n{style.signature}")
    if formal and rng.random() < 0.05:
        lines.append("Sent from my iPhone")
    return "\n\n".join(lines)


def _chat(rng: Random, issue: str, style: TicketStyle, slots: Mapping[str, str]) -> tuple[str, str]:
    messages = []
    if rng.random() < 0.6:
        messages.append(_one(rng, P.CHAT_OPENERS))
    for t in _some(rng, P.PROBLEMS[issue], 1 + (style.length == 2)):
        text = render(rng, t, slots)
        messages.append(text.lower().rstrip(".") if rng.random() < 0.5 else text)
    if rng.random() < 0.6:
        messages.append(_one(rng, P.CHAT_ASKS) if rng.random() < 0.5 else render(rng, _one(rng, P.ASKS[issue]), slots))
    if rng.random() < 0.4:
        body = "\n".join(f"Visitor: {m}" for m in messages)
    else:
        body = " ".join(messages)
    first = next((m for m in messages if len(m) > 12), messages[-1])
    subject = (f"Chat: {first[:60].rstrip()}" if rng.random() < 0.5 else _subject(rng, issue, style, slots))
    return subject, body


def _phone(rng: Random, issue: str, slots: Mapping[str, str]) -> tuple[str, str]:
    summary = render(rng, _one(rng, P.CALL_SUMMARY[issue]), slots)
    r = int(rng.random() * 3)
    if r == 0:
        subject = f"Phone: {summary}"
    elif r == 1:
        subject = f"Call re {summary}"
    else:
        subject = summary[0].upper() + summary[1:] + " (phone)"
    said = render(rng, _one(rng, P.PROBLEMS[issue]), slots)
    who = _one(rng, ("Customer", "Caller", "Cust", "Client"))
    verb = _one(rng, ("called about", "phoned in about", "rang regarding", "called re"))
    body = f"{who} {verb} {summary}. Says: \"{said}\" {render(rng, _one(rng, P.CALL_ACTION[issue]), slots)}"
    return subject, body


def _typos(rng: Random, text: str, n: int) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in _some(rng, tuple(candidates), n):
        words[i] = typo(rng, words[i])
    return " ".join(words)
