import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samdrift.settings")
application = get_wsgi_application()

from samdrift.core import gc_tuning  # noqa: E402  # after Django is set up

gc_tuning.install()  # long-lived objects out of the collector's way (core/gc_tuning.py)
