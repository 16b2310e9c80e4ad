"""A registry service as the values of one row of the services template (display texts of
the code lists, the spec's keys): what a pre-filled template writes and what the merge
compares a report with."""

from __future__ import annotations

from typing import Any

from xlkpss.codelists import Territory, codelist
from xlkpss.registry.model import RegistryService
from xlkpss.spec import get_template

__all__ = ["service_values"]


def service_values(s: RegistryService, obec: str | None = None, scope: Territory | None = None) -> dict[str, Any]:
    """``{field key: value}`` of the services sheet for ``s``; ``obec`` (a code) fills the
    obec, address and nothing else place-dependent."""
    show = lambda name, code: codelist(name).display_of(code)  # noqa: E731
    values: dict[str, Any] = {
        "identifikator": s.identifikator,
        "registrovana": show("ano_ne", "ano"),
        "nazev_sluzby": s.name,
        "poskytovatel": s.provider,
        "ico_poskytovatele": s.ico,
        "druh": show("druhy_sluzeb", s.druh),
        "forma": show("formy", s.forma),
        "kapacita": s.capacity,
        "typ_kapacity": show("typy_kapacity", s.capacity_type),
        "obec": codelist("obce", scope).display_of(obec) if obec else None,
        "adresa": s.address(obec) if obec else None,
        "telefon_sluzby": s.phone,
        "email_sluzby": s.email,
        "web": s.web,
        "casovy_rozsah": "nepřetržitě" if s.continuous else None,
    }
    groups = [show("cilove_skupiny", c) for c in s.target_groups]
    ages = [show("vekove_skupiny", c) for c in s.age_groups]
    for fld in get_template("sluzby").sheet("sluzby").fields:
        if fld.group == "cilova_skupina":
            values[fld.key] = groups[fld.group_index - 1] if fld.group_index <= len(groups) else None
        elif fld.group == "vekova_skupina":
            values[fld.key] = ages[fld.group_index - 1] if fld.group_index <= len(ages) else None
    return values
