#!/usr/bin/env python3
"""Write the sample submissions in ``samples/`` (reproducible, byte-deterministic).

    python scripts/make_samples.py              # rewrite samples/
    python scripts/make_samples.py --out DIR    # somewhere else
    python scripts/make_samples.py --check      # exit 1 when samples/ is stale

Every sample is a real template: ``xlkpss.template.build_template`` writes it for the
submitter's territory with the identification pre-filled, and openpyxl fills the rows
the way a person would (dropdown texts, numbers as numbers, dates as dates).  Values
come from one catalogue of services below, so a registered service that both an obec
and its provider report has the SAME values in both files (the merge dedupes them).

* ``orp_4203_chomutov/`` – ORP Chomutov (kraj CZ042): obce Chomutov, Jirkov, Březno,
  Spořice, Málkov, Vysoká Pec; providers MÚSS Chomutov, Oblastní charita Chomutov,
  Kuprospěchu; plan evaluations of Chomutov (seed 004) and Jirkov.
* ``orp_4204_kadan/`` – ORP Kadaň (4204, the real ČSÚ code): obce Kadaň, Klášterec
  nad Ohří, Vejprty, Perštejn and one provider, so a regional merge has two ORP.
* ``invalid/`` – one file per mistake people really make, each with exactly one known
  mistake; ``invalid/EXPECTED.json`` lists the issues a validator must report.

Column letters, labels and dropdown texts come from the spec and the code lists, never
typed here.  Fixed dates (document properties, zip entries) make the bytes repeatable.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment

from xlkpss.codelists import Territory, codelist, is_related_type, municipalities, orps, territory
from xlkpss.i18n import ISSUES
from xlkpss.spec import get_template
from xlkpss.template import build_template, field_cell, field_column

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "samples"
YEAR = 2026
#: document properties and zip entry times of every sample (openpyxl would write "now")
FIXED_TIME = dt.datetime(2026, 3, 2, 9, 0, 0)
ORP_CHOMUTOV, ORP_KADAN, KRAJ = "4203", "4204", "CZ042"

# --- small helpers ---------------------------------------------------------------------------------


def ico(first7: str) -> str:
    """An IČO with its mod-11 check digit (weights 8..2 over the first 7 digits)."""
    assert len(first7) == 7 and first7.isdigit(), first7
    total = sum(int(d) * w for d, w in zip(first7, range(8, 1, -1)))
    return first7 + str((11 - total % 11) % 10)


def bad_ico(good: str) -> str:
    """The same IČO with a wrong check digit (a typo in the last digit)."""
    return good[:7] + str((int(good[7]) + 1) % 10)


def service_id(key: str) -> str:
    """A stable 7-digit registry identifier for a sample service."""
    return str(1_000_000 + int(hashlib.sha256(f"rpss:{key}".encode()).hexdigest(), 16) % 9_000_000)


def display(listname: str, code: str, scope: Territory | None = None) -> str:
    """The dropdown text of a code (what a person picks)."""
    return codelist(listname, scope).get(code).display


col = field_column


def ident_cell(kind: str, key: str) -> str:
    """Value cell of an Identifikace field."""
    return field_cell(kind, "identifikace", key)


def sheet_name(kind: str, key: str) -> str:
    return get_template(kind).sheet(key).name


# --- submitters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitter:
    kind: str  # "obec" | "poskytovatel"
    name: str
    ico: str
    orp: str
    obec: str | None  # kód obce (obce only)
    zpracoval: str
    email: str
    telefon: str
    filled: dt.date


CHOMUTOV_CITY = Submitter("obec", "Statutární město Chomutov", "00261891", ORP_CHOMUTOV, "562971", "Kateřina Pecháčková",
                          "katerina.pechackova@chomutov-mesto.cz", "474 637 111", dt.date(2026, 2, 16))
JIRKOV_CITY = Submitter("obec", "Město Jirkov", ico("0026190"), ORP_CHOMUTOV, "563099", "Ing. Lenka Dvořáková",
                        "socialni@jirkov.cz", "474 616 340", dt.date(2026, 2, 19))
BREZNO = Submitter("obec", "Obec Březno", ico("0026178"), ORP_CHOMUTOV, "563013", "Jana Horáková",
                   "obec@obecbrezno.cz", "474 695 102", dt.date(2026, 2, 23))
SPORICE = Submitter("obec", "Obec Spořice", ico("0026199"), ORP_CHOMUTOV, "563340", "Miroslav Kubát",
                    "podatelna@sporice.cz", "474 652 321", dt.date(2026, 2, 24))
MALKOV = Submitter("obec", "Obec Málkov", ico("0026182"), ORP_CHOMUTOV, "563200", "Petra Šimková",
                   "obec@malkov.cz", "474 623 131", dt.date(2026, 2, 25))
VYSOKA_PEC = Submitter("obec", "Obec Vysoká Pec", ico("0026206"), ORP_CHOMUTOV, "563501", "Bc. Tomáš Richter",
                       "obec@vysokapec.cz", "474 654 140", dt.date(2026, 3, 2))
MUSS = Submitter("poskytovatel", "Městský ústav sociálních služeb Chomutov, p. o.", "00075655", ORP_CHOMUTOV, None,
                 "Mgr. Hana Beránková", "reditelka@muss-chomutov.cz", "474 651 236", dt.date(2026, 2, 12))
CHARITA = Submitter("poskytovatel", "Oblastní charita Chomutov", ico("4622531"), ORP_CHOMUTOV, None,
                    "Marie Kolářová", "info@charitachomutov.cz", "474 628 554", dt.date(2026, 2, 13))
KUPROSPECHU = Submitter("poskytovatel", "Kuprospěchu, o. s.", ico("2675201"), ORP_CHOMUTOV, None,
                        "Mgr. Pavel Soukup", "kuprospechu@kuprospechu.cz", "474 331 447", dt.date(2026, 2, 17))
SOC_JIRKOV = ("Sociální služby města Jirkova, p. o.", ico("7087312"))
DOMOV_VP = ("Domov Vysoká Pec, p. o.", ico("0083247"))

KADAN_CITY = Submitter("obec", "Město Kadaň", ico("0026171"), ORP_KADAN, "563102", "Ing. Radka Malá",
                       "socialni.odbor@mesto-kadan.cz", "474 319 611", dt.date(2026, 2, 20))
KLASTEREC = Submitter("obec", "Město Klášterec nad Ohří", ico("0026187"), ORP_KADAN, "563129", "Lucie Vondrová",
                      "socialni@klasterec.cz", "474 359 611", dt.date(2026, 2, 26))
VEJPRTY = Submitter("obec", "Město Vejprty", ico("0026195"), ORP_KADAN, "563404", "Jiří Hanzl",
                    "podatelna@vejprty.cz", "474 624 211", dt.date(2026, 3, 3))
PERSTEJN = Submitter("obec", "Obec Perštejn", ico("0026186"), ORP_KADAN, "563285", "Alena Pokorná",
                     "obec@perstejn.cz", "474 385 101", dt.date(2026, 3, 4))
SOC_KADAN = Submitter("poskytovatel", "Sociální služby města Kadaně, p. o.", ico("7104853"), ORP_KADAN, None,
                      "Bc. Eva Šťastná", "reditel@socsluzbykadan.cz", "474 332 810", dt.date(2026, 2, 18))
CHARITA_KADAN = ("Oblastní charita Kadaň", ico("4622590"))


# --- the catalogue of services -------------------------------------------------------------------------

FUNDING = ("zdroj_mpsv_kraj", "zdroj_obec", "zdroj_uhrady", "zdroj_zp", "zdroj_eu", "zdroj_ostatni")


@dataclass(frozen=True)
class Service:
    key: str
    nazev: str
    provider: tuple[str, str]  # (name, IČO)
    druh: str  # MPSV code (druhy_sluzeb)
    forma: str  # amb | pob | ter
    kapacita: int
    typ: str  # luzka | klient | kontakt | interv | hovor
    uzivatele: int
    uvazky: float
    obec: str  # kód obce poskytování
    skupiny: tuple[str, ...]  # cilove_skupiny codes
    naklady: int
    zdroje: tuple[int, int, int, int, int, int]  # in FUNDING order
    registrovana: bool = True
    poznamka: str = ""
    id_key: str | None = None  # same identifier as another row (one service, two forms)

    @property
    def identifikator(self) -> str | None:
        return service_id(self.id_key or self.key) if self.registrovana else None

    def check(self, orp: str) -> None:
        """The sample must be correct: law-allowed form, beds only residential, funding ≤ costs …"""
        if not self.druh or is_related_type(self.druh):  # a related service: unregistered, no § type
            assert not self.registrovana, self.key
        else:
            druh = codelist("druhy_sluzeb").get(self.druh)
            assert self.forma in druh.extra["formy"], (self.key, self.forma, druh.extra["formy"])
        assert self.typ != "luzka" or self.forma == "pob", self.key
        assert sum(self.zdroje) <= self.naklady, (self.key, sum(self.zdroje), self.naklady)
        assert municipalities()[self.obec].orp == orp, (self.key, self.obec)
        assert all(g in codelist("cilove_skupiny") for g in self.skupiny) and 1 <= len(self.skupiny) <= 5
        assert re.fullmatch(r"\d{8}", self.provider[1]) and self.provider[1] == ico(self.provider[1][:7]), self.key

    def row(self, scope: Territory) -> dict[str, Any]:
        """Field key → cell value as a person enters it (dropdown texts for codes)."""
        r: dict[str, Any] = {
            "identifikator": self.identifikator,
            "registrovana": display("ano_ne", "ano" if self.registrovana else "ne"),
            "nazev_sluzby": self.nazev,
            "poskytovatel": self.provider[0],
            "ico_poskytovatele": self.provider[1],
            "druh": display("druhy_sluzeb", self.druh) if self.druh else None,
            "forma": display("formy", self.forma),
            "kapacita": self.kapacita,
            "typ_kapacity": display("typy_kapacity", self.typ),
            "pocet_uzivatelu": self.uzivatele,
            "uvazky": self.uvazky,
            "obec": display("obce", self.obec, scope),
            "naklady": self.naklady,
            "poznamka": self.poznamka or None,
        }
        for n, g in enumerate(self.skupiny, start=1):
            r[f"cilova_skupina_{n}"] = display("cilove_skupiny", g)
        r.update(zip(FUNDING, self.zdroje))
        r.update(contacts(self))
        return r


# --- contacts and public description (template version 2; for the catalogue) ---------------------------

#: provider IČO → (web, e-mail, telefon); providers not listed give no contacts
PROVIDER_CONTACTS: dict[str, tuple[str, str, str]] = {}
#: service key → (adresa, popis pro veřejnost); a service not listed has no address (e.g. a secret
#: address of a shelter for victims of violence) and a generic description
SERVICE_PLACES: dict[str, tuple[str, str]] = {}
#: services whose submitters left every v2 field empty (the catalogue must cope with that)
NO_CONTACTS = {"klub_senioru", "ps_perstejn"}
G_AGE = {  # target group → vekove_skupiny codes
    "24": ("7", "8"), "1": ("3", "4", "5"), "23": ("1", "2", "3"), "17": ("5", "6", "7"),
}
HOURS = {"pob": "nepřetržitě", "amb": "po–pá 8:00–16:00", "ter": "po–pá 7:00–15:30"}


def contacts(s: Service) -> dict[str, Any]:
    if s.key in NO_CONTACTS:
        return {}
    web, email, phone = PROVIDER_CONTACTS.get(s.provider[1], (None, None, None))
    place, about = SERVICE_PLACES.get(s.key, (None, None))
    druh = codelist("druhy_sluzeb").get(s.druh).label if s.druh and not is_related_type(s.druh) else "související služba"
    ages: list[str] = []
    for g in s.skupiny:
        for a in G_AGE.get(g, ("6",)):
            if a not in ages:
                ages.append(a)
    r: dict[str, Any] = {
        "adresa": place,
        "telefon_sluzby": phone,
        "email_sluzby": email,
        "web": web,
        "casovy_rozsah": HOURS[s.forma],
        "popis_verejnost": about or f"{druh[:1].upper()}{druh[1:]} – {codelist('formy').get(s.forma).label} forma.",
    }
    for n, a in enumerate(ages[:3], start=1):
        r[f"vekova_skupina_{n}"] = display("vekove_skupiny", a)
    return r


def P(s: Submitter) -> tuple[str, str]:
    return (s.name, s.ico)


# target groups (MPSV codes, see xlkpss/codelists/data/cilove_skupiny.csv)
G_DETI_OHROZENE, G_DOMACI_NASILI, G_BEZ_PRISTRESI, G_ZAVISLOST = "1", "3", "6", "9"
G_DUSEVNI, G_CHRONICKE, G_KOMBINOVANE, G_MENTALNI, G_TELESNE = "10", "11", "13", "14", "15"
G_ZP, G_KRIZE, G_VYLOUCENI, G_RIZIKOVY, G_RODINY, G_SENIORI = "17", "19", "20", "21", "23", "24"

CHOM, JIRKOV, BREZNO_O, SPORICE_O, MALKOV_O, VP_O = "562971", "563099", "563013", "563340", "563200", "563501"

S = {s.key: s for s in [
    # --- MÚSS Chomutov (provider file + Chomutov's file)
    Service("ds_pisecna", "Domov pro seniory Písečná", P(MUSS), "13", "pob", 120, "luzka", 143, 62.5, CHOM, (G_SENIORI,),
            58_400_000, (17_900_000, 9_800_000, 27_300_000, 2_400_000, 0, 600_000)),
    Service("ds_bezrucova", "Domov pro seniory Bezručova", P(MUSS), "13", "pob", 86, "luzka", 101, 44.0, CHOM, (G_SENIORI,),
            41_250_000, (12_600_000, 6_900_000, 19_800_000, 1_650_000, 0, 300_000)),
    Service("dzr_chomutov", "Domov se zvláštním režimem Chomutov", P(MUSS), "14", "pob", 48, "luzka", 55, 31.5, CHOM,
            (G_SENIORI, G_DUSEVNI), 29_800_000, (10_400_000, 4_200_000, 13_100_000, 1_900_000, 0, 200_000)),
    Service("ps_muss_ter", "Pečovatelská služba MÚSS Chomutov", P(MUSS), "4", "ter", 420, "klient", 512, 28.0, CHOM,
            (G_SENIORI, G_ZP), 16_900_000, (7_300_000, 5_600_000, 3_700_000, 0, 0, 0),
            id_key="ps_muss"),
    Service("ps_muss_amb", "Pečovatelská služba MÚSS Chomutov – středisko Merkur", P(MUSS), "4", "amb", 40, "klient", 96, 3.0,
            CHOM, (G_SENIORI,), 1_450_000, (600_000, 500_000, 350_000, 0, 0, 0), id_key="ps_muss",
            poznamka="Ambulantní forma (prádelna a koupelna v DPS Merkur); stejná služba jako terénní forma."),
    Service("stacionar_chomutov", "Denní stacionář Chomutov", P(MUSS), "10", "amb", 20, "klient", 24, 9.5, CHOM,
            (G_MENTALNI, G_KOMBINOVANE), 6_150_000, (3_100_000, 1_500_000, 1_350_000, 0, 0, 100_000)),
    Service("chranene_chomutov", "Chráněné bydlení Chomutov", P(MUSS), "15", "pob", 12, "luzka", 12, 7.0, CHOM,
            (G_MENTALNI,), 5_200_000, (2_600_000, 900_000, 1_600_000, 0, 0, 50_000)),
    Service("odlehcovaci_muss", "Odlehčovací služby MÚSS Chomutov", P(MUSS), "8", "pob", 8, "luzka", 74, 6.5, CHOM,
            (G_SENIORI, G_ZP), 4_300_000, (1_700_000, 800_000, 1_500_000, 150_000, 0, 0)),
    # --- Oblastní charita Chomutov
    Service("azyl_muzi", "Azylový dům pro muže Chomutov", P(CHARITA), "20", "pob", 28, "luzka", 61, 6.0, CHOM,
            (G_BEZ_PRISTRESI,), 5_900_000, (3_900_000, 1_100_000, 650_000, 0, 0, 150_000)),
    Service("azyl_matky", "Azylový dům pro matky s dětmi Jirkov", P(CHARITA), "20", "pob", 24, "luzka", 47, 5.5, JIRKOV,
            (G_RODINY, G_DOMACI_NASILI), 5_350_000, (3_500_000, 800_000, 700_000, 0, 0, 250_000)),
    Service("nocleharna", "Noclehárna Chomutov", P(CHARITA), "26", "amb", 14, "klient", 118, 3.0, CHOM,
            (G_BEZ_PRISTRESI,), 1_980_000, (1_450_000, 400_000, 90_000, 0, 0, 40_000)),
    Service("terenni_chomutovsko", "Terénní programy Chomutovsko", P(CHARITA), "32", "ter", 90, "klient", 236, 5.0, CHOM,
            (G_VYLOUCENI, G_BEZ_PRISTRESI, G_ZAVISLOST), 3_400_000, (2_100_000, 500_000, 0, 0, 700_000, 100_000)),
    Service("osp_charita", "Občanská poradna Charity Chomutov", P(CHARITA), "1", "amb", 12, "klient", 684, 4.0, CHOM,
            (G_KRIZE, G_RIZIKOVY, G_RODINY), 2_650_000, (2_050_000, 450_000, 0, 0, 0, 150_000)),
    Service("oa_charita", "Osobní asistence Charity Chomutov", P(CHARITA), "3", "ter", 35, "klient", 41, 14.0, CHOM,
            (G_ZP, G_SENIORI, G_TELESNE), 8_200_000, (4_800_000, 900_000, 2_300_000, 0, 0, 200_000)),
    Service("sas_malkov", "Sociálně aktivizační služby pro seniory Málkov", P(CHARITA), "29", "amb", 15, "klient", 22, 1.0,
            MALKOV_O, (G_SENIORI,), 520_000, (330_000, 150_000, 0, 0, 0, 40_000)),
    # --- Kuprospěchu, o. s.
    Service("nzdm_chomutov", "Nízkoprahový klub Kuprospěchu Chomutov", P(KUPROSPECHU), "25", "amb", 30, "klient", 164, 4.5,
            CHOM, (G_DETI_OHROZENE,), 2_774_600, (1_900_000, 600_000, 0, 0, 0, 174_600)),
    Service("nzdm_jirkov", "Nízkoprahový klub Jirkov", P(KUPROSPECHU), "25", "amb", 25, "klient", 118, 3.0, JIRKOV,
            (G_DETI_OHROZENE, G_VYLOUCENI), 1_950_000, (1_300_000, 550_000, 0, 0, 0, 60_000)),
    Service("sas_rodiny", "Sociálně aktivizační služby pro rodiny s dětmi Kuprospěchu", P(KUPROSPECHU), "28", "ter", 40, "klient",
            73, 5.0, CHOM, (G_RODINY,), 3_100_000, (2_200_000, 400_000, 0, 0, 450_000, 50_000)),
    Service("rana_pece", "Raná péče Kuprospěchu", P(KUPROSPECHU), "17", "ter", 30, "klient", 38, 3.5, CHOM,
            (G_RODINY, G_KOMBINOVANE), 2_480_000, (1_900_000, 300_000, 0, 0, 0, 280_000)),
    # --- others reported only by their obec
    # unregistered related services: „související služba (není druh podle zákona)“ picked, or Druh služby left empty
    Service("klub_senioru", "Klub seniorů Chomutov", P(CHOMUTOV_CITY), "souvisejici", "amb", 60, "klient", 210, 1.0, CHOM,
            (G_SENIORI,), 640_000, (0, 600_000, 40_000, 0, 0, 0), registrovana=False,
            poznamka="Neregistrovaná související služba města (volnočasové a vzdělávací aktivity seniorů)."),
    Service("ds_jirkov", "Domov pro seniory Jirkov", SOC_JIRKOV, "13", "pob", 65, "luzka", 79, 35.0, JIRKOV, (G_SENIORI,),
            31_900_000, (9_800_000, 5_100_000, 15_600_000, 1_100_000, 0, 250_000)),
    Service("ps_jirkov", "Pečovatelská služba Jirkov", SOC_JIRKOV, "4", "ter", 180, "klient", 214, 12.0, JIRKOV,
            (G_SENIORI, G_ZP), 7_450_000, (3_200_000, 2_700_000, 1_500_000, 0, 0, 0)),
    Service("senior_point_jirkov", "Senior Point Jirkov", P(JIRKOV_CITY), "", "amb", 10, "klient", 350, 0.5, JIRKOV,
            (G_SENIORI,), 180_000, (0, 180_000, 0, 0, 0, 0), registrovana=False,
            poznamka="Informační místo pro seniory; neregistrovaná související služba."),
    Service("ps_brezno", "Pečovatelská služba obce Březno", P(BREZNO), "4", "ter", 20, "klient", 26, 4.0, BREZNO_O,
            (G_SENIORI,), 2_774_600, (1_150_000, 1_120_000, 480_000, 0, 0, 0)),
    Service("ps_sporice", "Pečovatelská služba Spořice", P(SPORICE), "4", "ter", 18, "klient", 21, 2.5, SPORICE_O,
            (G_SENIORI, G_ZP), 1_420_000, (600_000, 560_000, 260_000, 0, 0, 0)),
    Service("dozp_vysoka_pec", "Domov pro osoby se zdravotním postižením Vysoká Pec", DOMOV_VP, "12", "pob", 42, "luzka", 44,
            29.0, VP_O, (G_MENTALNI, G_KOMBINOVANE), 27_600_000, (11_300_000, 0, 12_900_000, 1_400_000, 0, 900_000)),
]}

PROVIDER_CONTACTS.update({
    MUSS.ico: ("www.muss-chomutov.cz", "socialni@muss-chomutov.cz", "474 651 236"),
    CHARITA.ico: ("https://www.charitachomutov.cz", "info@charitachomutov.cz", "474 628 554"),
    KUPROSPECHU.ico: ("www.kuprospechu.cz", "kuprospechu@kuprospechu.cz", "474 331 447"),
    SOC_JIRKOV[1]: ("www.ssjirkov.cz", "info@ssjirkov.cz", "474 616 200"),
    DOMOV_VP[1]: ("www.domovvysokapec.cz", "domov@domovvysokapec.cz", "474 654 120"),
    JIRKOV_CITY.ico: ("www.jirkov.cz", "socialni@jirkov.cz", "474 616 340"),
    SOC_KADAN.ico: ("www.socsluzbykadan.cz", "reditel@socsluzbykadan.cz", "474 332 810"),
    CHARITA_KADAN[1]: ("www.charitakadan.cz", "info@charitakadan.cz", "474 343 215"),
    KLASTEREC.ico: ("www.klasterec.cz", "socialni@klasterec.cz", "474 359 611"),
})
SERVICE_PLACES.update({
    "ds_pisecna": ("Písečná 5144, 430 04 Chomutov",
                   "Celoroční pobyt a péče pro seniory, kteří už nezvládnou žít doma ani s pomocí rodiny a terénních služeb."),
    "ds_bezrucova": ("Bezručova 5268, 430 03 Chomutov", "Domov se 86 lůžky v centru města, jednolůžkové i dvoulůžkové pokoje."),
    "dzr_chomutov": ("Kundratická 4646, 430 04 Chomutov",
                     "Pobytová služba pro lidi s Alzheimerovou a jinými typy demence, kteří potřebují pravidelnou pomoc."),
    "ps_muss_ter": ("Zahradní 5125, 430 04 Chomutov",
                    "Pomoc v domácnosti: dovoz obědů, nákupy, osobní hygiena, doprovod k lékaři."),
    "ps_muss_amb": ("Písečná 5145, 430 04 Chomutov (DPS Merkur)", "Prádelna a koupelna pro klienty pečovatelské služby."),
    "stacionar_chomutov": ("17. listopadu 4836, 430 04 Chomutov",
                           "Denní program pro dospělé s mentálním a kombinovaným postižením, kteří jinak žijí v rodině."),
    "chranene_chomutov": ("Husova 4397, 430 03 Chomutov", "Samostatné bydlení s podporou asistentů pro lidi s mentálním postižením."),
    "odlehcovaci_muss": ("Písečná 5144, 430 04 Chomutov",
                         "Krátkodobý pobyt (až 3 měsíce), aby si pečující rodina mohla odpočinout."),
    "azyl_muzi": ("Hálkova 1390, 430 01 Chomutov", "Ubytování a pomoc mužům bez domova při hledání práce a bydlení."),
    "nocleharna": ("Hálkova 1390, 430 01 Chomutov", "Přenocování a hygiena pro lidi bez přístřeší, 19:00–7:00."),
    "terenni_chomutovsko": ("Husovo náměstí 5, 430 01 Chomutov",
                            "Pracovníci vyhledávají lidi v obtížné situaci přímo v ulicích a lokalitách a nabízejí pomoc."),
    "osp_charita": ("Husovo náměstí 5, 430 01 Chomutov",
                    "Bezplatné poradenství: dluhy, bydlení, pracovní a rodinné vztahy, sociální dávky."),
    "oa_charita": ("Husovo náměstí 5, 430 01 Chomutov", "Pomoc s péčí o sebe a domácnost tam, kde člověk žije, i ve škole a v práci."),
    "sas_malkov": ("Málkov 1, 431 11 Málkov", "Setkávání, trénink paměti a výlety pro seniory z Málkova a okolí."),
    "nzdm_chomutov": ("Zengerova 3927, 430 01 Chomutov", "Klub pro děti a mládež 6–26 let: volný čas, doučování, rozhovor s pracovníkem."),
    "nzdm_jirkov": ("Studentská 1500, 431 11 Jirkov", "Klub pro děti a mládež z Jirkova, anonymně a zdarma."),
    "sas_rodiny": ("Zengerova 3927, 430 01 Chomutov", "Podpora rodin s dětmi v domácnosti: hospodaření, škola, výchova."),
    "rana_pece": ("Zengerova 3927, 430 01 Chomutov", "Pomoc rodinám s dítětem se zdravotním postižením do 7 let, v jejich domácnosti."),
    "ds_jirkov": ("Mostecká 1700, 431 11 Jirkov", "Domov pro seniory s 65 lůžky."),
    "ps_jirkov": ("Mostecká 1700, 431 11 Jirkov", "Pečovatelská služba pro seniory a lidi se zdravotním postižením v Jirkově."),
    "senior_point_jirkov": ("náměstí Dr. E. Beneše 1, 431 11 Jirkov", "Informace a poradenství pro seniory, kurzy a přednášky."),
    "dozp_vysoka_pec": ("Vysoká Pec 1, 431 59 Vysoká Pec", "Celoroční domov pro dospělé s mentálním a kombinovaným postižením."),
    "ds_kadan": ("Věžní 958, 432 01 Kadaň", "Domov pro seniory se 110 lůžky."),
    "ps_kadan": ("Věžní 958, 432 01 Kadaň", "Pečovatelská služba v Kadani a okolních obcích."),
    "stacionar_kadan": ("Chomutovská 1400, 432 01 Kadaň", "Denní stacionář pro dospělé s mentálním postižením."),
    "azyl_kadan": ("Kpt. Jaroše 510, 432 01 Kadaň", "Azylový dům pro jednotlivce a rodiny s dětmi bez bydlení."),
    "ps_klasterec": ("Budovatelů 551, 431 51 Klášterec nad Ohří", "Pečovatelská služba města Klášterec nad Ohří."),
})

K_KADAN, K_KLASTEREC, K_VEJPRTY, K_PERSTEJN = "563102", "563129", "563404", "563285"
SK = {s.key: s for s in [
    Service("ds_kadan", "Domov pro seniory Kadaň", P(SOC_KADAN), "13", "pob", 110, "luzka", 131, 56.0, K_KADAN, (G_SENIORI,),
            53_200_000, (16_300_000, 8_400_000, 25_900_000, 2_100_000, 0, 400_000)),
    Service("dzr_kadan", "Domov se zvláštním režimem Kadaň", P(SOC_KADAN), "14", "pob", 36, "luzka", 41, 24.0, K_KADAN,
            (G_SENIORI, G_DUSEVNI), 22_400_000, (7_900_000, 3_100_000, 9_800_000, 1_300_000, 0, 150_000)),
    Service("ps_kadan", "Pečovatelská služba Kadaň", P(SOC_KADAN), "4", "ter", 240, "klient", 287, 15.0, K_KADAN,
            (G_SENIORI, G_ZP), 9_100_000, (3_900_000, 3_300_000, 1_900_000, 0, 0, 0)),
    Service("stacionar_kadan", "Denní stacionář Kadaň", P(SOC_KADAN), "10", "amb", 15, "klient", 18, 6.0, K_KADAN,
            (G_MENTALNI, G_KOMBINOVANE), 3_950_000, (2_000_000, 950_000, 900_000, 0, 0, 50_000)),
    Service("azyl_kadan", "Azylový dům Kadaň", CHARITA_KADAN, "20", "pob", 20, "luzka", 39, 4.5, K_KADAN,
            (G_BEZ_PRISTRESI, G_RODINY), 4_100_000, (2_800_000, 700_000, 450_000, 0, 0, 100_000)),
    Service("senior_klub_kadan", "Senior klub Kadaň", P(KADAN_CITY), "souvisejici", "amb", 40, "klient", 120, 0.5, K_KADAN,
            (G_SENIORI,), 310_000, (0, 300_000, 10_000, 0, 0, 0), registrovana=False,
            poznamka="Neregistrovaná související služba města."),
    Service("ps_klasterec", "Pečovatelská služba Klášterec nad Ohří", P(KLASTEREC), "4", "ter", 120, "klient", 139, 8.0,
            K_KLASTEREC, (G_SENIORI,), 4_800_000, (2_000_000, 1_900_000, 850_000, 0, 0, 0)),
    Service("nzdm_klasterec", "Nízkoprahový klub Kopec Klášterec nad Ohří", ("Spolek Nové Klášterecko", ico("2269842")), "25",
            "amb", 20, "klient", 86, 2.5, K_KLASTEREC, (G_DETI_OHROZENE,), 1_650_000, (1_150_000, 400_000, 0, 0, 0, 80_000)),
    Service("terenni_vejprty", "Terénní programy Vejprty", CHARITA_KADAN, "32", "ter", 40, "klient", 96, 2.0, K_VEJPRTY,
            (G_VYLOUCENI, G_ZAVISLOST), 1_480_000, (1_050_000, 250_000, 0, 0, 150_000, 0)),
    Service("sas_rodiny_vejprty", "Sociálně aktivizační služby pro rodiny s dětmi Vejprty", CHARITA_KADAN, "28", "ter", 15,
            "klient", 27, 2.0, K_VEJPRTY, (G_RODINY,), 1_200_000, (900_000, 200_000, 0, 0, 0, 60_000)),
    Service("ps_perstejn", "Pečovatelská služba Perštejn", P(PERSTEJN), "4", "ter", 15, "klient", 17, 1.5, K_PERSTEJN,
            (G_SENIORI,), 880_000, (380_000, 340_000, 160_000, 0, 0, 0)),
]}


# --- writing workbooks -------------------------------------------------------------------------------------

Mutation = Callable[[openpyxl.Workbook], None]


def _ident_prefill(kind: str, who: Submitter) -> dict[str, Any]:
    """Identification as the submitter fills it in (on top of the territory pre-fill)."""
    values: dict[str, Any] = {
        "typ_predkladatele": display("typ_predkladatele", "obec" if who.kind == "obec" else "poskytovatel"),
        "ico": who.ico,
        "nazev": who.name,
        "zpracoval": who.zpracoval,
        "email": who.email,
        "telefon": who.telefon,
    }
    if who.kind == "poskytovatel":
        o = orps()[who.orp]
        values.update(kod_obce=None, kod_orp=o["nazev_orp"], kod_kraje=o["nazev_kraje"])
    return values


def _scope(who: Submitter) -> Territory:
    return territory(obec=who.obec) if who.obec else territory(orp=who.orp)


def _set(ws, ref: str, value: Any) -> None:
    """Set a cell like typing into the template: a new cell takes its column's format
    and protection (openpyxl would otherwise give it the default, locked style)."""
    cell = ws[ref]
    if not cell.has_style:
        for dim in ws.column_dimensions.values():
            if dim.min is not None and dim.min <= cell.column <= dim.max:
                cell._style = copy(dim._style)
                break
    cell.value = value


def _write_rows(wb, kind: str, sheet_key: str, rows: list[dict[str, Any]]) -> None:
    sheet = get_template(kind).sheet(sheet_key)
    ws = wb[sheet.name]
    assert len(rows) <= sheet.rows, f"{sheet.name}: {len(rows)} rows do not fit the table"
    for r, values in enumerate(rows, start=2):
        for key, value in values.items():
            sheet.field(key)  # unknown keys are a bug in this script
            if value is not None:
                _set(ws, f"{col(kind, sheet_key, key)}{r}", value)


def _readable_comments(wb) -> None:
    """openpyxl rewrites comments at its default size; keep the header help readable."""
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1, max_row=1):
            for c in row:
                if c.comment is not None:
                    c.comment = Comment(c.comment.text, c.comment.author or "xlkpss", width=320, height=160)


def _deterministic_bytes(data: bytes, patches: dict[str, Callable[[str], str]] | None = None) -> bytes:
    """Rewrite the zip with fixed entry times and a fixed ``modified`` date (openpyxl
    writes "now" in both); ``patches`` edit parts (path → function on the XML text)."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", text)
                text = re.sub(r"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)", rf"\g<1>{stamp}\g<2>", text)
                body = text.encode("utf-8")
            if patches and info.filename in patches:
                body = patches[info.filename](body.decode("utf-8")).encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    assert not patches or set(patches) <= set(src.namelist()), set(patches) - set(src.namelist())
    return out.getvalue()


def _save(wb, path: Path, patches: dict[str, Callable[[str], str]] | None = None) -> None:
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.lastModifiedBy = None
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_deterministic_bytes(buf.getvalue(), patches))


def write_submission(
    path: Path,
    kind: str,
    who: Submitter,
    tables: dict[str, list[dict[str, Any]]],
    *,
    ident_extra: dict[str, Any] | None = None,
    mutate: Mutation | None = None,
    patches: dict[str, Callable[[str], str]] | None = None,
) -> Path:
    """A template for ``who``'s territory, identification and table rows filled in."""
    prefill = {**_ident_prefill(kind, who), **(ident_extra or {})}
    with tempfile.TemporaryDirectory(prefix="xlkpss_samples_") as tmp:
        blank = build_template(kind, Path(tmp) / "t.xlsx", year=YEAR, scope=_scope(who), prefill=prefill)
        wb = openpyxl.load_workbook(blank)
    ident = wb[sheet_name(kind, "identifikace")]
    ident[ident_cell(kind, "datum_vyplneni")].value = dt.datetime.combine(who.filled, dt.time())
    for sheet_key, rows in tables.items():
        _write_rows(wb, kind, sheet_key, rows)
    _readable_comments(wb)
    if mutate:
        mutate(wb)
    _save(wb, path, patches)
    return path


def write_services(path: Path, who: Submitter, services: list[Service], **kw) -> Path:
    scope = _scope(who)
    for s in services:
        s.check(who.orp)
    return write_submission(path, "sluzby", who, {"sluzby": [s.row(scope) for s in services]}, **kw)


# --- plans -------------------------------------------------------------------------------------------------------


@dataclass
class Item:
    cislo: str
    nazev: str
    popis: str = ""
    oblast: str | None = None  # oblasti_planovani code
    realizator: str = ""
    termin: str = ""
    rozpocet: int | None = None
    cerpano: int | None = None
    zdroj: str = ""
    indikator: str = ""
    cil: float | None = None
    dosazeno: float | None = None
    stav: str | None = None  # stavy_planu code
    pokracuje: bool | None = None
    komentar: str = ""
    uroven: str | None = None  # urovne_planu code; default by depth

    def row(self, levels: tuple[str, ...]) -> dict[str, Any]:
        level = self.uroven or levels[len(self.cislo.split(".")) - 1]
        return {
            "cislo": self.cislo,
            "uroven": display("urovne_planu", level),
            "nazev": self.nazev,
            "popis": self.popis or None,
            "cilova_skupina": display("oblasti_planovani", self.oblast) if self.oblast else None,
            "realizator": self.realizator or None,
            "termin": self.termin or None,
            "rozpocet": self.rozpocet,
            "cerpano": self.cerpano,
            "zdroj_financovani": self.zdroj or None,
            "indikator": self.indikator or None,
            "cilova_hodnota": self.cil,
            "dosazena_hodnota": self.dosazeno,
            "stav": display("stavy_planu", self.stav) if self.stav else None,
            "pokracuje": None if self.pokracuje is None else display("ano_ne", "ano" if self.pokracuje else "ne"),
            "komentar": self.komentar or None,
        }


@dataclass
class Project:
    projekt: str
    realizator: str
    termin: str
    rozpocet: int | None
    stav: str  # stavy_projektu code

    def row(self) -> dict[str, Any]:
        return {"projekt": self.projekt, "realizator": self.realizator, "termin_dokonceni": self.termin,
                "rozpocet": self.rozpocet, "stav": display("stavy_projektu", self.stav)}


def _check_plan(items: list[Item]) -> None:
    numbers = [i.cislo for i in items]
    assert len(numbers) == len(set(numbers)), "duplicate numbers"
    for i in items:
        parent = i.cislo.rsplit(".", 1)[0] if "." in i.cislo else None
        assert parent is None or parent in numbers, i.cislo
        if i.stav == "splneno" and (i.indikator or i.cil is not None):
            assert i.dosazeno is not None, f"{i.cislo}: splněno without the achieved value"
        if i.rozpocet is not None and i.cerpano is not None:
            assert i.cerpano <= i.rozpocet, i.cislo


def write_plan(path: Path, who: Submitter, items: list[Item], projects: list[Project], levels: tuple[str, ...],
               ident_extra: dict[str, Any], **kw) -> Path:
    _check_plan(items)
    return write_submission(
        path, "plan", who,
        {"plan": [i.row(levels) for i in items], "projekty": [p.row() for p in projects]},
        ident_extra=ident_extra, **kw,
    )


OSVAZ = "Odbor sociálních věcí a zdravotnictví (OSVaZ)"
MESTO = "rozpočet města"
SPLN, CAST, NESPLN = "splneno", "castecne", "nesplneno"
O_SPOL, O_SEN, O_ZP, O_ROD, O_VYL = "spolecne", "seniori", "zp", "rodiny", "vylouceni"


def chomutov_plan() -> tuple[list[Item], list[Project]]:
    """Seed 004: Vyhodnocení krátkodobého plánu rozvoje sociálních služeb Statutárního
    města Chomutova – priorities, measures with goal sentences, activities (the seed's
    repeated lines are one activity marked in two columns: done/not done AND continuing)."""
    I = Item
    items = [
        I("1", "Cílené vytváření finančních prostředků pro udržení a rozvoj sociálních služeb", oblast=O_SPOL),
        I("1.1", "Přímá podpora poskytovatelů sociálních služeb",
          "Vyčlenit část ročního rozpočtu statutárního města Chomutova na podporu subjektů poskytujících sociální služby občanům města.",
          oblast=O_SPOL, realizator=OSVAZ),
        I("1.1.1", "vyčlenit část rozpočtu na provoz MÚSS Chomutov", oblast=O_SPOL, realizator="Rada města, OSVaZ",
          termin="2026", rozpocet=38_500_000, cerpano=38_120_000, zdroj=MESTO, indikator="příspěvek na provoz schválen",
          cil=1, dosazeno=1, stav=SPLN, pokracuje=False),
        I("1.1.2", "vyčlenit část rozpočtu pro podporu ostatních poskytovatelů", oblast=O_SPOL, realizator="Rada města, OSVaZ",
          termin="2026", rozpocet=2_774_600, cerpano=2_774_600, zdroj=MESTO, indikator="počet podpořených poskytovatelů",
          cil=12, dosazeno=12, stav=SPLN, pokracuje=False, komentar="Vyčleněná částka 2 774 600 Kč rozdělena v dotačním řízení."),
        I("1.2", "Spolufinancování projektů",
          "Vytvořit rozpočtovou rezervu, která umožní městu spolupodílet se na financování rozvojových projektů, jež za 70–80 % "
          "zajistí udržení, případně rozvoj některých sociálních služeb z jiných zdrojů, zejména z grantů EU.",
          oblast=O_SPOL, realizator=OSVAZ),
        I("1.2.1", "vytvořit pravidla pro spolufinancování rozvojových projektů", oblast=O_SPOL, realizator=OSVAZ,
          termin="6/2026", indikator="pravidla schválena radou města", cil=1, dosazeno=0, stav=NESPLN, pokracuje=True,
          komentar="Návrh pravidel projedná rada města v roce 2027."),
        I("1.2.2", "vyčlenit část rozpočtu na spolufinancování projektů poskytovatelů sociálních služeb", oblast=O_SPOL,
          realizator="Zastupitelstvo města", termin="2026", rozpocet=500_000, cerpano=350_000, zdroj=MESTO,
          indikator="počet spolufinancovaných projektů", cil=3, dosazeno=2, stav=SPLN, pokracuje=True),
        I("1.3", "Nefinanční podpora projektů",
          "Poskytovat doporučení, reference a případné partnerství města v projektech organizací zajišťujících sociální služby "
          "ve městě, které žádají finanční dotace z jiných než městských zdrojů.", oblast=O_SPOL, realizator=OSVAZ),
        I("1.3.1", "vytvořit pravidla pro poskytování nefinanční podpory města rozvojovým projektům sociálních služeb",
          oblast=O_SPOL, realizator=OSVAZ, termin="6/2026", stav=NESPLN, pokracuje=True),
        I("1.3.2", "poskytovat metodickou pomoc při tvorbě projektů", oblast=O_SPOL, realizator="koordinátor KPSS",
          termin="průběžně", indikator="počet konzultací", cil=10, dosazeno=14, stav=SPLN, pokracuje=True),
        I("2", "Aktivní zapojení veřejnosti do plánování sociálních služeb", oblast=O_SPOL),
        I("2.1", "Informovanost veřejnosti o sociálních službách",
          "Využít všechny dostupné komunikační kanály pro průběžné informování veřejnosti o stavu a změnách sociálních služeb "
          "v Chomutově.", oblast=O_SPOL, realizator="koordinátor KPSS"),
        I("2.1.1", "představovat v Chomutovských novinách poskytovatele sociálních služeb", oblast=O_SPOL,
          realizator="koordinátor KPSS", termin="průběžně", indikator="počet článků", cil=10, dosazeno=11, stav=SPLN,
          pokracuje=True),
        I("2.1.2", "aktualizovat katalog poskytovatelů na www stránkách", oblast=O_SPOL, realizator="koordinátor KPSS",
          termin="průběžně", indikator="počet aktualizací", cil=2, dosazeno=2, stav=SPLN, pokracuje=True),
        I("2.1.3", "zřídit informační box (nástěnky) o sociálních službách na magistrátu města", oblast=O_SPOL,
          realizator=OSVAZ, termin="3/2026", rozpocet=25_000, cerpano=11_800, zdroj=MESTO, stav=CAST, pokracuje=True,
          komentar="Nástěnka v přízemí magistrátu zřízena, elektronický panel zatím ne."),
        I("2.1.4", "zveřejňovat tiskové zprávy o KP a sociálních službách v regionálních periodikách", oblast=O_SPOL,
          realizator="tiskový mluvčí", termin="průběžně", indikator="počet tiskových zpráv", cil=6, dosazeno=7, stav=SPLN,
          pokracuje=True),
        I("2.1.5", "seznamovat veřejnost se zákonem o sociálních službách", oblast=O_SPOL, realizator=OSVAZ,
          termin="průběžně", stav=SPLN, pokracuje=True),
        I("2.1.6", "vyčlenit finanční prostředky na aktualizaci Katalogu poskytovatelů sociálních služeb", oblast=O_SPOL,
          realizator=OSVAZ, termin="2026", rozpocet=60_000, cerpano=48_500, zdroj=MESTO, stav=SPLN, pokracuje=True),
        I("2.2", "Podpora komunitního plánování sociálních služeb",
          "Dlouhodobě podporovat a rozvíjet aktivní spolupráci všech partnerů zapojených do procesu komunitního plánování "
          "sociálních služeb.", oblast=O_SPOL, realizator="koordinátor KPSS"),
        I("2.2.1", "vytvořit a přijmout Základní listinu KP", oblast=O_SPOL, realizator="řídicí skupina KPSS",
          termin="3/2026", stav=SPLN, pokracuje=False),
        I("2.2.2", "pokračovat v komunitním plánování sociálních služeb", oblast=O_SPOL, realizator="koordinátor KPSS",
          termin="průběžně", rozpocet=120_000, cerpano=104_000, zdroj="rozpočet města, dotace kraje",
          indikator="počet jednání pracovních skupin", cil=16, dosazeno=18, stav=SPLN, pokracuje=True),
        I("2.2.3", "vyhodnocovat efektivitu interaktivních webových stránek", oblast=O_SPOL, realizator="koordinátor KPSS",
          termin="12/2026", stav=CAST, pokracuje=True),
        I("2.2.4", "uspořádat seminář pro uživatele sociálních služeb", oblast=O_SPOL, realizator="koordinátor KPSS",
          termin="10/2026", rozpocet=15_000, cerpano=9_600, zdroj=MESTO, indikator="počet účastníků", cil=30, dosazeno=34,
          stav=SPLN, pokracuje=False),
        I("3", "Zvyšování kvality sociálních služeb při udržení šíře jejich současné nabídky", oblast=O_SPOL),
        I("3.1", "Naplňování standardů kvality sociálních služeb",
          "Podpůrnými, vzdělávacími a metodickými aktivitami pomáhat co nejširšímu okruhu poskytovatelů sociálních služeb "
          "k naplnění standardů kvality dle zákona o sociálních službách.", oblast=O_SPOL, realizator=OSVAZ),
        I("3.1.1", "uspořádat seminář na téma „Standardy kvality sociálních služeb“", oblast=O_SPOL, realizator=OSVAZ,
          termin="4/2026", rozpocet=15_000, cerpano=12_400, zdroj=MESTO, indikator="počet účastníků", cil=40, dosazeno=46,
          stav=SPLN, pokracuje=False),
        I("3.1.2", "poskytovat metodickou pomoc poskytovatelům sociálních služeb ze strany OSVaZ", oblast=O_SPOL,
          realizator=OSVAZ, termin="průběžně", stav=SPLN, pokracuje=True),
        I("3.1.3", "prakticky naplňovat standardy kvality sociálních služeb", oblast=O_SPOL, realizator="poskytovatelé",
          termin="průběžně", stav=CAST, pokracuje=True),
        I("3.1.4", "budovat bezbariérové město", oblast=O_ZP, realizator="Odbor rozvoje a investic", termin="průběžně",
          rozpocet=1_200_000, cerpano=640_000, zdroj=MESTO, indikator="počet upravených přechodů a vstupů", cil=12,
          dosazeno=7, stav=CAST, pokracuje=True),
        I("3.2", "Zvyšování kvalifikace pracovníků v sociálních službách",
          "Podporovat zvyšování kvalifikace a celoživotního vzdělávání pracovníků sociálních služeb.", oblast=O_SPOL,
          realizator=OSVAZ),
        I("3.2.1", "pokračovat v rekvalifikačním kurzu pro pracovníky sociální péče", oblast=O_SPOL, realizator="MÚSS Chomutov",
          termin="2026", rozpocet=80_000, cerpano=80_000, zdroj="ESF+", indikator="počet absolventů", cil=20, dosazeno=18,
          stav=SPLN, pokracuje=True),
        I("3.2.2", "předávat a prohlubovat zkušenosti poskytovatelů sociálních služeb v rámci pracovních skupin KPSS",
          oblast=O_SPOL, realizator="pracovní skupiny KPSS", termin="průběžně", stav=SPLN, pokracuje=True),
        I("3.2.3", "podporovat přístup pracovníků sociálních služeb k informacím", oblast=O_SPOL, realizator=OSVAZ,
          termin="průběžně", stav=SPLN, pokracuje=True),
        I("3.2.4", "využívat a rozvíjet mezinárodní zkušenosti v oblasti sociálních služeb", oblast=O_SPOL,
          realizator=OSVAZ, termin="2026", stav=NESPLN, pokracuje=True,
          komentar="Partnerské město nepodalo společný projekt; zkusíme znovu v roce 2027."),
        I("3.3", "Udržet šíři nabídky a podporovat rozvoj sociálních služeb",
          "Podporovat rozvoj sociálních služeb při udržení jejich rozsahu a kapacit.", oblast=O_SPOL, realizator=OSVAZ),
        I("3.3.1", "zřídit lůžka se zvýšenou péčí na DpS Písečná", oblast=O_SEN, realizator="MÚSS Chomutov",
          termin="9/2026", rozpocet=1_500_000, cerpano=1_450_000, zdroj=MESTO, indikator="počet lůžek", cil=10, dosazeno=10,
          stav=SPLN, pokracuje=False),
        I("3.3.2", "řešit problematiku bytů zvláštního určení", oblast=O_SEN, realizator="Odbor správy majetku",
          termin="2026", stav=NESPLN, pokracuje=True),
        I("3.3.3", "zřídit lůžka pro přechodný pobyt", oblast=O_SEN, realizator="MÚSS Chomutov", termin="6/2026",
          rozpocet=400_000, cerpano=385_000, zdroj=MESTO, indikator="počet lůžek", cil=4, dosazeno=4, stav=SPLN,
          pokracuje=False),
        I("3.3.4", "podporovat stávající služby uvedené v katalogu sociálních služeb, poskytované registrovanými subjekty",
          oblast=O_SPOL, realizator=OSVAZ, termin="průběžně", stav=SPLN, pokracuje=True),
        I("4", "Orientace na služby umožňující jejich uživatelům zůstat v přirozeném sociálním prostředí", oblast=O_SPOL),
        I("4.1", "Podpora ambulantních služeb", "Podpora rozšíření nabídky ambulantních sociálních služeb.", oblast=O_SPOL,
          realizator=OSVAZ),
        I("4.1.1", "vybudovat denní centrum pro seniory", oblast=O_SEN, realizator="MÚSS Chomutov", termin="12/2026",
          rozpocet=2_000_000, cerpano=0, zdroj="rozpočet města, IROP", stav=NESPLN, pokracuje=True,
          komentar="Čeká se na výsledek žádosti do IROP."),
        I("4.1.2", "budovat chráněné dílny", oblast=O_ZP, realizator="poskytovatelé", termin="2026", stav=CAST,
          pokracuje=True),
        I("4.2", "Podpora a rozvoj terénních služeb",
          "Podporovat a rozvíjet šíři nabídky a zvýšení kvality poskytovaných terénních služeb.", oblast=O_SPOL,
          realizator=OSVAZ),
        I("4.2.1", "podporovat asistenční službu", oblast=O_ZP, realizator=OSVAZ, termin="2026", rozpocet=350_000,
          cerpano=350_000, zdroj=MESTO, indikator="počet klientů osobní asistence", cil=35, dosazeno=41, stav=SPLN,
          pokracuje=True),
        I("4.2.2", "podporovat rozvoj pečovatelské služby pro děti", oblast=O_ROD, realizator=OSVAZ, termin="2026",
          stav=NESPLN, pokracuje=True),
        I("4.3", "Podporovat rozšiřování spektra poradenských služeb", "Podporovat rozšíření nabídky poradenských služeb.",
          oblast=O_SPOL, realizator=OSVAZ),
        I("4.3.1", "navázat efektivní spolupráci s organizacemi zabývajícími se domácím násilím", oblast=O_VYL,
          realizator=OSVAZ, termin="2026", stav=SPLN, pokracuje=False),
        I("4.3.2", "zřídit nepřetržitou linku tísňového volání pro všechny sociální skupiny", oblast=O_SPOL,
          realizator=OSVAZ, termin="12/2026", stav=NESPLN, pokracuje=True),
        I("4.3.3", "zřídit nízkoprahové centrum", oblast=O_ROD, realizator="Kuprospěchu, o. s.", termin="9/2026",
          rozpocet=300_000, cerpano=180_000, zdroj="rozpočet města, dotace kraje", stav=CAST, pokracuje=True),
        I("4.4", "Podporovat dobrovolnictví", "Podporovat zapojení dobrovolníků do sociálních služeb.", oblast=O_SPOL,
          realizator=OSVAZ),
        I("4.4.1", "navázat spolupráci s organizacemi zabývajícími se dobrovolnictvím", oblast=O_SPOL, realizator=OSVAZ,
          termin="2026", stav=SPLN, pokracuje=True, komentar="Dílčí krok: oslovit potencionální dobrovolníky mezi mládeží."),
        I("4.4.2", "založit dobrovolnické centrum", oblast=O_SPOL, realizator="Oblastní charita Chomutov", termin="12/2026",
          rozpocet=150_000, cerpano=0, zdroj=MESTO, stav=NESPLN, pokracuje=True),
    ]
    projects = [
        Project("Vzdělávání mentálně postižených osob", "MÚSS Chomutov", "2026", 450_000, "dokoncen"),
        Project("Vybudování sociálních bytů pro rodiny s dětmi", "Statutární město Chomutov", "2026", 12_000_000, "probiha"),
        Project("Vybudování poradenského centra pro děti a mládež zaměřeného na sociální prevenci", "o. s. Kuprospěchu",
                "2027", 3_200_000, "pripravuje"),
        Project("Vybudování centra osobní hygieny v DPS Merkur", "MÚSS Chomutov", "2026", 1_100_000, "dokoncen"),
        Project("Vybudování prádelenského provozu v DPS Merkur", "MÚSS Chomutov", "2026", 1_650_000, "probiha"),
    ]
    return items, projects


CHOMUTOV_PLAN_IDENT = {
    "nazev_planu": "Krátkodobý plán rozvoje sociálních služeb statutárního města Chomutova na roky 2025/2026",
    "obdobi": "2025/2026",
    "misto": "Chomutov",
    "schvalil": "Mgr. Alena Tölgová",
}
CHOMUTOV_PLAN_WHO = replace(CHOMUTOV_CITY, filled=dt.date(2026, 9, 3))
JIRKOV_PLAN_IDENT = {
    "nazev_planu": "Akční plán sociálních služeb města Jirkova na rok 2026",
    "obdobi": "2026",
    "misto": "Jirkov",
    "schvalil": "Ing. Martin Havel, místostarosta",
}
JIRKOV_PLAN_WHO = replace(JIRKOV_CITY, filled=dt.date(2026, 9, 10))
#: Jirkov names its levels like the Zlín plan (seed 001): priorita → cíl → opatření
JIRKOV_LEVELS = ("priorita", "cil", "opatreni")
CHOMUTOV_LEVELS = ("priorita", "opatreni", "aktivita")


def jirkov_plan() -> tuple[list[Item], list[Project]]:
    I = Item
    soc = "Odbor sociálních věcí MěÚ Jirkov"
    items = [
        I("1", "Senioři v přirozeném prostředí", oblast=O_SEN),
        I("1.1", "Dostupná pečovatelská služba ve všech částech města",
          "Pečovatelská služba je dostupná i o víkendech a v místní části Březenec.", oblast=O_SEN, realizator=soc),
        I("1.1.1", "rozšířit provoz pečovatelské služby o víkendy", oblast=O_SEN,
          realizator="Sociální služby města Jirkova, p. o.", termin="6/2026", rozpocet=640_000, cerpano=610_000,
          zdroj="rozpočet města", indikator="počet klientů o víkendech", cil=25, dosazeno=27, stav=SPLN, pokracuje=False),
        I("1.1.2", "pořídit služební automobil pro pečovatelky", oblast=O_SEN,
          realizator="Sociální služby města Jirkova, p. o.", termin="9/2026", rozpocet=520_000, cerpano=0,
          zdroj="dotace kraje", stav=NESPLN, pokracuje=True, komentar="Dotace kraje přidělena až na rok 2027."),
        I("1.2", "Odlehčení pečujícím rodinám", "Pečující mají kam dočasně svěřit svého blízkého.", oblast=O_SEN,
          realizator=soc),
        I("1.2.1", "zajistit 2 lůžka odlehčovací služby v Domově pro seniory Jirkov", oblast=O_SEN,
          realizator="Sociální služby města Jirkova, p. o.", termin="12/2026", indikator="počet lůžek", cil=2, dosazeno=1,
          stav=CAST, pokracuje=True),
        I("2", "Prevence sociálního vyloučení", oblast=O_VYL),
        I("2.1", "Děti a mládež v riziku", "Děti a mládež z vyloučených lokalit tráví volný čas bezpečně a smysluplně.",
          oblast=O_ROD, realizator=soc),
        I("2.1.1", "podpořit provoz Nízkoprahového klubu Jirkov", oblast=O_ROD, realizator="Kuprospěchu, o. s.",
          termin="2026", rozpocet=550_000, cerpano=550_000, zdroj="rozpočet města", indikator="počet uživatelů",
          cil=100, dosazeno=118, stav=SPLN, pokracuje=True),
        I("2.2", "Bydlení pro rodiny v krizi", "Rodiny s dětmi v bytové nouzi najdou ve městě přechodné bydlení.",
          oblast=O_VYL, realizator=soc),
        I("2.2.1", "vyčlenit 4 městské byty jako krizové bydlení", oblast=O_VYL, realizator="Správa majetku města",
          termin="12/2026", indikator="počet bytů", cil=4, dosazeno=2, stav=CAST, pokracuje=True),
        I("2.2.2", "uzavřít smlouvu o spolupráci s Azylovým domem pro matky s dětmi", oblast=O_VYL, realizator=soc,
          termin="3/2026", stav=SPLN, pokracuje=False),
    ]
    projects = [
        Project("Rekonstrukce Domova pro seniory Jirkov – 2. etapa", "Město Jirkov", "2027", 18_500_000, "pripravuje"),
        Project("Komunitní centrum Jirkov", "Město Jirkov", "2026", 6_400_000, "probiha"),
    ]
    return items, projects


# --- the other two plan shapes of the seeds (samples/plany/) ---------------------------------------------------

#: Zlín (seed 001): the top level is the working group (oblast) → cíl → opatření (the bullets).
ZLIN_CITY = Submitter("obec", "Statutární město Zlín", "00283924", "7213", "585068", "Bc. Soňa Kovaříková",
                      "sonakovarikova@muzlin.cz", "577 630 935", dt.date(2026, 9, 14))
ZLIN_LEVELS = ("oblast", "cil", "opatreni")
ZLIN_PLAN_IDENT = {
    "nazev_planu": "Střednědobý plán sociálních a souvisejících služeb ve Zlíně",
    "obdobi": "2026–2028",
    "misto": "Zlín",
    "schvalil": "Rada města Zlína",
}
#: ORP Chomutov, projekt MOS (seed 000): cíl → dílčí cíl → opatření, indikátory s horizontem 2024.
MOS_WHO = replace(CHOMUTOV_CITY, name="ORP Chomutov – meziobecní spolupráce (MOS)", zpracoval="Ing. Petra Vaňková",
                  email="mos@chomutov-mesto.cz", filled=dt.date(2026, 9, 22))
MOS_LEVELS = ("cil", "cil", "opatreni")
MOS_PLAN_IDENT = {
    "typ_predkladatele": "ORP",
    "nazev_planu": "Strategie meziobecní spolupráce ORP Chomutov – sociální služby",
    "obdobi": "2015–2024",
    "misto": "Chomutov",
    "schvalil": "Shromáždění starostů ORP Chomutov",
}


def zlin_plan() -> tuple[list[Item], list[Project]]:
    """Seed 001, part C (rozvoj služeb pro cílové skupiny): four working groups, their
    goals (cíle) and measures (opatření), evaluated as a clerk would for the year."""
    I = Item
    ms = "Odbor sociálních věcí Magistrátu města Zlína"
    items = [
        I("1", "Děti, mládež, rodina", oblast=O_ROD),
        I("1.1", "Aktivity vedoucí k naplnění volného času mládeže", oblast=O_ROD, realizator=ms),
        I("1.1.1", "Udržitelnost a rozvoj stávajících nízkoprahových zařízení", oblast=O_ROD, realizator="NZDM Zlín",
          termin="průběžně", rozpocet=900_000, cerpano=880_000, zdroj="rozpočet města, dotace kraje", stav=SPLN),
        I("1.1.2", "Rozvoj streetworku – terénní práce s neorganizovanou mládeží", oblast=O_ROD, termin="12/2026",
          stav=CAST, komentar="Jeden terénní pracovník místo plánovaných dvou."),
        I("1.1.3", "Navázání spolupráce se školským odborem – rozvoj školských klubů v ZŠ", oblast=O_ROD, stav=NESPLN),
        I("1.2", "Eliminace sociálně patologických jevů v souvislosti s rodinou", oblast=O_ROD, realizator=ms),
        I("1.2.1", "Zajištění a rozšíření internátních služeb SVP", oblast=O_ROD, stav=NESPLN),
        I("1.2.2", "Udržitelnost stávajících služeb poradenské činnosti zaměřené na poradenství pro rodiny, pro ženy a dívky, mezilidské vztahy apod.",
          oblast=O_ROD, stav=SPLN),
        I("1.2.3", "Udržitelnost stávajících služeb pomoci pro rodiče a děti v obtížných rodinných situacích (syndrom ADHD)",
          oblast=O_ROD, stav=SPLN),
        I("1.3", "Posílení terénní práce s rodinou", oblast=O_ROD, realizator=ms),
        I("1.3.1", "Práce s rodinou v přirozeném sociálním prostředí", oblast=O_ROD, stav=SPLN),
        I("1.3.2", "Materiální pomoc pro těhotné ženy v sociální nouzi", oblast=O_ROD, stav=CAST),
        I("1.3.3", "Navýšení počtu pracovníků OSPOD", oblast=O_ROD, indikator="počet pracovníků OSPOD", cil=12,
          dosazeno=10, stav=NESPLN),
        I("1.4", "Spolupráce s probační a mediační službou", oblast=O_ROD, realizator=ms),
        I("1.4.1", "Podpora (zajištění) činnosti multidisciplinárního týmu: OSPOD, PČR, probační a mediační služba",
          oblast=O_ROD, stav=SPLN),
        I("1.4.2", "Udržitelnost a rozšíření programové činnosti pro mladistvé ohrožené delikvencí, provozované v rámci nízkoprahového zařízení pro děti a mládež",
          oblast=O_ROD, stav=SPLN),
        I("1.5", "Udržitelnost a rozvoj služeb přechodného bydlení", oblast=O_ROD, realizator=ms),
        I("1.5.1", "Udržitelnost stávajících služeb azylového ubytování pro matky s dětmi v tísni", oblast=O_ROD, stav=SPLN),
        I("1.5.2", "Zkvalitnění služeb ve startovacích bytech", oblast=O_ROD, stav=CAST),
        I("1.5.3", "Řešení problémů ubytování pro rodiny s dětmi", oblast=O_ROD, stav=NESPLN),
        I("2", "Senioři", oblast=O_SEN),
        I("2.1", "Zajištění další kapacity v domech s pečovatelskou službou", oblast=O_SEN, realizator=ms),
        I("2.1.1", "Výstavba Domu s pečovatelskou službou", oblast=O_SEN, realizator="Statutární město Zlín",
          termin="2027", rozpocet=42_000_000, cerpano=6_500_000, zdroj="rozpočet města, IROP", stav=CAST,
          komentar="Stavba zahájena v 5/2026, dokončení 2027."),
        I("2.1.2", "Zpracování záměru výstavby dalšího Domu s pečovatelskou službou", oblast=O_SEN, termin="6/2026",
          stav=SPLN),
        I("2.2", "Zvýšení kvality života seniorů ve Zlíně", oblast=O_SEN, realizator=ms),
        I("2.2.1", "Podpora organizací zajišťujících rezidenční služby pro seniory", oblast=O_SEN, stav=SPLN),
        I("2.2.2", "Rozvoj klubové činnosti seniorů", oblast=O_SEN, stav=SPLN),
        I("2.2.3", "Vznik nového klubu seniorů u Majáku", oblast=O_SEN, indikator="klub otevřen", cil=1, dosazeno=1,
          stav=SPLN),
        I("2.2.4", "Vzdělávání seniorů", oblast=O_SEN, stav=SPLN),
        I("2.2.5", "Rozvoj pečovatelské služby", oblast=O_SEN, stav=CAST),
        I("2.2.6", "Rozvoj domácí zdravotní péče", oblast=O_SEN, stav=NESPLN),
        I("2.2.7", "Nízkoprahové centrum pro seniory", oblast=O_SEN, stav=NESPLN),
        I("2.2.8", "Úprava ceny jízdného v MHD", oblast=O_SEN, stav="zruseno",
          komentar="Řeší dopravní podnik v rámci nového tarifu."),
        I("3", "Občané se zdravotním postižením", oblast=O_ZP),
        I("3.1", "Udržení, rozvoj, podpora a zkvalitnění stávajících služeb", oblast=O_ZP, realizator=ms),
        I("3.1.1", "Rozvoj denních stacionářů", oblast=O_ZP, stav=SPLN),
        I("3.1.2", "Rozvoj týdenních stacionářů", oblast=O_ZP, stav=NESPLN),
        I("3.1.3", "Rozvoj center denních služeb", oblast=O_ZP, stav=CAST),
        I("3.1.4", "Rozvoj terénních služeb", oblast=O_ZP, stav=SPLN),
        I("3.1.5", "Rozvoj chráněného bydlení", oblast=O_ZP, stav=CAST),
        I("3.1.6", "Udržení asistenční služby", oblast=O_ZP, stav=SPLN),
        I("3.1.7", "Rozvoj tlumočnické služby", oblast=O_ZP, stav=SPLN),
        I("3.2", "Zajištění a vznik nových služeb", oblast=O_ZP, realizator=ms),
        I("3.2.1", "Chráněné bydlení", oblast=O_ZP, indikator="počet míst", cil=8, dosazeno=0, stav=NESPLN),
        I("3.2.2", "Odlehčovací služby", oblast=O_ZP, stav=SPLN),
        I("4", "Nezaměstnaní a osoby ohrožené sociálním vyloučením", oblast=O_VYL),
        I("4.1", "Nízkoprahové denní centrum pro lidi bez domova", oblast=O_VYL, realizator=ms),
        I("4.1.1", "Zajištění provozu denního centra ve Zlíně", oblast=O_VYL, rozpocet=1_200_000, cerpano=1_150_000,
          zdroj="rozpočet města", stav=SPLN),
        I("4.2", "Posílit terénní práci", oblast=O_VYL, realizator=ms),
        I("4.2.1", "Zajištění a zkvalitnění provozu terénních programů", oblast=O_VYL, stav=SPLN),
        I("4.2.2", "Rozšíření služeb", oblast=O_VYL, stav=CAST),
        # a goal the clerk evaluated as a whole (no measures keyed): a leaf, so it is evaluated
        I("4.3", "Bydlení pro ženy bez přístřeší", oblast=O_VYL, realizator=ms, stav=NESPLN),
    ]
    projects = [
        Project("Dům s pečovatelskou službou Zlín – Podlesí", "Statutární město Zlín", "2027", 42_000_000, "probiha"),
    ]
    return items, projects


def mos_plan() -> tuple[list[Item], list[Project]]:
    """Seed 000 (projekt MOS, ORP Chomutov): Cíl 1 → Cíl 1.1 → opatření, SMART indikátory s horizontem 2024."""
    I = Item
    koord = "koordinátor KPSS ORP Chomutov"
    items = [
        I("1", "Zvýšení nabídky služeb pro potřebné", oblast=O_SPOL),
        I("1.1", "Zvýšení nabídky služeb", "Na celém území ORP je dostatečná nabídka sociálních služeb.", oblast=O_SPOL),
        I("1.1.1", "Vytvoření podmínek pro dostatečnou nabídku služeb, vznik a udržení", oblast=O_SPOL, realizator=koord,
          termin="2024", indikator="počet nových služeb v ORP", cil=3, dosazeno=2, stav=CAST),
        I("1.1.2", "Vybudování dostupného bydlení pro potřebné v místě bydliště", oblast=O_VYL,
          realizator="obce ORP Chomutov", termin="2024", indikator="počet sociálních bytů", cil=20, dosazeno=8,
          stav=NESPLN),
        I("1.1.3", "Zavedení pravidel pro nedeformovaný trh s byty", oblast=O_VYL, realizator="Statutární město Chomutov",
          termin="2024", stav=NESPLN),
        I("1.1.4", "Zajistit odpovídající vybavení pro poskytování sociálních služeb", oblast=O_SPOL,
          realizator="poskytovatelé", stav=SPLN),
        I("1.2", "Zvýšení dostupnosti služeb", "Služba je dostupná tam, kde ji lidé potřebují.", oblast=O_SPOL),
        I("1.2.1", "Zavedení systému pro odpovídající zajištění služeb podle místa potřeby", oblast=O_SPOL,
          realizator=koord, stav=CAST),
        I("1.2.2", "Zavedení systému pobídek financování sociálních služeb", oblast=O_SPOL,
          realizator="Statutární město Chomutov, Město Jirkov", stav=SPLN),
        I("1.2.3", "Pružné pokrytí potřeb, pružné reagování komisí na potřeby měst a obcí", oblast=O_SPOL,
          realizator="sociální komise obcí", stav=SPLN),
        I("2", "Zajištění koordinace služeb", oblast=O_SPOL),
        I("2.1", "Vytvoření koordinační platformy", oblast=O_SPOL),
        I("2.1.1", "Komunitní plánování v rámci celého ORP", oblast=O_SPOL, realizator=koord, termin="průběžně",
          stav=SPLN, pokracuje=True),
        I("2.1.2", "Vytvoření platformy pro servis obcím, koordinátor", oblast=O_SPOL, realizator=koord,
          rozpocet=450_000, cerpano=450_000, zdroj="OPZ (MOS)", stav=SPLN),
        I("2.1.3", "Spolupráce obecních komisí soc. služeb, jednotlivých subjektů", oblast=O_SPOL, stav=CAST),
        I("2.1.4", "Podpora zapojení NNO, podpora dobrovolnictví, sociálního podnikání", oblast=O_SPOL, stav=NESPLN),
        I("2.2", "Posilování prevence", oblast=O_SPOL),
        I("2.2.1", "Vytvoření komplexního třístupňového systému", oblast=O_ROD, realizator="OSPOD, NNO", stav=CAST),
        I("2.2.2", "Vytvoření podmínek v obcích k předcházení problémů, podpora vzdělávání", oblast=O_SPOL,
          stav=NESPLN),
        I("2.2.3", "Posílení možnosti terénních služeb v ORP", oblast=O_SPOL, indikator="obce pokryté terénní službou",
          cil=25, dosazeno=19, stav=CAST),
        I("3", "Zvýšení informovanosti o službách", oblast=O_SPOL),
        I("3.1", "Zajištění informací veřejnosti", oblast=O_SPOL),
        I("3.1.1", "Vytvoření komunikačního systému v ORP", oblast=O_SPOL, realizator=koord, stav=SPLN),
        I("3.1.2", "Katalog nabídky služeb (síť potenciálních poskytovatelů služeb)", oblast=O_SPOL, realizator=koord,
          indikator="katalog vydán", cil=1, dosazeno=1, stav=SPLN, pokracuje=True,
          komentar="Katalog se aktualizuje každý rok."),
        I("3.1.3", "Vytvoření jednoho portálu pro informace o sociálních službách", oblast=O_SPOL, stav=NESPLN),
        I("3.1.4", "Pořádání informačních akcí (Měsíc neziskovek)", oblast=O_SPOL, stav=SPLN),
    ]
    return items, [Project("Portál sociálních služeb ORP Chomutov", "Statutární město Chomutov", "2027", 350_000, "pripravuje")]


# --- the invalid samples ----------------------------------------------------------------------------------------

#: The base of the services mistakes: obec Březno reporting services its people use.
INVALID_BASE = ["ds_pisecna", "ps_brezno", "oa_charita", "nzdm_jirkov"]  # rows 2..5


def _cell_setter(kind: str, sheet_key: str, key: str, row: int, value: Any) -> Mutation:
    def mutate(wb):
        ws = wb[sheet_name(kind, sheet_key)]
        ref = f"{col(kind, sheet_key, key)}{row}"
        if value is None:
            ws[ref].value = None
        else:
            _set(ws, ref, value)
    return mutate


def _issue(code: str, sheet: str | None = None, cell: str | None = None) -> dict[str, Any]:
    return {"code": code, "severity": ISSUES[code].severity, "sheet": sheet, "cell": cell}


def write_invalid(out: Path) -> dict[str, list[dict[str, Any]]]:
    """One file per mistake; returns {filename: expected issues}."""
    out.mkdir(parents=True, exist_ok=True)
    base = [S[k] for k in INVALID_BASE]
    sl = sheet_name("sluzby", "sluzby")
    expected: dict[str, list[dict[str, Any]]] = {}
    row_of = {k: n for n, k in enumerate(INVALID_BASE, start=2)}

    def services(name: str, issues: list[dict[str, Any]], rows: list[Service] | None = None, **kw) -> None:
        write_services(out / name, BREZNO, rows or base, **kw)
        expected[name] = issues

    def cell(key: str, service: str) -> str:
        return f"{col('sluzby', 'sluzby', key)}{row_of[service]}"

    # a person wrote a word into a number cell
    services("kapacita_text_cca_20.xlsx", [_issue("not-an-integer", sl, cell("kapacita", "ps_brezno"))],
             mutate=_cell_setter("sluzby", "sluzby", "kapacita", row_of["ps_brezno"], "cca 20"))
    # the amount typed as text with ",- Kč": normalisable, so ACCEPTED (no issue)
    services("castka_jako_text_2_774_600_kc_prijato.xlsx", [],
             mutate=_cell_setter("sluzby", "sluzby", "naklady", row_of["ps_brezno"], "2 774 600,- Kč"))
    # "dům s pečovatelskou službou" confused with pečovatelská služba: pobytová is not allowed (§40)
    services("forma_nepovolena_pecovatelska_pobytova.xlsx", [_issue("form-not-allowed", sl, cell("forma", "ps_brezno"))],
             mutate=_cell_setter("sluzby", "sluzby", "forma", row_of["ps_brezno"], display("formy", "pob")))
    services("chybi_nazev_sluzby.xlsx", [_issue("required", sl, cell("nazev_sluzby", "oa_charita"))],
             mutate=_cell_setter("sluzby", "sluzby", "nazev_sluzby", row_of["oa_charita"], None))
    services("neznamy_druh_sluzby.xlsx", [_issue("unknown-code", sl, cell("druh", "ds_pisecna"))],
             mutate=_cell_setter("sluzby", "sluzby", "druh", row_of["ds_pisecna"], "Domov seniorů XY"))
    # the same registered service and form twice (second row reported, pointing at the identifier)
    dup = replace(S["ds_pisecna"], nazev="Domov pro seniory Písečná – pavilon B", kapacita=30, uzivatele=34, uvazky=15.0,
                  naklady=14_500_000, zdroje=(4_400_000, 2_400_000, 6_800_000, 600_000, 0, 150_000))
    services("duplicitni_identifikator_a_forma.xlsx",
             [_issue("duplicate-row", sl, f"{col('sluzby', 'sluzby', 'identifikator')}{len(base) + 2}")], rows=[*base, dup])
    services("neplatne_ico_kontrolni_cislice.xlsx", [_issue("invalid-ico", sl, cell("ico_poskytovatele", "oa_charita"))],
             mutate=_cell_setter("sluzby", "sluzby", "ico_poskytovatele", row_of["oa_charita"], bad_ico(CHARITA.ico)))
    services("luzka_u_terenni_sluzby.xlsx", [_issue("beds-not-residential", sl, cell("typ_kapacity", "ps_brezno"))],
             mutate=_cell_setter("sluzby", "sluzby", "typ_kapacity", row_of["ps_brezno"], display("typy_kapacity", "luzka")))
    kadan = municipalities()["563102"].name  # typed by hand: not in the ORP's dropdown
    services("obec_mimo_orp.xlsx", [_issue("outside-territory", sl, cell("obec", "nzdm_jirkov"))],
             mutate=_cell_setter("sluzby", "sluzby", "obec", row_of["nzdm_jirkov"], kadan))

    # a formula whose range was deleted: =SUM(#REF!) with the cached error Excel shows
    ref_cell = cell("naklady", "ds_pisecna")

    def put_error(wb):
        wb[sl][ref_cell].value = "#REF!"  # openpyxl writes an error cell (t="e"); the formula is patched in below

    def add_formula(xml: str) -> str:
        pattern = re.compile(rf'<c r="{ref_cell}"([^>]*?)t="e"([^>]*)><v>#REF!</v></c>')
        assert pattern.search(xml), "error cell not found"
        return pattern.sub(rf'<c r="{ref_cell}"\1t="e"\2><f>SUM(#REF!)</f><v>#REF!</v></c>', xml, count=1)

    sheet_index = get_template("sluzby").sheets.index(get_template("sluzby").sheet("sluzby")) + 1
    services("chyba_vzorce_ref.xlsx", [_issue("formula-error", sl, ref_cell)], mutate=put_error,
             patches={f"xl/worksheets/sheet{sheet_index}.xml": add_formula})

    # the identification sheet renamed by the person
    new_name = "Údaje o obci"

    def rename(wb):
        wb[sheet_name("sluzby", "identifikace")].title = new_name

    services("prejmenovany_list_identifikace.xlsx", [_issue("sheet-renamed", new_name)], mutate=rename)

    # plan tree mistakes, on Jirkov's plan
    items, projects = jirkov_plan()
    pl = sheet_name("plan", "plan")
    gone = "1.2"  # the goal row was deleted, its only measure 1.2.1 stayed
    kept = [i for i in items if i.cislo != gone]
    orphans = [i.cislo for i in kept if i.cislo.rsplit(".", 1)[0] == gone]
    assert orphans == ["1.2.1"], orphans
    orphan_row = 2 + [i.cislo for i in kept].index("1.2.1")
    write_submission(out / "plan_chybi_nadrazena_polozka.xlsx", "plan", JIRKOV_PLAN_WHO,
                     {"plan": [i.row(JIRKOV_LEVELS) for i in kept], "projekty": [p.row() for p in projects]},
                     ident_extra=JIRKOV_PLAN_IDENT)
    expected["plan_chybi_nadrazena_polozka.xlsx"] = [_issue("plan-parent-missing", pl, f"{col('plan', 'plan', 'cislo')}{orphan_row}")]
    wrong = [replace(i, uroven="priorita") if i.cislo == "1.1.2" else i for i in items]
    wrong_row = 2 + [i.cislo for i in items].index("1.1.2")
    write_plan(out / "plan_uroven_neodpovida_cislu.xlsx", JIRKOV_PLAN_WHO, wrong, projects, JIRKOV_LEVELS, JIRKOV_PLAN_IDENT)
    expected["plan_uroven_neodpovida_cislu.xlsx"] = [_issue("plan-level-depth", pl, f"{col('plan', 'plan', 'uroven')}{wrong_row}")]

    # not a workbook at all: a CSV export renamed to .xlsx
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    keys = ["nazev_sluzby", "druh", "forma", "kapacita"]
    w.writerow([get_template("sluzby").sheet("sluzby").field(k).label for k in keys])
    for s in base:
        r = s.row(_scope(BREZNO))
        w.writerow([r[k] for k in keys])
    (out / "neni_tabulka_csv_prejmenovane_na_xlsx.xlsx").write_bytes(buf.getvalue().encode("cp1250"))
    expected["neni_tabulka_csv_prejmenovane_na_xlsx.xlsx"] = [_issue("file-not-spreadsheet")]
    # an upload that lost its content
    (out / "prazdny_soubor.xlsx").write_bytes(b"")
    expected["prazdny_soubor.xlsx"] = [_issue("file-empty")]
    return dict(sorted(expected.items()))


# --- the regional network of services (template sit) ---------------------------------------------------------------

KRAJ_OFFICE = Submitter("kraj", "Krajský úřad Ústeckého kraje", ico("7089215"), ORP_CHOMUTOV, None, "Ing. Petra Novotná",
                        "sit.sluzeb@kr-ustecky.cz", "475 657 111", dt.date(2026, 1, 15))
#: network capacity that differs from what the service reports (service key → units in the network)
NETWORK_CAPACITY = {"ds_pisecna": 110}
#: registered services reported but not (yet) in the network
NOT_IN_NETWORK = ("nzdm_jirkov",)
CHARITA_KADAN_POR = Service("osp_kadan", "Odborné sociální poradenství Charity Kadaň", CHARITA_KADAN, "1", "amb", 10,
                            "klient", 0, 1.5, K_KADAN, (G_KRIZE,), 0, (0, 0, 0, 0, 0, 0))


def network_entries() -> list[dict[str, Any]]:
    """Every registered sample service in the ORP of its obec (with the differences above), one
    service in the network that nobody reports, and a home for seniors and a care service in
    every other ORP of the kraj (beds and clients per 1,000 inhabitants varying by ORP)."""
    scope = territory(kraj=KRAJ)

    def entry(s: Service, kapacita: int | None = None) -> dict[str, Any]:
        return {
            "identifikator": s.identifikator,
            "nazev_sluzby": s.nazev,
            "ico_poskytovatele": s.provider[1],
            "poskytovatel": s.provider[0],
            "druh": display("druhy_sluzeb", s.druh),
            "forma": display("formy", s.forma),
            "orp": display("orp", municipalities()[s.obec].orp, scope),
            "kapacita": s.kapacita if kapacita is None else kapacita,
            "typ_kapacity": display("typy_kapacity", s.typ),
            "uvazky": s.uvazky,
        }

    rows = [
        entry(s, NETWORK_CAPACITY.get(s.key))
        for s in [*S.values(), *SK.values(), CHARITA_KADAN_POR]
        if s.registrovana and s.key not in NOT_IN_NETWORK
    ]
    for code, o in sorted(orps().items()):
        if o["kod_kraje"] != KRAJ or code in (ORP_CHOMUTOV, ORP_KADAN):
            continue
        pop = territory(orp=code).population or 0
        seat = o["kod_obce_sidla"]
        rate = 3 + int(code) % 5  # beds per 1,000 inhabitants, 3–7
        for druh, forma, typ, per, name in (("13", "pob", "luzka", rate, "Domov pro seniory"),
                                             ("4", "ter", "klient", 2 * rate + 1, "Pečovatelská služba")):
            s = Service(f"sit_{druh}_{code}", f"{name} {o['nazev_orp']}", (f"Sociální služby {o['nazev_orp']}, p. o.",
                        ico(f"7{code}{druh:0>2}")), druh, forma, round(pop * per / 1000), typ, 0,
                        round(pop * per / 1000 / (2.2 if forma == "pob" else 14), 1), seat, (G_SENIORI,), 0, (0,) * 6)
            rows.append(entry(s))
    return rows


def write_network(path: Path) -> Path:
    """The regional network of Ústecký kraj for the sample year, filled as the regional office would."""
    kind = "sit"
    prefill = {"ico": KRAJ_OFFICE.ico, "nazev": KRAJ_OFFICE.name, "zpracoval": KRAJ_OFFICE.zpracoval,
               "email": KRAJ_OFFICE.email, "telefon": KRAJ_OFFICE.telefon}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="xlkpss_samples_") as tmp:
        blank = build_template(kind, Path(tmp) / "t.xlsx", year=YEAR, scope=territory(kraj=KRAJ), prefill=prefill)
        wb = openpyxl.load_workbook(blank)
    ident = wb[sheet_name(kind, "identifikace")]
    ident[ident_cell(kind, "datum_vyplneni")].value = dt.datetime.combine(KRAJ_OFFICE.filled, dt.time())
    _write_rows(wb, kind, "sit", network_entries())
    _readable_comments(wb)
    _save(wb, path)
    return path


# --- main --------------------------------------------------------------------------------------------------------------


def write_samples(out: Path) -> list[Path]:
    chom = out / "orp_4203_chomutov"
    kad = out / "orp_4204_kadan"
    in_obec = lambda code, cat: [s for s in cat.values() if s.obec == code]
    by = lambda who, cat: [s for s in cat.values() if s.provider == P(who)]

    write_services(chom / "obec_562971_chomutov_sluzby_2026.xlsx", CHOMUTOV_CITY, in_obec(CHOM, S))
    write_services(chom / "obec_563099_jirkov_sluzby_2026.xlsx", JIRKOV_CITY, in_obec(JIRKOV, S))
    write_services(chom / "obec_563013_brezno_sluzby_2026.xlsx", BREZNO, [S["ps_brezno"], S["oa_charita"]])
    write_services(chom / "obec_563340_sporice_sluzby_2026.xlsx", SPORICE, [S["ps_sporice"]])
    write_services(chom / "obec_563200_malkov_sluzby_2026.xlsx", MALKOV, [S["sas_malkov"]])
    write_services(chom / "obec_563501_vysoka_pec_sluzby_2026.xlsx", VYSOKA_PEC, [S["dozp_vysoka_pec"]])
    write_services(chom / "poskytovatel_00075655_muss_chomutov_2026.xlsx", MUSS, by(MUSS, S))
    write_services(chom / f"poskytovatel_{CHARITA.ico}_oblastni_charita_chomutov_2026.xlsx", CHARITA, by(CHARITA, S))
    write_services(chom / f"poskytovatel_{KUPROSPECHU.ico}_kuprospechu_2026.xlsx", KUPROSPECHU, by(KUPROSPECHU, S))
    items, projects = chomutov_plan()
    write_plan(chom / "plan_chomutov_2026.xlsx", CHOMUTOV_PLAN_WHO, items, projects, CHOMUTOV_LEVELS, CHOMUTOV_PLAN_IDENT)
    items, projects = jirkov_plan()
    write_plan(chom / "plan_jirkov_2026.xlsx", JIRKOV_PLAN_WHO, items, projects, JIRKOV_LEVELS, JIRKOV_PLAN_IDENT)

    write_services(kad / "obec_563102_kadan_sluzby_2026.xlsx", KADAN_CITY, in_obec(K_KADAN, SK))
    write_services(kad / "obec_563129_klasterec_nad_ohri_sluzby_2026.xlsx", KLASTEREC, in_obec(K_KLASTEREC, SK))
    write_services(kad / "obec_563404_vejprty_sluzby_2026.xlsx", VEJPRTY, in_obec(K_VEJPRTY, SK))
    write_services(kad / "obec_563285_perstejn_sluzby_2026.xlsx", PERSTEJN, in_obec(K_PERSTEJN, SK))
    write_services(kad / f"poskytovatel_{SOC_KADAN.ico}_socialni_sluzby_kadan_2026.xlsx", SOC_KADAN, by(SOC_KADAN, SK))

    plany = out / "plany"
    items, projects = zlin_plan()
    write_plan(plany / "plan_zlin_2026.xlsx", ZLIN_CITY, items, projects, ZLIN_LEVELS, ZLIN_PLAN_IDENT)
    items, projects = mos_plan()
    write_plan(plany / "plan_mos_orp_chomutov_2026.xlsx", MOS_WHO, items, projects, MOS_LEVELS, MOS_PLAN_IDENT)

    write_network(out / "sit" / f"sit_ustecky_kraj_{YEAR}.xlsx")

    expected = write_invalid(out / "invalid")
    (out / "invalid" / "EXPECTED.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return sorted(p for p in out.rglob("*") if p.is_file() and p.name != "README.md" and p.relative_to(out).parts[0] not in FIXED_DIRS)


#: committed fixtures that this script never writes (files made with an older template version;
#: the registry open-data sample written from tests/rpss.py)
FIXED_DIRS = ("starsi_verze", "registr")


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "README.md" and p.relative_to(root).parts[0] not in FIXED_DIRS
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing; exit 1 when stale")
    args = ap.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="xlkpss_samples_check_") as tmp:
            write_samples(Path(tmp))
            fresh, committed = _tree_bytes(Path(tmp)), _tree_bytes(args.out)
        stale = sorted(k for k in fresh.keys() | committed.keys() if fresh.get(k) != committed.get(k))
        for k in stale:
            print(f"stale sample: {k}", file=sys.stderr)
        return 1 if stale else 0
    # generated folders are rewritten completely (README.md is hand-written and kept;
    # FIXED_DIRS are committed fixtures and left alone)
    for sub in ("orp_4203_chomutov", "orp_4204_kadan", "plany", "sit", "invalid"):
        shutil.rmtree(args.out / sub, ignore_errors=True)
    for p in write_samples(args.out):
        print(p.relative_to(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
