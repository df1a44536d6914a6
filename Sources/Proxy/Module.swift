// Proxy: Client sessions, system tables, routing, retries.
