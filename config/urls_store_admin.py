"""Support staff's view of one store's data, mounted under /admin/store/<id>/ by the middleware."""

from django.urls import path

from stores.store_admin import store_admin_site

urlpatterns = [path("", store_admin_site.urls)]
