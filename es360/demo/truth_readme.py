"""Text of truth/README.md, written next to the truth files."""

TRUTH_README = """# Ground truth of the es360 demo world

The source files (crm/, shop/, support/, marketing/, web/) are what each system knows. The files in
this folder say what is really true, for measuring identity resolution and churn prediction. Do not
ingest them.

## people.jsonl — one line per real person

    {"person_id": "P-000042", "segment": "declining", "churned": false,
     "records": [{"source": "crm", "id": "C-57"}, {"source": "shop", "id": "S-000153"},
                 {"source": "marketing", "id": "M-31"}, {"source": "support", "email": "Sam.Smith@gmail.com"},
                 {"source": "web", "anonymous_id": "7f3c2a91-0b1e-4d2f"}],
     "household_id": "H-000007"}

- `records` lists every record of the person: `crm` -> `contact_id` in crm/contacts.csv, `shop` ->
  `customer_number` in shop/customers.jsonl, `marketing` -> `subscriber_id` in marketing/subscribers.csv,
  `support` -> a `requester_email` exactly as written in support/tickets.jsonl, `web` -> an
  `anonymous_id` (cookie) in web/events.jsonl. A person can have two records in one system
  (a duplicate CRM contact, a second shop account, a second subscription).
- Records of different people are never the same person, even when they look alike: namesakes
  (same first and last name, sometimes the same city) are distinct people.
- `household_id`: two people living together; they share an address, a last name and one family
  email address, so a support record with that address appears under both people.
- Guest orders (empty `customer_number` in shop/orders.csv) belong to the person whose email they carry.

## Segments (hidden churn status)

| segment | pattern |
| --- | --- |
| loyal | regular orders, sessions and email opens up to now |
| declining | frequency and opens drop over the last 6 months; more negative tickets |
| churned | no orders or sessions for the last 120-400 days; often unsubscribed; low CSAT |
| new | first activity in the last 60 days |
| reactivated | a gap of more than 180 days without orders, then recent orders |
| one_time | a single order long ago, nothing since |

`churned` is true for `churned` and `one_time` people (gone, not coming back); `declining` people are at
risk but not churned yet.

## tickets.jsonl — one line per ticket

    {"ticket_id": "T-10045", "issue_type": "refund", "person_id": "P-000042"}

`issue_type` is one of billing, delivery, refund, login, product_defect, cancellation,
account_change, shipping_address, payment_failed, warranty. Tickets of one type are written in many
different ways, so finding similar tickets needs more than shared keywords.

## Conventions of the source files

- CSV files: header row, comma-separated, RFC 4180 quoting, UTF-8, CRLF line ends.
- crm/contacts.csv: `birth_date` is `YYYY-MM-DD` or `DD/MM/YYYY` (day first); `country` is free text
  ("Germany", "DE", "Deutschland"); `created_at`/`updated_at` are UTC (`...Z`).
- shop/customers.jsonl: `signup_ts` is epoch seconds; `shipping_address.country` is ISO alpha-2.
- shop/orders.csv: `order_ts` is local time with its UTC offset; `items` is `P-1001:2;P-2033:1`
  (product id and quantity); refunds are rows of type `refund` whose `refund_of` is the order id.
- marketing/subscribers.csv: `country` is ISO alpha-2, an English name, or empty.
- support/tickets.jsonl: a ticket without an email carries a name and usually a phone number.
- web/events.jsonl: `customer_number` is set once a visitor has logged in (app sessions are always
  logged in); `email` appears on `login` events only; visitors who are nobody in particular browse
  anonymously too.
- Ids: `P-` person, `H-` household, `C-` contact, `S-` customer, `M-` subscriber, `T-` ticket, `O-` order
  (refunds get their own order id). Numbers have gaps, like systems where records get deleted.
"""
