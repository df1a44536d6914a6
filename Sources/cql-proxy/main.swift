print("cql-proxy")
