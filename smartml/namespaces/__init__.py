"""The client's namespaces, one module per area; each async class has a sync twin."""
