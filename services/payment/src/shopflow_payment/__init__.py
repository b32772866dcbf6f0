"""The payment service: charges an order at the payment provider once, and refunds it if the
order is cancelled."""
