// Upstream: Control connection, hosts, pools, load balancing, reconnects, prepared cache.
