"""Swedish identifiers, validated with python-stdnum."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import orgnr, vat


def normalise_orgnr(value: str) -> str:
    """'212000-1124' -> '2120001124'; raises ValidationError when the number is not valid."""
    try:
        return orgnr.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid Swedish organisation number (10 digits with a check digit)."),
            code="invalid_orgnr",
            params={"value": value},
        ) from exc


def validate_orgnr(value: str) -> None:
    normalise_orgnr(value)


def validate_vat(value: str) -> None:
    try:
        vat.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid Swedish VAT number (SE + 12 digits)."),
            code="invalid_vat",
            params={"value": value},
        ) from exc


def format_orgnr(value: str) -> str:
    return orgnr.format(value) if value else value
