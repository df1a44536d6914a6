print("cql-mock")
