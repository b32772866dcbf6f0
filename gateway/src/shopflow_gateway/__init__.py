"""ShopFlow's API gateway: the one public front door to the shop's services."""
