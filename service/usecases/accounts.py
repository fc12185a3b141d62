"""Customer accounts (the seed's "create customer account"): a contact's login with
permissions. The credential is returned once, when made or rotated, and stored as a hash."""

from __future__ import annotations

from dataclasses import replace

from ..authentication import hash_token, new_customer_token
from ..domain.access import require_admin
from ..domain.errors import InvalidInput, Problem, UserError
from ..domain.ids import new_id
from ..domain.records import Contact, CustomerAccount, CustomerPermission
from ..events import ContactChanged
from ..runtime import Actor, Runtime
from ._shared import change
from .contacts import load_contact


def _permissions(permissions: list[CustomerPermission]) -> tuple[CustomerPermission, ...]:
    if not permissions:
        raise InvalidInput([Problem("REQUIRED", "permissions_required", "permissions", {"field": "permissions"})])
    return tuple(sorted(set(permissions), key=lambda p: p.value))


async def _write(rt: Runtime, actor: Actor, contact: Contact, edit) -> Contact:
    updated, wrote = await change(
        contact, lambda: load_contact(rt, contact.id, field="contactId"), rt.store.update_contact, edit, rt.clock
    )
    if wrote:
        await rt.events.emit(ContactChanged(updated, contact, actor.id))
    return updated


def _with_account(contact: Contact) -> CustomerAccount:
    if contact.account is None:
        raise UserError("no_account", field="contactId", code="NO_ACCOUNT")
    return contact.account


async def create_account(
    rt: Runtime, actor: Actor, contact_id: str, permissions: list[CustomerPermission]
) -> tuple[Contact, str]:
    """A login for the contact; returns the contact and the credential (shown this once)."""
    require_admin(actor)
    contact = await load_contact(rt, contact_id, field="contactId")
    granted = _permissions(permissions)
    token = new_customer_token(contact.id)
    now = rt.clock()
    account = CustomerAccount(new_id(), granted, hash_token(token), now, now, actor.id)

    def edit(c: Contact) -> Contact:
        if c.account is not None:
            raise UserError("account_exists", field="contactId", code="ALREADY_EXISTS")
        return replace(c, account=account)

    return await _write(rt, actor, contact, edit), token


async def rotate_credential(rt: Runtime, actor: Actor, contact_id: str) -> tuple[Contact, str]:
    """A new credential; the old one stops working at once."""
    require_admin(actor)
    contact = await load_contact(rt, contact_id, field="contactId")
    _with_account(contact)
    token = new_customer_token(contact.id)
    now = rt.clock()

    def edit(c: Contact) -> Contact:
        return replace(c, account=replace(_with_account(c), credential_hash=hash_token(token), credential_rotated_at=now))

    return await _write(rt, actor, contact, edit), token


async def set_enabled(rt: Runtime, actor: Actor, contact_id: str, enabled: bool) -> Contact:
    require_admin(actor)
    contact = await load_contact(rt, contact_id, field="contactId")
    _with_account(contact)

    def edit(c: Contact) -> Contact | None:
        account = _with_account(c)
        return None if account.enabled == enabled else replace(c, account=replace(account, enabled=enabled))

    return await _write(rt, actor, contact, edit)


async def set_permissions(rt: Runtime, actor: Actor, contact_id: str, permissions: list[CustomerPermission]) -> Contact:
    require_admin(actor)
    contact = await load_contact(rt, contact_id, field="contactId")
    _with_account(contact)
    granted = _permissions(permissions)

    def edit(c: Contact) -> Contact | None:
        account = _with_account(c)
        return None if account.permissions == granted else replace(c, account=replace(account, permissions=granted))

    return await _write(rt, actor, contact, edit)
