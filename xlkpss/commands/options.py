"""What several commands share about their options: the territory of ``--obec/--orp/--kraj``
and the progress bar on stderr (click only; no library logic)."""

from __future__ import annotations

import sys

import click


def territory_scope(obec: str | None, orp: str | None, kraj: str | None):
    """The territory of --obec / --orp / --kraj, or a click usage error in Czech (exit 2)."""
    from xlkpss.codelists import TerritoryError, territory

    try:
        return territory(obec=obec, orp=orp, kraj=kraj)
    except TerritoryError as exc:
        what = str(exc).split(":")
        raise click.BadParameter(
            {
                "obec": f"neznámý kód obce {what[1]!r} (šestimístný kód ČSÚ, např. 562971 Chomutov)",
                "orp": f"neznámý kód ORP {what[1]!r} (čtyřmístný kód ČSÚ, např. 4203 Chomutov)",
                "kraj": f"neznámý kód kraje {what[1]!r} (kód NUTS 3, např. CZ042 Ústecký kraj)",
            }[what[0]]
            + (" – obec/ORP neleží v zadaném vyšším území" if len(what) > 2 else "")
        ) from None


def progress_callback(quiet: bool, label: str):
    """A progress callback for long runs (stderr), or None when quiet / few files."""
    if quiet or not sys.stderr.isatty():
        return None
    state = {"bar": None}

    def update(done: int, total: int) -> None:
        if total < 5:
            return
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
            state["bar"].__enter__()
        bar = state["bar"]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update
