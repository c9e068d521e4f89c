"""The form renderer: Django's, with <select>, <input> and <textarea> written in Python.

Django renders every <option> through a template include; a filter bar with the operator's 290
owners and the assignment form's agents made that most of an agent queue page's server time
(bench/servicedesk_queue.py: about two thirds of 170 ms). `FormRenderer` writes the standard
select widget (Select, SelectMultiple, NullBooleanSelect and the model-choice fields that use them)
directly, producing the same markup as Django's templates `select.html`, `select_option.html` and
`attrs.html`; every other widget, and any select whose option template was changed, is rendered
by Django as before. The plain input widgets (text, number, e-mail, date, checkbox, hidden...)
and the textarea are written here too, the same markup as `input.html` and `textarea.html`: a
ticket page's forms spent a fifth of its server time including them. Each is checked against
Django's template source the first time it is used; a changed template is left to Django.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: text kept safe when it was marked safe, escaped otherwise."""
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    # As attrs.html: False leaves the attribute out, True writes it bare, anything else as text.
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {name}" if value is True else f' {name}="{_text(value)}"')
    return "".join(out)


def render_select(widget: dict[str, Any]) -> SafeString | None:
    """The select's HTML, or None when an option uses a template of its own."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option.get("template_name") != OPTION:
                return None
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"  # the template file's own newline
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every value above is escaped


INPUT = "django/forms/widgets/input.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# The templates written here, by what Django 6.1 ships in them: the input widgets that only
# include input.html, input.html itself and the textarea.
_INCLUDE_INPUT = '{% include "django/forms/widgets/input.html" %}\n'
_INPUT_SOURCE = (
    '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %}'
    " value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
    '{% include "django/forms/widgets/attrs.html" %}>\n'
)
_TEXTAREA_SOURCE = (
    '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n'
    "{% if widget.value %}{{ widget.value }}{% endif %}</textarea>\n"
)
_ATTRS_SOURCE = (
    "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
    "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}{% endfor %}"
)
_checked: dict[str, str | None] = {}


def _kind(template_name: str, get: Any) -> str | None:
    """ "input", "include" or "textarea" when the template's source is the one written here."""
    if template_name not in _checked:
        kind = None
        try:
            source = get(template_name).template.source
            attrs = get("django/forms/widgets/attrs.html").template.source
        except Exception:
            source = attrs = None
        if attrs == _ATTRS_SOURCE:
            if source == _INPUT_SOURCE:
                kind = "input"
            elif source == _TEXTAREA_SOURCE:
                kind = "textarea"
            elif source == _INCLUDE_INPUT and _kind(INPUT, get) == "input":
                kind = "include"
        _checked[template_name] = kind
    return _checked[template_name]


def render_input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def render_textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    text = conditional_escape(value) if value else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            html = render_select(context["widget"])
            if html is not None:
                return html
        elif template_name.startswith("django/forms/widgets/"):
            kind = _kind(template_name, self.get_template)
            if kind in ("input", "include"):  # Django's renderer strips the file's closing newlines
                return mark_safe(render_input(context["widget"]))
            if kind == "textarea":
                return mark_safe(render_textarea(context["widget"]))
        return super().render(template_name, context, request)
