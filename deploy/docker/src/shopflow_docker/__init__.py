"""ShopFlow in containers: the Docker engine, the images and their offline stand-ins,
the compose stack."""
