from django import forms
from django.utils.translation import gettext_lazy as _


class InsightSettingsForm(forms.Form):
    name_other_owners = forms.BooleanField(
        label=_("show other owners by name"),
        required=False,
        help_text=_("Off: an owner sees its figures beside the group average only. On: also each other owner's."),
    )
