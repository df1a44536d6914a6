CQLProxyCommand.main()
