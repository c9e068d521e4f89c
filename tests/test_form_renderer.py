"""The select widgets written in Python (samdrift/core/renderers.py) give exactly the markup
Django's own templates give, for every kind of select the project uses."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from samdrift.core.renderers import FormRenderer
from samdrift.tenancy.models import Owner


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "---"), ("a", "A & <b>"), ("b", 'B "quoted"')])
    grouped = forms.ChoiceField(
        choices=[("Laptops", [("l1", "Latitude"), ("l2", "ThinkPad")]), ("Telefoner", [("p1", "iPhone")]), ("x", "X")]
    )
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), (3, "three")])
    maybe = forms.NullBooleanField()
    owner = forms.ModelChoiceField(queryset=Owner.objects.order_by("name"), required=False)
    custom = forms.ChoiceField(
        choices=[("1", "ett")], widget=forms.Select(attrs={"class": "form-select", "data-x": "<y>", "hidden": True})
    )


def _render(renderer: Any, data: dict[str, Any] | None) -> str:
    form = Everything(data, renderer=renderer)
    return "\n".join(str(form[name]) for name in form.fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"plain": "a", "grouped": "l2", "many": ["1", "3"], "maybe": "true", "custom": "1"},
        {"plain": "nonsense", "grouped": "p1", "many": ["2"], "maybe": "false"},
    ],
)
def test_python_selects_match_djangos_templates(world: Any, data: dict[str, Any] | None) -> None:
    if data is not None:
        data = {**data, "owner": str(world.b.owner.pk)}
    ours = _render(FormRenderer(), data)
    django = _render(DjangoTemplates(), data)
    assert ours == django
    assert "<select" in ours and "&lt;b&gt;" in ours and "<optgroup" in ours  # escaped, grouped
    if data is not None:
        assert f'<option value="{world.b.owner.pk}" selected>' in ours


def test_the_project_uses_it() -> None:
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)


def test_a_select_whose_options_have_their_own_template_is_left_to_django() -> None:
    class Fancy(forms.Select):
        option_template_name = "django/forms/widgets/input.html"

    field = forms.ChoiceField(choices=[("a", "A")], widget=Fancy)
    form = forms.Form(renderer=FormRenderer())
    form.fields["f"] = field
    out = str(form["f"])
    assert "<option" not in out and "<input" in out


@pytest.mark.django_db
def test_the_empty_choice_of_a_model_select_reads_in_swedish() -> None:
    """Django 6.1 labels it "- Select an option -" and its Swedish catalogue has no translation;
    ours has (samdrift/locale)."""
    from django.utils import translation

    with translation.override("sv"):
        html = str(Everything(renderer=FormRenderer())["owner"])
    assert '<option value="" selected>– Välj –</option>' in html


class Inputs(forms.Form):
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": 'Sök "här" & <nu>'}))
    number = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"min": 1, "max": 5}))
    money = forms.DecimalField(required=False, localize=True)
    email = forms.EmailField(required=False)
    when = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.DateTimeField(required=False)
    flag = forms.BooleanField(required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "x y"}))
    url = forms.URLField(required=False)
    upload = forms.FileField(required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": 'a "quoted" <b>&amp;',
            "number": "3",
            "money": "1234,50",
            "email": "x@example.org",
            "when": "2026-12-06",
            "at": "2026-12-06 10:00",
            "flag": "on",
            "hidden": "<script>",
            "secret": "p&ss",
            "body": "Rad ett\n<b>två</b> & tre",
            "url": "https://example.org/?a=1&b=2",
        },
        {"number": "not a number", "email": "nope", "body": ""},
    ],
)
def test_python_inputs_and_textareas_match_djangos_templates(data: dict[str, Any] | None) -> None:
    def render(renderer: Any) -> str:
        form = Inputs(data, renderer=renderer)
        return "\n".join(str(form[name]) for name in form.fields)

    ours, django = render(FormRenderer()), render(DjangoTemplates())
    assert ours == django
    assert ours.count("<input") == 11 and "<textarea" in ours
    from samdrift.core.renderers import _checked

    # Written in Python, not handed back to Django's templates.
    assert _checked["django/forms/widgets/text.html"] == "include"
    assert _checked["django/forms/widgets/textarea.html"] == "textarea"
    if data is not None and data.get("text"):
        assert "&lt;b&gt;" in ours and "&quot;quoted&quot;" in ours


def test_a_changed_input_template_is_left_to_django(monkeypatch: Any) -> None:
    from samdrift.core import renderers

    monkeypatch.setattr(renderers, "_checked", {})
    monkeypatch.setattr(renderers, "_INPUT_SOURCE", "something else")
    form = Inputs(renderer=FormRenderer())
    assert str(form["text"]) == str(Inputs(renderer=DjangoTemplates())["text"])
    assert renderers._checked["django/forms/widgets/text.html"] is None
