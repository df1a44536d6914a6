CQLMockCommand.main()
