"""`{{ table|table_body }}`: a django-tables2 table's body rows in one Python pass (core/tables.py)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from samdrift.core.tables import body_html

register = template.Library()


@register.filter
def table_body(table: Any) -> SafeString:
    return body_html(table)
