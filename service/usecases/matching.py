"""Who might this be? Candidates for an identity, and likely duplicates of a new customer."""

from __future__ import annotations

from ..domain.customer_input import CustomerFields
from ..domain.errors import UserError
from ..domain.identity import Identity
from ..domain.identity_input import IdentityDraft, check_identity
from ..domain.records import Candidate
from ..domain.access import Actor, require_staff
from ..runtime import Runtime

#: The most candidates one matchCustomers request returns.
MAX_CANDIDATES = 50


class DuplicateSuspected(UserError):
    """Creation refused (duplicate policy "block"): existing customers look like the new one."""

    code = "DUPLICATE_SUSPECTED"

    def __init__(self, candidates: list[Candidate]) -> None:
        super().__init__("duplicate_suspected", field=None, count=len(candidates))
        self.candidates = candidates


async def match_customers(rt: Runtime, actor: Actor, draft: IdentityDraft, limit: int | None) -> list[Candidate]:
    require_staff(actor)
    limit = 5 if limit is None else limit
    if not 1 <= limit <= MAX_CANDIDATES:
        raise UserError("invalid_page_size", field="limit", code="INVALID_VALUE", limit=MAX_CANDIDATES, min=1)
    identity = check_identity(draft, default_region=rt.settings.default_region)
    if identity.is_empty:
        return []
    return await rt.matcher.candidates(identity, rt.store, limit=limit)




async def likely_duplicates(rt: Runtime, fields: CustomerFields, *, confirmed: bool) -> list[Candidate]:
    """Existing customers that look like the one about to be created. With the "block"
    policy and no confirmation from the client, raises DuplicateSuspected instead."""
    found = await rt.matcher.candidates(Identity.of_customer(fields), rt.store, limit=5)
    duplicates = [c for c in found if c.score >= rt.settings.duplicate_threshold]
    if duplicates and rt.settings.duplicate_policy == "block" and not confirmed:
        raise DuplicateSuspected(duplicates)
    return duplicates
