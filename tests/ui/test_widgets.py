"""Form widgets as people see them: groups of radio buttons and checkboxes are labelled groups of
Bootstrap checks (not `form-control` pills), and every option has its own label."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string

from samdrift.core.forms import bootstrapify


class Choices(forms.Form):
    rating = forms.TypedChoiceField(
        label="Betyg", coerce=int, choices=[(i, str(i)) for i in range(1, 6)], widget=forms.RadioSelect
    )
    devices = forms.MultipleChoiceField(
        label="Enheter",
        choices=[("1", "Dator 1"), ("2", "Telefon 2")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(label="Anteckning")


def test_radio_and_checkbox_groups_render_as_labelled_groups() -> None:
    form = bootstrapify(Choices({"rating": "9"}))
    html = "".join(render_to_string("core/_field.html", {"field": field}) for field in form)
    groups = html.split('for="id_note"')[0]
    assert "form-control" not in groups
    assert html.count("<fieldset") == 2
    assert re.search(r"<legend[^>]*>Betyg", html) and re.search(r"<legend[^>]*>Enheter", html)
    inputs = re.findall(r'<input type="(radio|checkbox)"[^>]*id="([^"]+)"[^>]*>', html)
    assert len(inputs) == 7
    for _type, input_id in inputs:
        assert f'<label class="form-check-label" for="{input_id}">' in html
    assert re.search(r'<input type="radio"[^>]*class="form-check-input', html)
    # the invalid choice is announced on the group
    assert re.search(r'<fieldset[^>]*aria-describedby="\s*id_rating_error"', html)
    # an ordinary field keeps its label and Bootstrap class
    assert re.search(r'<label[^>]*for="id_note"', html) and 'class="form-control' in html


def test_money_and_numbers_through_one_swedish_formatter() -> None:
    from decimal import Decimal

    from samdrift.core.formats import format_money, format_number

    assert format_money(Decimal("21331000")) == "21\u00a0331\u00a0000,00\u00a0kr"
    assert format_money(Decimal("9450")) == "9\u00a0450,00\u00a0kr"
    assert format_number(Decimal("-1234.5"), 1) == "-1\u00a0234,5"
    assert format_money(None) == ""
