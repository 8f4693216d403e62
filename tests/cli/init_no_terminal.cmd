init --name shop
