#!/usr/bin/env python
"""Samdrift's command-line entry point (also `python -m samdrift`)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
