"""`{% panels object %}`: the panels other apps registered for the object's detail page
(core/panels.py), each rendered from its own template, in order."""

from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from samdrift.core.panels import panel_contexts

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, obj: Any) -> SafeString:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    parts = []
    for panel, data in panel_contexts(user, obj):
        tpl = get_template(panel.template) if isinstance(panel.template, str) else panel.template
        parts.append(tpl.render({"object": obj, "data": data, "user": user}, request))
    # Each part is a rendered template, escaped by its own autoescape.
    return mark_safe("".join(parts))
