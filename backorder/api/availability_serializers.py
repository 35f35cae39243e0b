"""The storefront's availability answer (backorder.services.availability.availability_answer) as a serializer,
shared by the public storefront API and the merchant API's policy preview.

Module level: the class names are the OpenAPI component names.
"""

from rest_framework import serializers


# State, split, label, message and expected ship date of a product (or one of its variants). Comments, not
# docstrings, on these two: a docstring would become the component's description in the schema.
class ProductAvailabilityOutputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    variant_id = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=["in_stock", "backorder", "preorder", "unavailable"])
    on_hand = serializers.IntegerField(allow_null=True)
    backorder_available = serializers.IntegerField(allow_null=True)
    requested_quantity = serializers.IntegerField()
    ready_to_ship = serializers.IntegerField()
    backordered = serializers.IntegerField()
    button_label = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    expected_ship_date = serializers.DateField(allow_null=True)
    shipping_preference = serializers.CharField(allow_null=True)


# The same answer where the item is named around it (a policy preview): without the ids and the shipping
# preference.
class StorefrontAnswerSerializer(ProductAvailabilityOutputSerializer):
    product_id = variant_id = shipping_preference = None
