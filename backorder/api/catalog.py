"""Merchant API: the catalog copy from BigCommerce, its progress, and "sync now" (mounted at /api/v1/catalog/)."""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backorder import sync as catalog_sync
from backorder.models import CatalogSync
from backorder.selectors_products import catalog_sync_status, categories_with_paths
from stores.api_schema import ApiErrorSerializer
from stores.models import Store
from stores.tasks import enqueue_for_store


class CatalogSyncSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="running, done or failed.")
    phase = serializers.CharField(help_text="categories, products, inventory, then finished.")
    phase_label = serializers.CharField(source="get_phase_display")
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField()
    products_total = serializers.IntegerField(allow_null=True)
    products_done = serializers.IntegerField()
    variants_done = serializers.IntegerField()
    stock_items_done = serializers.IntegerField()
    api_requests = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


class CatalogStatusSerializer(serializers.Serializer):
    sync = CatalogSyncSerializer(allow_null=True, help_text="The latest sync; null before the first one.")
    percent = serializers.IntegerField(help_text="0-100, for a progress bar.")
    mirror = serializers.DictField(child=serializers.IntegerField(), help_text="Products and variants copied.")


class CatalogNotConnected(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Connect the store to BigCommerce first; the catalog is copied from there."
    default_code = "not_connected"


NOT_CONNECTED = OpenApiResponse(ApiErrorSerializer, description="`not_connected`: connect the store first.")


class CatalogSyncApi(APIView):
    @extend_schema(operation_id="catalog_sync_status", responses=CatalogStatusSerializer,
                   summary="The catalog copy from BigCommerce and its progress")  # fmt: skip
    def get(self, request):
        return Response(CatalogStatusSerializer(catalog_sync_status()).data)

    @extend_schema(
        operation_id="catalog_sync_start", request=None,
        responses={202: CatalogStatusSerializer, 409: NOT_CONNECTED},
        summary="Copy the whole catalog again now (a sync already running is not started twice)",
    )  # fmt: skip
    def post(self, request):
        store = request.tenant
        if store.connection != Store.Connection.CONNECTED:
            raise CatalogNotConnected()
        already = CatalogSync.objects.filter(status=CatalogSync.Status.RUNNING).values_list("pk", flat=True).first()
        started = catalog_sync.catalog_sync_start()
        if started.pk != already:  # a live sync keeps going on its own; only a new one needs a worker
            enqueue_for_store("backorder.tasks.catalog_sync", sync_id=started.pk, schema_name=store.schema_name)
        return Response(CatalogStatusSerializer(catalog_sync_status()).data, status=status.HTTP_202_ACCEPTED)


class CategorySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="BigCommerce category id.")
    name = serializers.CharField()
    path = serializers.CharField(help_text="The category's path from the top, e.g. “Lighting › Desk lamps”.")
    depth = serializers.IntegerField()


class CategoryListApi(APIView):
    @extend_schema(operation_id="categories_list", responses=CategorySerializer(many=True),
                   summary="Every category of the catalog with its path (for choosing a category policy)")  # fmt: skip
    def get(self, request):
        return Response(CategorySerializer(categories_with_paths(), many=True).data)


urlpatterns = [
    path("sync/", CatalogSyncApi.as_view(), name="catalog-sync"),
    path("categories/", CategoryListApi.as_view(), name="categories"),
]
