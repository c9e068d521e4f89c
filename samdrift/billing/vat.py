"""VAT (mervärdesskatt): the one place that knows the categories, the rates, how VAT is summed and
which account it is booked on. Totals, the Peppol XML, the PDF and the SIE export all call it.

Categories (EN 16931 code list UNCL5305, the ones a Swedish shared IT organisation needs):

- **S** standard rated: 25, 12 or 6 % (SE-R-006); the rate is always above zero (BR-S-05).
- **E** exempt from VAT (undantag från skatteplikt): 0 %, with an exemption reason (BR-E-10).
- **Z** zero rated: 0 %, and no exemption reason (BR-Z-10).
- **O** outside the scope of VAT (ej föremål för moms, e.g. a municipality's own activity): no
  rate at all (BR-O-05), exemption reason VATEX-EU-O (BR-O-10), the seller's VAT number left out
  (BR-O-02) and no other category on the same invoice (BR-O-11..14): such lines get an invoice
  of their own.

VAT is computed per category and rate on the sum of the lines' net amounts and rounded to the öre
once (BR-CO-17, BR-S-09), never per line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from samdrift.core.money import to_money


class VatCategory(models.TextChoices):
    STANDARD = "S", _("Standard rate (S)")
    EXEMPT = "E", _("Exempt from VAT (E)")
    ZERO = "Z", _("Zero rated (Z)")
    OUTSIDE = "O", _("Outside the scope of VAT (O)")


STANDARD_RATES: tuple[Decimal, ...] = (Decimal(25), Decimal(12), Decimal(6))
ZERO = Decimal(0)

#: Exemption reason (BT-121 code from the VATEX list, BT-120 text) per category; S and Z have none.
EXEMPTION: dict[str, tuple[str, str]] = {
    VatCategory.EXEMPT: ("VATEX-EU-132", "Undantagen från skatteplikt enligt 10 kap. mervärdesskattelagen (2023:200)"),
    VatCategory.OUTSIDE: ("VATEX-EU-O", "Ej föremål för mervärdesskatt"),
}

#: Output VAT accounts (BAS, utgående moms) of the standard rates.
OUTPUT_VAT_ACCOUNTS: dict[Decimal, str] = {Decimal(25): "2611", Decimal(12): "2621", Decimal(6): "2631"}

#: The rate choices forms offer: each standard rate and 0 for the categories without VAT.
RATE_CHOICES = [(Decimal(25), "25"), (Decimal(12), "12"), (Decimal(6), "6"), (Decimal(0), "0")]


def rate_for(category: str, rate: Decimal | int | str | None) -> Decimal:
    """The rate a line of this category carries, checked: raises ValidationError (in Swedish by
    default) for a rate the category does not allow. O and the zero categories always get 0."""
    value = Decimal(rate if rate is not None else 0)
    if category == VatCategory.STANDARD:
        if value not in STANDARD_RATES:
            raise ValidationError(
                {
                    "vat_rate": gettext(
                        "Standard-rated VAT (S) is 25, 12 or 6 %%; %(rate)s %% is not a Swedish VAT rate. "
                        "Choose exempt (E), zero rated (Z) or outside the scope of VAT (O) for 0 %%."
                    )
                    % {"rate": format(value.normalize(), "f")}
                }
            )
        return value
    if category in (VatCategory.EXEMPT, VatCategory.ZERO, VatCategory.OUTSIDE):
        if value != ZERO:
            raise ValidationError(
                {
                    "vat_rate": gettext("VAT category %(category)s has no VAT: the rate must be 0 %%.")
                    % {"category": VatCategory(category).label}
                }
            )
        return ZERO
    raise ValidationError({"vat_category": gettext("Unknown VAT category %(code)s.") % {"code": category}})


def check_vat(category: str, rate: Decimal | int | str | None) -> None:
    """Validate a category and rate pair (forms, serializers and actions call this)."""
    rate_for(category, rate)


def vat_account(category: str, rate: Decimal | int | str) -> str:
    """The BAS account output VAT of this category and rate is booked on ('' when there is no VAT).

    Refuses a standard rate it has no account for, instead of booking it on the 25 % account.
    """
    value = Decimal(rate)
    if category != VatCategory.STANDARD:
        return ""
    try:
        return OUTPUT_VAT_ACCOUNTS[value]
    except KeyError:
        raise ValidationError(
            gettext("There is no output VAT account for %(rate)s %%.") % {"rate": format(value.normalize(), "f")}
        ) from None


def exemption(category: str) -> tuple[str, str]:
    """(reason code, reason text) of a category, or ('', '')."""
    return EXEMPTION.get(category, ("", ""))


@dataclass(frozen=True)
class VatSubtotal:
    """One VAT breakdown (BG-23): category, rate, taxable amount and VAT, to the öre."""

    category: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal

    @property
    def exemption_code(self) -> str:
        return exemption(self.category)[0]

    @property
    def exemption_text(self) -> str:
        return exemption(self.category)[1]

    @property
    def account(self) -> str:
        return vat_account(self.category, self.rate)

    @property
    def label(self) -> str:
        if self.category == VatCategory.STANDARD:
            return gettext("VAT %(rate)s %%") % {"rate": format(self.rate.normalize(), "f")}
        return str(VatCategory(self.category).label)


def tax_on(category: str, rate: Decimal, taxable: Decimal) -> Decimal:
    """VAT of one breakdown: taxable × rate ÷ 100 rounded to the öre "half up" as the published
    rule computes it (BR-CO-17, XPath `round`: a half goes towards plus infinity, so a negative
    -0.005 becomes 0.00, not -0.01); 0 unless S."""
    if category != VatCategory.STANDARD:
        return Decimal("0.00")
    exact = to_money(taxable) * Decimal(rate) / 100
    return ((exact * 100 + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR) / 100).quantize(Decimal("0.01"))


def breakdown(items: Iterable[tuple[str, Decimal | int, Decimal]]) -> tuple[VatSubtotal, ...]:
    """The VAT breakdown of (category, rate, net amount) items: one subtotal per category and rate,
    standard rates first (highest first), then E, Z, O. A category whose taxable amount sums to
    zero still gets its breakdown when it has lines (BR-S-01, BR-E-01 …)."""
    taxable: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: Decimal("0.00"))
    for category, rate, amount in items:
        value = ZERO if category != VatCategory.STANDARD else Decimal(rate)
        taxable[(category or VatCategory.STANDARD, value)] += to_money(amount)
    order: dict[str, int] = {
        VatCategory.STANDARD: 0,
        VatCategory.EXEMPT: 1,
        VatCategory.ZERO: 2,
        VatCategory.OUTSIDE: 3,
    }
    return tuple(
        VatSubtotal(category=cat, rate=rate, taxable=amount, tax=tax_on(cat, rate, amount))
        for (cat, rate), amount in sorted(taxable.items(), key=lambda kv: (order.get(kv[0][0], 9), -kv[0][1]))
    )


def total_tax(subtotals: Iterable[VatSubtotal]) -> Decimal:
    return sum((s.tax for s in subtotals), Decimal("0.00"))
