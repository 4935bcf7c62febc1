"""The product's settings (every middleware) with the benchmark's URLs in front."""

import warnings

from maillage.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.sse.django_urls"

# WhiteNoise warns that the benchmark's checkout has no collected static files.
warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")
