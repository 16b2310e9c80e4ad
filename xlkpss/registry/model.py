"""The registry of social services (RPSS) as xlkpss uses it: one record per registered
service *and form* — the unit a services template row and a merge compare on.

Codes are the package's own (``xlkpss.codelists``): ``druh`` is the MPSV code of
``druhy_sluzeb`` ("13"), ``forma`` ``pob`` / ``amb`` / ``ter``, capacity types
``luzka`` / ``klient`` / ``kontakt`` / ``interv`` / ``hovor``, target and age groups the
MPSV codes, obce the six-digit ČSÚ codes.  Names are for people and are looked up when
shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Capacity",
    "Facility",
    "Provider",
    "Registry",
    "RegistryError",
    "RegistryIssue",
    "RegistryService",
    "ServiceKey",
]

#: (identifikátor, forma) — a registered service in one form
ServiceKey = tuple[str, str]


class RegistryError(Exception):
    """The registry file cannot be used at all (the message is Czech and says why)."""


@dataclass(frozen=True)
class RegistryIssue:
    """A problem of one record of the registry file (never stops the import)."""

    code: str  # a code of xlkpss.i18n.ISSUES (registry-*)
    severity: str  # "error" (the record or form was not taken) | "warning" (a value was not taken)
    record: int | None  # position of the record in the file's ``polozky`` (1-based)
    identifikator: str | None
    field: str | None  # RPSS path, e.g. ``formy[].kapacity[].typ.id``
    value: Any
    message: str  # Czech


@dataclass(frozen=True)
class Capacity:
    """One registered capacity of a form (``formy[].kapacity[]``): a maximum, not free places."""

    count: int | None
    type: str | None  # code of typy_kapacity
    description: str | None = None


@dataclass(frozen=True)
class Facility:
    """A place where the service is provided (``zarizeni[]``)."""

    name: str | None
    obec: str | None  # ČSÚ code of the obec
    address: str | None  # street, number, PSČ and obec; None when the address is secret
    secret: bool = False
    address_code: str | None = None  # RÚIAN kód adresního místa (missing for some places)
    since: dt.date | None = None
    until: dt.date | None = None

    def active_in(self, year: int) -> bool:
        """Provided at some time of ``year``."""
        return _overlaps(self.since, self.until, year)


@dataclass(frozen=True)
class Provider:
    ico: str | None
    name: str
    email: str | None = None
    phone: str | None = None
    web: str | None = None


@dataclass(frozen=True)
class RegistryService:
    """One registered service in one form."""

    identifikator: str
    forma: str
    name: str
    provider: str
    ico: str | None
    druh: str | None
    capacity: int | None
    capacity_type: str | None
    capacities: tuple[Capacity, ...] = ()
    target_groups: tuple[str, ...] = ()
    age_groups: tuple[str, ...] = ()
    facilities: tuple[Facility, ...] = ()
    email: str | None = None
    phone: str | None = None
    web: str | None = None
    provider_email: str | None = None
    provider_phone: str | None = None
    continuous: bool | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def key(self) -> ServiceKey:
        return (self.identifikator, self.forma)

    @property
    def municipalities(self) -> tuple[str, ...]:
        """Obce of provision (ČSÚ codes) of every place, in the registry's order."""
        return tuple(dict.fromkeys(f.obec for f in self.facilities if f.obec))

    def municipalities_in(self, year: int) -> tuple[str, ...]:
        """Obce of the places provided in ``year`` (all places when none is dated for it)."""
        active = tuple(dict.fromkeys(f.obec for f in self.facilities if f.obec and f.active_in(year)))
        return active or self.municipalities

    def active_in(self, year: int) -> bool:
        """Registered and provided at some time of ``year``."""
        return _overlaps(self.since, self.until, year)

    @property
    def ended(self) -> bool:
        return self.until is not None

    def address(self, obec: str | None = None) -> str | None:
        """The first public address (of a place in ``obec`` when given)."""
        for f in self.facilities:
            if f.address and not f.secret and (obec is None or f.obec == obec):
                return f.address
        return None


@dataclass
class Registry:
    """An imported registry: services by (identifikátor, forma), providers by IČO."""

    services: dict[ServiceKey, RegistryService] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    issues: list[RegistryIssue] = field(default_factory=list)
    #: source (file name, sha256, size), territory filter, counts (see ``stats`` keys in
    #: xlkpss.registry.rpss.import_registry)
    meta: dict[str, Any] = field(default_factory=dict)

    def of_provider(self, ico: str) -> list[RegistryService]:
        return [s for s in self.services.values() if s.ico == ico]

    def in_municipality(self, obec: str, year: int | None = None) -> list[RegistryService]:
        return [s for s in self.services.values() if obec in (s.municipalities_in(year) if year else s.municipalities)]


def _overlaps(since: dt.date | None, until: dt.date | None, year: int) -> bool:
    if since is not None and since > dt.date(year, 12, 31):
        return False
    return until is None or until >= dt.date(year, 1, 1)
