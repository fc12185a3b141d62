"""The storage port: what a backend must do for the service. Plugins implement it.

A backend is offered to the service by a plugin's `storage_backends` hook as a
`StorageBackend` (a name and a factory). The factory receives the service `Settings` and
returns an object with the async methods of `Storage`. The service calls `open()` once at
startup and `close()` once at shutdown.

Contracts every backend keeps (the conformance tests check them):

- Records are the frozen dataclasses of `service.domain.records`; a backend stores and
  returns them unchanged (equal by value). Their times are UTC with whole milliseconds
  (the service never makes finer ones), so BSON dates and the like keep them exactly.
- `insert_*` stores a new record (version 1). Inserting an id that exists raises
  `DuplicateId`.
- `update_*` replaces a record only if the stored version equals `expected_version`, in one
  atomic step. The service sets the new record's version to `expected_version + 1`; a
  backend may check it (ValueError) but never changes it. Otherwise it raises
  `StaleVersion` (carrying the current version) or `RecordNotFound`.
- `find_*` look-ups that find more than `limit` return the first `limit` by id.
- `get_*` takes many ids at once (DataLoaders batch them) and answers in the same order,
  with None where an id is unknown.
- Lists return a `Page`. `first` may be 0 (the service asks for `total_count` alone).
  `has_previous_page` is true when the request had a cursor. Cursors are strings the
  backend makes and understands; they stay valid when records are inserted before or
  after them. An unparseable cursor (however deeply nested its JSON) raises
  `InvalidCursor`.
- Locales in a `ContactQuery` are always one of `service.domain.collation.LOCALES`
  (the service negotiates them from Accept-Language first).
- While a request runs, `request_deadline` holds when it must be answered; a backend that
  can bound its calls to its server (MongoDB's `timeoutMS`) bounds them by
  `remaining_seconds()`, so no work goes on for a request the service already gave up on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

from .domain.contact_directory import ContactQuery
from .domain.records import Activity, Contact, Customer, OpenListEntry

if TYPE_CHECKING:
    from .settings import Settings

T = TypeVar("T")


class StorageError(Exception):
    """Base of the errors a backend raises for the service to handle."""


class RecordNotFound(StorageError):
    pass


class DuplicateId(StorageError):
    pass


class StaleVersion(StorageError):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"stale version; current version is {current_version}")
        self.current_version = current_version


class InvalidCursor(StorageError):
    pass


class StoreUnavailable(StorageError):
    """The backend cannot reach its data (ping failed, connection lost)."""


#: The event loop time by which the current request must be answered; None outside a
#: request. The HTTP layer sets it for the operation it runs (tasks copy it).
request_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


def remaining_seconds() -> float | None:
    """Seconds left of the current request's time (negative once it is over), or None."""
    deadline = request_deadline.get()
    if deadline is None:
        return None
    return deadline - asyncio.get_running_loop().time()


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: the items with their cursors, and what lies around it."""

    items: list[tuple[str, T]]
    total_count: int
    has_next_page: bool
    has_previous_page: bool
    #: False when `total_count` is an estimate: a backend whose counts grow with the data
    #: may cap them (more than N matches: N) or estimate an unfiltered list's size.
    total_count_exact: bool = True


@runtime_checkable
class Storage(Protocol):
    """What the service asks of a storage backend. All methods are coroutines."""

    async def open(self) -> None:
        """Connect, create indexes, replay journals. Called once before the first request."""

    async def close(self) -> None:
        """Release connections and files. Called once at shutdown."""

    async def ping(self) -> None:
        """Return when the store answers; raise StoreUnavailable when it does not."""

    # customers
    async def insert_customer(self, customer: Customer) -> None:
        """Store a new customer."""

    async def get_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        """Customers by id, in the order asked, None for unknown ids."""

    async def update_customer(self, customer: Customer, expected_version: int) -> None:
        """Replace a customer if its stored version is `expected_version`."""

    async def find_customers_by_identifiers(
        self, *, phones: Sequence[str], emails: Sequence[str], limit: int
    ) -> list[Customer]:
        """Customers having any of the E.164 phones or normalised emails (indexed lookups)."""

    async def find_customers_by_blocking_keys(self, keys: Sequence[str], *, limit: int) -> list[Customer]:
        """Customers having any of the name blocking keys (`service.domain.name_keys.blocking_keys`
        of `Identity.of_customer(customer)`), at most `limit`, through an index: fuzzy matching
        finds its candidates here instead of scanning. When more match, those sharing the most
        keys come first and are kept (ties by id)."""

    async def search_customers(
        self, tokens: Sequence[str], *, first: int, after: str | None
    ) -> Page[Customer]:
        """Customers ordered by folded display name then id. With tokens (folded, see
        `service.domain.search`), only customers where every token is a prefix of one of
        the customer's search terms."""

    # contacts
    async def insert_contact(self, contact: Contact) -> None:
        """Store a new contact of an existing customer."""

    async def get_contacts(self, ids: Sequence[str]) -> list[Contact | None]:
        """Contacts by id, in the order asked, None for unknown ids."""

    async def update_contact(self, contact: Contact, expected_version: int) -> None:
        """Replace a contact if its stored version is `expected_version`."""

    async def delete_contact(self, contact_id: str) -> None:
        """Remove a contact; RecordNotFound when there is none."""

    async def search_contacts(self, query: ContactQuery, *, first: int, after: str | None) -> Page[Contact]:
        """The contact directory: contacts for which `service.domain.contact_directory.matches`
        holds, ordered by `contact_sort_key` for `query.order` and `query.locale` (descending
        when asked), ties by id. A cursor from a different order or locale is InvalidCursor.
        `total_count` counts every match. Must not sort every contact per request: use
        indexes or precomputed sort keys."""

    # activities
    async def insert_activity(self, activity: Activity) -> None:
        """Store a new activity."""

    async def get_activities(self, ids: Sequence[str]) -> list[Activity | None]:
        """Activities by id, in the order asked, None for unknown ids."""

    async def update_activity(self, activity: Activity, expected_version: int) -> None:
        """Replace an activity if its stored version is `expected_version`."""

    async def list_activities(
        self,
        *,
        customer_id: str | None,
        unassociated: bool | None,
        first: int,
        after: str | None,
        visible_to_agent: str | None = None,
    ) -> Page[Activity]:
        """Activities, newest `occurred_at` first (ties: newest id first). `customer_id`
        restricts to one customer's; `unassociated=True` to those without a customer,
        `False` to those with one. `visible_to_agent` (an agent's id) leaves out the
        activities without a customer whose `agent_id` is set and is another agent's (callers
        waiting on another agent's open list); `total_count`, `has_next_page` and every page
        count only what is left, so filter in the query, never after paging."""

    # the open list
    async def insert_open_list_entry(self, entry: OpenListEntry) -> None:
        """Store a new open-list entry."""

    async def add_to_open_list(self, entry: OpenListEntry) -> OpenListEntry:
        """Put a new entry (version 1, one activity) on the open list, unless an OPEN entry
        with the same `sender_key` (not None) is there: then `entry.activity_id` joins that
        entry's `more_activity_ids` (its version +1, `updated_at` = `entry.updated_at`). Returns
        the entry as stored: `entry` itself, or the one joined.

        The look-up by `sender_key` is an index look-up, never a scan, and the step is atomic:
        two calls for one key at once make one entry holding both activities. An entry that
        leaves OPEN (update_open_list_entry) is joined no more."""

    async def get_open_list_entries(self, ids: Sequence[str]) -> list[OpenListEntry | None]:
        """Entries by id (whatever their status), in the order asked, None for unknown."""

    async def update_open_list_entry(self, entry: OpenListEntry, expected_version: int) -> None:
        """Replace an entry if its stored version is `expected_version`."""

    async def list_open_list_entries(
        self, *, agent_id: str | None, first: int, after: str | None
    ) -> Page[OpenListEntry]:
        """Entries with status OPEN, oldest first; `agent_id` restricts to one agent's."""


@dataclass(frozen=True, slots=True)
class StorageBackend:
    """A named storage backend offered by a plugin through the `storage_backends` hook."""

    name: str
    factory: Callable[[Settings], Storage]
    description: str = ""
