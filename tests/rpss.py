"""A small ``rpss.json`` in exactly the structure of the MPSV open data
(``../shared/data/rpss_open_data_format.md``): root ``polozky``, one item per registered
service, ids ``<Ciselnik>/<kód>``, facilities with RÚIAN-style addresses.

``FIXTURE`` holds the awkward parts on purpose (the tests count them):

* 8610029 Domov pro seniory Písečná (Chomutov) — residential, beds; its facility repeats
* 3288609 Pečovatelská služba MÚSS (Chomutov) — two forms, the outpatient one with two capacities
* 4455667 Odlehčovací služby MÚSS — three forms, each with its own capacity type
* 7439893 Osobní asistence Charity (Chomutov) — facility without ``kodAdresnihoMista``
* 3463958 Azylový dům pro matky s dětmi Jirkov — secret address (``utajenaAdresa``); 26 beds
  (the samples' 2026 report says 24)
* 5781313 Pečovatelská služba Spořice — provision ended (``datumPoskytovaniDo`` 2024-12-31)
* 2025145 Nízkoprahový klub Jirkov — a facility that ended, a second one still open in Jirkov
* 9000001 Neznámý druh — unknown type, target group and capacity type codes (Chomutov)
* 6666661 Služba bez místa — no facility at all (no obec of provision)
* 5050505 Kadaň — a service in another ORP (outside an ORP Chomutov filter)
* three unusable records: no identifier, no forms, not an object
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MUSS = {"ico": "00075655", "nazev": "Městský ústav sociálních služeb Chomutov, p. o.",
        "emaily": [{"email": "info@muss-chomutov.cz", "poznamka": None}],
        "telefony": [{"telefon": "474651111", "poznamka": None}],
        "weby": [{"web": "www.muss-chomutov.cz", "poznamka": None}],
        "statutarniOrgany": [{"jmeno": "Jan", "prijmeni": "Tajný"}]}  # fmt: skip
CHARITA = {"ico": "46225315", "nazev": "Oblastní charita Chomutov", "emaily": [{"email": "charita@chomutov.cz"}],
           "telefony": [{"telefon": "474628888"}], "weby": []}  # fmt: skip
KUPROSPECHU = {"ico": "26752018", "nazev": "Kuprospěchu, o. s.", "emaily": [], "telefony": [], "weby": []}
SPORICE = {"ico": "00261998", "nazev": "Obec Spořice", "emaily": [], "telefony": [], "weby": []}
KADAN = {"ico": "71048537", "nazev": "Sociální služby města Kadaně, p. o.", "emaily": [], "telefony": [], "weby": []}


def address(obec: str, *, street: str | None = "Písečná", number: int | None = 5144, orient: str | None = None,
            psc: str | None = "43004", code: int | None = 12345678, kraj: int = 60, okres: int = 3503) -> dict:  # fmt: skip
    return {
        "cisloDomovni": number,
        "cisloOrientacni": orient,
        "dodatekAdresy": None,
        "kodAdresnihoMista": code,
        "psc": psc,
        "typCislaDomovniho": {"id": "TypStavebnihoObjektu/1"},
        "kraj": {"id": f"Kraj/{kraj}"},
        "okres": {"id": f"Okres/{okres}"},
        "obec": {"id": f"Obec/{obec}"},
        "castObce": {"id": "CastObce/414875"},
        "mestskyObvodMestskaCast": None,
        "mestskyObvodVPraze": None,
        "ulice": {"nazev": street} if street else None,
    }


def facility(name: str, adresa: dict | None, *, od: str = "2007-01-01", do: str | None = None,
             secret: bool = False) -> dict:  # fmt: skip
    return {"nazev": name, "poskytujeOd": od, "poskytujeDo": do, "utajenaAdresa": secret, "adresa": adresa}


def form(code: str, *capacities: tuple[int, str], continuous: bool = False) -> dict:
    return {
        "forma": {"id": f"FormaSocialniSluzby/{code}"},
        "nepretrzitePoskytovani": continuous,
        "casoveRozsahy": None,
        "kapacity": [
            {"pocet": n, "popis": f"Maximální kapacita {n}.", "typ": {"id": f"TypKapacitySocialniSluzby/{t}"}}
            for n, t in capacities
        ],
    }


def service(ident: Any, druh: int | str, provider: dict, forms: list[dict], facilities: list[dict], *,
            groups: tuple = (24,), ages: tuple = (7, 8), od: str = "2007-01-01T00:00:00", do: str | None = None,
            email: str | None = None, phone: str | None = None, portal: int = 1) -> dict:  # fmt: skip
    return {
        "portalId": portal,
        "id": f"Sluzba/{portal}",
        "identifikator": ident,
        "datumPoskytovaniOd": od,
        "datumPoskytovaniDo": do,
        "kontaktniAdresy": [],
        "druhSocialniSluzby": {"id": f"DruhSocialniSluzby/{druh}"},
        "zarizeni": facilities,
        "poskytovatel": provider,
        "emaily": [{"email": email, "poznamka": None}] if email else [],
        "telefony": [{"telefon": phone, "poznamka": None}] if phone else [],
        "faxy": [],
        "weby": [],
        "ciloveSkupiny": [{"cilovaSkupina": {"id": f"CilovaSkupinaOsoby/{g}"}} for g in groups],
        "vekoveSkupiny": [{"vekovaSkupina": {"id": f"VekovaSkupinaOsoby/{a}"}} for a in ages],
        "doplnujiciInformaceVekoveSkupiny": None,
        "formy": forms,
        "rozsirenePusobnostiVKraji": [],
        "doplnkoveUdaje": {
            "realizacePoskytovani": [{"priloha": {"url": "https://www.mpsv.cz/agportal-server/rest/documents/1"}}]
        },
    }


CHOMUTOV, JIRKOV, SPORICE_OBEC, KADAN_OBEC = "562971", "563099", "563340", "563102"

_home = facility("Domov pro seniory Písečná", address(CHOMUTOV, number=5144, code=11867906))

FIXTURE: list[Any] = [
    service("8610029", 13, MUSS, [form("pob", (120, "luzka"), continuous=True)], [_home, dict(_home)],
            email="domov@muss-chomutov.cz", phone="474651236", portal=1),
    service("3288609", 4, MUSS, [form("ter", (420, "klient")), form("amb", (10, "kontakt"), (40, "klient"))],
            [facility("Pečovatelská služba MÚSS Chomutov", address(CHOMUTOV, street="Kochova", number=1185))], portal=2),
    service("4455667", 8, MUSS, [form("pob", (6, "luzka")), form("amb", (8, "klient")), form("ter", (15, "klient"))],
            [facility("Odlehčovací služby MÚSS", address(CHOMUTOV, street="Kochova", number=1185))], portal=3),
    service(7439893, 3, CHARITA, [form("ter", (35, "klient"))],
            [facility("Osobní asistence Charity Chomutov", address(CHOMUTOV, street=None, number=12, code=None))],
            groups=(17, 24), portal=4),
    service("3463958", 20, CHARITA, [form("pob", (26, "luzka"))],
            [facility("Azylový dům pro matky s dětmi Jirkov", address(JIRKOV, street="Tajná", number=1), secret=True)],
            groups=(23, 3), portal=5),
    service("5781313", 4, SPORICE, [form("ter", (18, "klient"))],
            [facility("Pečovatelská služba Spořice", address(SPORICE_OBEC, street=None, number=1))],
            do="2024-12-31", portal=6),
    service("2025145", 25, KUPROSPECHU, [form("amb", (25, "klient"))],
            [facility("Nízkoprahový klub Jirkov (stará klubovna)", address(JIRKOV, street="Stará", number=3),
                      do="2019-06-30"),
             facility("Nízkoprahový klub Jirkov", address(JIRKOV, street="Nová", number=7))],
            groups=(1,), ages=(3, 4, 5), portal=7),
    service("9000001", 999, CHARITA, [form("amb", (5, "mist"), (12, "klient"))],
            [facility("Neznámá služba Chomutov", address(CHOMUTOV, street="Jiná", number=2))],
            groups=(24, 77), portal=8),
    service("6666661", 1, CHARITA, [form("amb", (3, "klient"))], [], groups=(19,), portal=9),
    service("5050505", 13, KADAN, [form("pob", (60, "luzka"))],
            [facility("Domov pro seniory Kadaň", address(KADAN_OBEC, street="Golovinova", number=1600))], portal=10),
    # unusable records
    {**service(None, 13, MUSS, [form("pob", (1, "luzka"))], [], portal=11), "identifikator": None},
    service("1234560", 13, MUSS, [], [facility("Bez formy", address(CHOMUTOV))], portal=12),
    "toto není záznam",
]  # fmt: skip

#: registered services × forms of ORP Chomutov in FIXTURE (ended ones included)
CHOMUTOV_ROWS = {
    ("8610029", "pob"), ("3288609", "ter"), ("3288609", "amb"), ("4455667", "pob"), ("4455667", "amb"),
    ("4455667", "ter"), ("7439893", "ter"), ("3463958", "pob"), ("5781313", "ter"), ("2025145", "amb"),
    ("9000001", "amb"),
}  # fmt: skip


def write_rpss(path: Path, items: list[Any] | None = None, *, indent: int | None = None) -> Path:
    """``{"polozky": items}`` as the open-data file (UTF-8, not ASCII-escaped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"polozky": FIXTURE if items is None else items}, ensure_ascii=False, indent=indent),
        encoding="utf-8",
    )
    return path
