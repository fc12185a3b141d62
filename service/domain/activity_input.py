"""From what an integration sent about an incoming call, chat or email to an Activity's
fields: checked, trimmed, identifiers normalised for matching."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import InvalidInput
from .normalize import read_caller_id
from .records import Channel, Direction, Prefill, Sender
from .validation import Problems


@dataclass(frozen=True, slots=True)
class ActivityDraft:
    channel: Channel
    direction: Direction = Direction.INBOUND
    sender_name: str | None = None
    sender_email: str | None = None
    sender_phone: str | None = None
    subject: str | None = None
    text: str | None = None
    occurred_at: datetime | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class ActivityFields:
    channel: Channel
    direction: Direction
    sender: Sender
    subject: str | None
    text: str | None
    occurred_at: datetime | None
    agent_id: str | None


def check_activity(
    draft: ActivityDraft, *, default_region: str | None, other_regions: tuple[str, ...] = ()
) -> ActivityFields:
    """Validated fields; raises InvalidInput listing every problem.

    The caller ID is never a problem (only its length and characters are, as for any
    text): one that is not a number in the default region nor in `other_regions` is
    kept as sent with no E.164 form, so the call is recorded and matches nobody by number."""
    regions = (default_region, *other_regions) if default_region else other_regions
    p = Problems()
    name = p.name("sender.name", draft.sender_name, neutralise=True)
    email = p.email("sender.email", draft.sender_email)
    phone = p.text("sender.phone", draft.sender_phone)
    subject = p.text("subject", draft.subject)
    text = p.text("text", draft.text, strip=False)
    agent_id = p.text("agentId", draft.agent_id)
    occurred_at = in_utc(p, "occurredAt", draft.occurred_at)
    if p:
        raise InvalidInput(list(p))
    return ActivityFields(
        draft.channel,
        draft.direction,
        Sender(
            name,
            email.address if email else None,
            phone,
            email.normalized if email else None,
            read_caller_id(phone, regions) if phone else None,
        ),
        subject,
        text if text and text.strip() else None,
        occurred_at,
        agent_id,
    )


def in_utc(p: Problems, field: str, moment: datetime | None) -> datetime | None:
    """`moment` in UTC, the service's one zone (a time without a zone is taken as UTC), to
    the millisecond, the finest every store keeps (see runtime.to_millis). A time whose UTC
    falls outside years 1-9999 ("0001-01-01T00:00:00+01:00") is a problem on `field`."""
    if moment is None:
        return None
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        p.add("INVALID_VALUE", "time_out_of_range", field)
        return None
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """First and last name from one received name: "Jan Novák" -> ("Jan", "Novák"),
    "Novák, Jan" -> ("Jan", "Novák"), "Petra" -> ("Petra", None). The agent checks the
    pre-filled form, so a best guess is right here."""
    if not name:
        return None, None
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip() or None, last.strip() or None
    parts = name.split()
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]


def prefill_from(sender: Sender) -> Prefill:
    first, last = split_name(sender.name)
    return Prefill(first_name=first, last_name=last, email=sender.email, phone=sender.phone)
