"""Where a file or a row lies: inside the merge territory or not, the six territory columns
of a row, the expected submitter a file counts for and the ORP (kraj) it belongs to."""

from __future__ import annotations

from typing import Any

from xlkpss.codelists import Territory, municipalities, orps, regions
from xlkpss.merge.source import Source

__all__ = ["home_of", "in_territory", "territory_row", "unit_of"]


def in_territory(
    level: str, territory: Territory, *, kod_obce: Any = None, kod_orp: Any = None, kod_kraje: Any = None
) -> bool | None:
    """Is the declared place inside the merge territory?  None when nothing is declared."""
    if kod_obce and str(kod_obce) in municipalities():
        return territory.contains(str(kod_obce))
    if kod_orp and str(kod_orp) in orps():
        o = orps()[str(kod_orp)]
        if level == "stat":
            return True
        return o["kod_orp"] == territory.code if level == "orp" else o["kod_kraje"] == territory.code
    if kod_kraje and level == "kraj":
        return str(kod_kraje) == territory.code
    if kod_kraje and level == "stat":
        return str(kod_kraje) in regions()
    return None


def territory_row(
    kod_obce: str | None = None, kod_orp: str | None = None, kod_kraje: str | None = None
) -> dict[str, Any]:
    """The six territory columns from the narrowest code known."""
    out: dict[str, Any] = dict.fromkeys(("kod_obce", "nazev_obce", "kod_orp", "nazev_orp", "kod_kraje", "nazev_kraje"))
    m = municipalities().get(str(kod_obce)) if kod_obce else None
    if m is not None:
        out.update(
            kod_obce=m.code,
            nazev_obce=m.name,
            kod_orp=m.orp,
            nazev_orp=m.orp_name,
            kod_kraje=m.kraj,
            nazev_kraje=m.kraj_name,
        )
        return out
    o = orps().get(str(kod_orp)) if kod_orp else None
    if o is not None:
        out.update(
            kod_orp=o["kod_orp"], nazev_orp=o["nazev_orp"], kod_kraje=o["kod_kraje"], nazev_kraje=o["nazev_kraje"]
        )
        return out
    k = regions().get(str(kod_kraje)) if kod_kraje else None
    if k is not None:
        out.update(kod_kraje=k["kod_kraje"], nazev_kraje=k["nazev_kraje"])
    return out


def unit_of(src: Source, level: str, territory: Territory) -> str | None:
    """The expected submitter a file counts for (an obec of the ORP / an ORP of the kraj /
    a kraj of the country)."""
    if src.kind == "souhrn":
        return src.submitter_code
    typ = src.submitter_type
    if typ == "poskytovatel" or typ is None:
        return None
    obec = src.ident.get("kod_obce")
    m = municipalities().get(str(obec)) if obec else None
    if level == "orp":
        return m.code if m is not None and m.orp == territory.code else None
    orp = m.orp if m is not None else src.ident.get("kod_orp")
    o = orps().get(str(orp)) if orp else None
    return o["kod_orp"] if o is not None and o["kod_kraje"] == territory.code else None


def home_of(src: Source, level: str) -> tuple[str, str] | None:
    """(code, ``ORP Chomutov (4203)``) of the ORP (kraj) a file belongs to: its submitter's
    obec or ORP, for a provider the ORP of its services' places."""
    obec = src.ident.get("kod_obce") if src.submitter_type != "poskytovatel" else None
    orp = None
    if obec and str(obec) in municipalities():
        orp = municipalities()[str(obec)].orp
    elif src.ident.get("kod_orp") and str(src.ident.get("kod_orp")) in orps():
        orp = str(src.ident.get("kod_orp"))
    elif src.result is not None:
        frame = (src.result.frames or {}).get("sluzby")
        codes = [str(v) for v in (frame["obec"].tolist() if frame is not None and "obec" in frame else []) if v]
        found = [municipalities()[c].orp for c in codes if c in municipalities()]
        orp = found[0] if found else None
    if orp is None:
        if level == "kraj" and src.ident.get("kod_kraje") in regions():
            k = regions()[src.ident["kod_kraje"]]
            return k["kod_kraje"], f"{k['nazev_kraje']} ({k['kod_kraje']})"
        return None
    o = orps()[orp]
    if level == "orp":
        return o["kod_orp"], f"ORP {o['nazev_orp']} ({o['kod_orp']})"
    return o["kod_kraje"], f"{o['nazev_kraje']} ({o['kod_kraje']})"
