"""Filters shared by the capabilities' FilterSets."""

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC before it reaches the database.

    PostgreSQL refuses UTC offsets beyond ±15:59 and Python cannot move the first or last
    representable instants across an offset; both are a clear 400 here, never a 500.
    """

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(_("Enter a date and time that can be represented."), code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
