"""The order service: places a customer's order at inventory's prices, shows it and cancels it."""
