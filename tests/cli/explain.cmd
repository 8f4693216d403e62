explain K0001
