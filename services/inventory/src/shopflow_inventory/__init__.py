"""The inventory service: the product catalogue, stock levels and the stock held for orders."""
