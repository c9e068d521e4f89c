from django import forms
from django.utils.translation import gettext_lazy as _

from samdrift.core.pickers import SearchPicker


def bootstrapify(form: forms.BaseForm, *, mark_errors: bool = True) -> forms.BaseForm:
    """Give every widget Bootstrap's class. Django itself adds aria-invalid and an
    aria-describedby naming both the help text and the error (`id_<name>_helptext`, `_error`).

    `mark_errors=False` from a form's own `__init__`: reading `form.errors` there would validate a
    bound form before a subclass has narrowed its fields' choices (and Django never validates
    twice), so the narrowing would not apply; the form's `full_clean` marks the errors instead."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, SearchPicker):
            css = "form-control form-control-sm" if getattr(form, "compact", False) else "form-control"
        elif isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple too
            # A group of checkboxes or radio buttons: each a Bootstrap check with its own label,
            # the group named by a <fieldset> and <legend> in the form templates.
            css = "form-check-input"
            widget.template_name = "samdrift/widgets/choice_group.html"
            widget.option_template_name = "samdrift/widgets/choice_option.html"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select form-select-sm" if getattr(form, "compact", False) else "form-select"
        else:
            css = "form-control form-control-sm" if getattr(form, "compact", False) else "form-control"
        if mark_errors and form.is_bound and name in form.errors:
            css += " is-invalid"
        widget.attrs["class"] = css
        if getattr(form, "compact", False):
            _name_the_empty_choice(field)
    return form


CHOICE_GROUPS = frozenset({"radioselect", "checkboxselectmultiple"})


def is_choice_group(bound_field: forms.BoundField) -> bool:
    """A field shown as a group of radio buttons or checkboxes: labelled by a legend, not a label."""
    return bound_field.widget_type in CHOICE_GROUPS


def _name_the_empty_choice(field: forms.Field) -> None:
    """In a filter, the empty choice means "all": say so instead of "---------", which a
    screen reader reads out as a row of dashes."""
    if isinstance(field.widget, forms.NullBooleanSelect):
        field.widget.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]
    elif getattr(field, "empty_label", None) is not None:
        # ModelChoiceField and django-filter's ChoiceField read empty_label as they iterate; the
        # widget's copy of the choices may point at the class's field, so hand it the form's.
        field.empty_label = _("All")  # type: ignore[attr-defined]
        field.widget.choices = field.choices  # type: ignore[attr-defined]
