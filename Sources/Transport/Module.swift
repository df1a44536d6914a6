// Transport: TCP (later TLS) connections behind one interface, listeners, connectors.
