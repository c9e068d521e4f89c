"""Units of measure (UN/ECE Recommendation 20 codes) and Swedish number format for documents.

The XML carries the Rec. 20 code; the PDF and the screens show the Swedish name. Gigabyte is
`E34` (`GB` is gallon per day in Rec. 20), terabyte `E35`.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

#: The codes Samdrift uses, with the name shown on the PDF (translated; Swedish by default).
UNIT_NAMES = {
    "C62": _("pcs"),
    "H87": _("pcs"),
    "EA": _("pcs"),
    "HUR": _("h"),
    "MIN": _("min"),
    "DAY": _("days"),
    "MON": _("mon."),
    "ANN": _("years"),
    "E34": _("GB"),
    "E35": _("TB"),
    "4L": _("MB"),
    "LS": _("lump sum"),
}

#: Legacy codes that meant something else than Rec. 20 says, and their right code.
LEGACY_CODES = {"GB": "E34", "TB": "E35", "ST": "C62", "PCS": "C62"}


def normalise_unit(code: str) -> str:
    code = (code or "").strip().upper()
    return LEGACY_CODES.get(code, code) or "C62"


def unit_name(code: str) -> str:
    """The unit's name for people (Swedish on the invoice), or the code itself when unknown."""
    return str(UNIT_NAMES.get(code, code))


def swedish_number(value: Decimal | int | float, places: int | None = None) -> str:
    """A number as Swedish text: space between thousands, comma as decimal sign.

    `places` fixes the number of decimals (2 for money); without it the value's own decimals are
    shown without trailing zeros (0.4167 → "0,4167", 60.0000 → "60").
    """
    number = Decimal(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places))
        text = f"{number:,.{places}f}"
    else:
        number = number.normalize() if number != number.to_integral() else number.quantize(Decimal(1))
        decimals = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
        text = f"{number:,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def swedish_money(value: Decimal | int) -> str:
    """An amount in kronor: `974 035,57 kr`."""
    return f"{swedish_number(value, 2)}\u00a0kr"
