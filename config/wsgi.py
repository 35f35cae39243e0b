import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What the app loaded (modules, settings, URL patterns, templates' code) lives as long as the process: moved out of
# the collector's generations, so the oldest generation's collections, which run now and then during a request,
# no longer walk those objects (the requests' own garbage is collected as before).
gc.freeze()
