"""Merchant API: the catalog as the app sees it, one row per variant (mounted at /api/v1/products/)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from backorder import texts
from backorder.api.pagination import Pagination
from backorder.selectors_products import SHOW, SORTS, variants_for_products_page, variants_stock_picture
from backorder.services.availability import store_today


class ProductsQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Product name, SKU, or a BigCommerce product or variant id.")  # fmt: skip
    show = serializers.ChoiceField(choices=SHOW, default="all")
    sort = serializers.ChoiceField(choices=list(SORTS), default="name")


class VariantPolicySerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    level = serializers.CharField(allow_null=True)
    enabled = serializers.BooleanField()
    mode = serializers.CharField(allow_null=True)
    why = serializers.CharField()


class StorefrontShowsSerializer(serializers.Serializer):
    state = serializers.CharField()
    button_label = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    expected_ship_date = serializers.DateField(allow_null=True)


class VariantAtLocationSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    label = serializers.CharField()
    on_hand = serializers.IntegerField(allow_null=True, help_text="Units free on hand there.")
    units_waiting = serializers.IntegerField(help_text="Units of backorders waiting there.")
    units_incoming = serializers.IntegerField(help_text="Units on purchase orders received there.")
    backorders_left = serializers.IntegerField(allow_null=True, help_text="Units left under its cap; null: no cap.")
    sells_online = serializers.BooleanField()
    enabled = serializers.BooleanField()


class ProductVariantOutputSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    sku = serializers.CharField()
    option_label = serializers.CharField()
    category_ids = serializers.ListField(child=serializers.IntegerField())
    tracked = serializers.BooleanField()
    on_hand = serializers.IntegerField(allow_null=True)
    units_waiting = serializers.IntegerField()
    units_incoming = serializers.IntegerField()
    next_delivery = serializers.DateField(allow_null=True)
    policy = VariantPolicySerializer()
    storefront = StorefrontShowsSerializer(allow_null=True, help_text="What the storefront shows for one unit.")
    locations = VariantAtLocationSerializer(many=True, help_text="Per location (empty with one location).")


class ProductListApi(APIView):
    pagination_class = Pagination  # the schema shows the page envelope ({"count", "next", "previous", "results"})
    QuerySerializer = ProductsQuerySerializer

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductsQuerySerializer],
        responses=ProductVariantOutputSerializer(many=True),
        summary="Variants with stock, waiting and incoming units, the policy that applies and why",
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        variants = variants_for_products_page(**query.validated_data)
        paginator = self.pagination_class()
        page = list(paginator.paginate_queryset(variants, request, view=self))
        store = request.tenant
        picture = variants_stock_picture(
            variants=page, language=texts.language_for(None, store.language), today=store_today(store)
        )
        results = [
            {
                "variant_id": variant.bigcommerce_id,
                "product_id": variant.product.bigcommerce_id,
                "product_name": variant.product.name,
                "sku": variant.sku,
                "option_label": variant.option_label,
                "category_ids": variant.product.category_ids,
                **picture[variant.bigcommerce_id],
            }
            for variant in page
        ]
        return paginator.get_paginated_response(ProductVariantOutputSerializer(results, many=True).data)


urlpatterns = [path("", ProductListApi.as_view(), name="products")]
