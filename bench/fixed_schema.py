"""The comparison point for tenant routing: a middleware that always uses one store's schema."""

import os

from django.conf import settings
from django.db import connection
from django.urls import set_urlconf


class FixedSchemaMiddleware:
    def __init__(self, get_response):
        from stores.models import Store

        self.get_response = get_response
        self.store = Store.objects.get(schema_name=os.environ["BENCH_FIXED_SCHEMA"])

    def __call__(self, request):
        request.tenant = self.store
        connection.set_tenant(self.store)
        request.urlconf = settings.ROOT_URLCONF
        set_urlconf(settings.ROOT_URLCONF)
        return self.get_response(request)
