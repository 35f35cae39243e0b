"""The rules of the product, one module per area; each function states its rule in its docstring.

- policies: which policy applies to a variant, and why; creating and changing policies
- availability: what a shopper can buy now and when it ships (precomputed per variant)
- lifecycle: a backorder's states and its timeline
- allocation: arriving stock goes to the oldest waiting backorders first
- capture: backorders from BigCommerce orders
- cancellation: cancelling backorders, releasing units, refunding
- purchase_orders: incoming stock and its receipt
"""
