"""When two activities come from one unknown sender: the key an open-list entry is found by,
so that a second call waits in the first call's entry instead of a second, identical one."""

from __future__ import annotations

import hashlib
import json

from .records import Sender


def sender_key(agent_id: str | None, sender: Sender) -> str | None:
    """The key of `sender` on `agent_id`'s open list, or None when nothing identifies the
    sender (a name alone is no identity: two callers may share one).

    The sender is its E.164 phone, else its normalised email, else its caller ID exactly as
    sent when it did not parse but holds digits (a short code, another country's national
    form: the trunk sends the same text for the same line). A caller ID without a digit
    ('anonymous', 'Unknown') names no line: every withheld caller would wait in one entry.
    A digest, so that the key has one length however long the text (an index
    entry) and holds no personal data (erasure need not find it)."""
    if sender.phone_e164:
        identity = ["phone", sender.phone_e164]
    elif sender.email_normalized:
        identity = ["email", sender.email_normalized]
    elif sender.phone and any(ch.isdigit() for ch in sender.phone):
        identity = ["caller-id", sender.phone]
    else:
        return None
    text = json.dumps([agent_id, *identity], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
