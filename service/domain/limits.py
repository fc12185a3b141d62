"""Size limits on what a client may store. The seeds: fields hold at most 2,000 characters."""

#: Every text field, in every record type. Counted in Unicode code points (what Python's
#: len() counts), so "Dvořák" is 6 characters whatever its encoding.
MAX_TEXT_LENGTH = 2000

#: Repeated values on one customer. Generous for people and organisations alike, small
#: enough that one record can never grow without bound.
MAX_EMAILS = 50
MAX_PHONES = 50
MAX_ATTRIBUTES = 200

#: Contacts of one customer: a large organisation's whole staff, never unbounded.
MAX_CONTACTS_PER_CUSTOMER = 1000
