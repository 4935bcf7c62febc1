"""ASGI entry point served by uvicorn (`maillage serve`): the Django application inside
the body limit, so an oversized request is refused before its body is read."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
django_application = get_asgi_application()

from maillage.shield import BodyLimit  # noqa: E402 - needs the settings configured above

application = BodyLimit(django_application)
