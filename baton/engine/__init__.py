"""Where analytics SQL runs: DuckDB (embedded default) or Spark; see `baton.engine.base`."""
