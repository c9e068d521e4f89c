import django_tables2 as tables
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from samdrift.tenancy.models import CostCentre, OrgUnit, Owner, Person, User

# The label names the table for screen readers (the lazy verbose name follows the language).
TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}
# Words rather than ✔/✘, which screen readers read out as "heavy check mark".
YES_NO = (_("Yes"), _("No"))


class OwnerTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = Owner
        fields = ("name", "municipality_code", "org_number", "population", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Owner._meta.verbose_name_plural)}


class OrgUnitTable(tables.Table):
    name = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = OrgUnit
        fields = ("name", "code", "kind", "parent", "owner", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(OrgUnit._meta.verbose_name_plural)}


class CostCentreTable(tables.Table):
    code = tables.Column(linkify=True)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = CostCentre
        fields = ("code", "name", "invoice_reference", "owner", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(CostCentre._meta.verbose_name_plural)}


class PersonTable(tables.Table):
    last_name = tables.Column(order_by=("last_name", "first_name", "id"))
    first_name = tables.Column(order_by=("first_name", "last_name", "id"))
    # Filtered, not sorted: sorting a million people by these has no index to walk (about 1 s).
    kind = tables.Column(orderable=False)
    active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO, orderable=False)

    class Meta:
        model = Person
        fields = ("last_name", "first_name", "kind", "email", "org_unit", "owner", "active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(Person._meta.verbose_name_plural)}

    def render_last_name(self, value: str, record: Person) -> str:
        # The badge sits beside the link, not in it, so the link's name stays the person's name.
        badge = (
            format_html(' <span class="badge text-bg-warning">{}</span>', _("Processing restricted"))
            if record.processing_restricted
            else ""
        )
        return format_html('<a href="{}">{}</a>{}', record.get_absolute_url(), value, badge)


class UserTable(tables.Table):
    username = tables.Column(linkify=True)
    is_active = tables.BooleanColumn(verbose_name=_("Active"), yesno=YES_NO)

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "is_active")
        attrs = {**TABLE_ATTRS, "aria-label": capfirst(User._meta.verbose_name_plural)}
