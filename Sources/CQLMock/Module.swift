// CQLMock: The in-memory CQL cluster (and later the Astra emulator) used by tests, benchmarks and the demo.
