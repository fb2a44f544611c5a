"""Source-system connectors (databases, orchestration engines, ticketing tools) and their one contract."""
