"""The notification service: what the shop tells a customer when an order has ended."""
