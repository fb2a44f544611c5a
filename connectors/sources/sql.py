"""SQL database sources (PostgreSQL, MySQL/MariaDB, SQLite, any ADBC driver): a table or a bound query, streamed.

Example config (``baton pull sources/orders.yaml``)::

    kind: postgres
    name: orders
    settings: {host: db.local, database: erp, user: baton, password_env: ERP_PASSWORD,
               query: "SELECT * FROM order_events WHERE plant = :plant", params: {plant: "P1"}}
    primary_key: [event_id]
    cursor_column: changed_at

Each read runs ``SELECT * FROM (<table or query>) q WHERE q.<cursor> >= <bound cursor> ORDER BY q.<cursor>``;
the cursor and the params are always bound by the driver, never formatted into the SQL.
"""

from __future__ import annotations

from connectors.sources.sql_adbc import AdbcSource
from connectors.sources.sql_base import SqlSource
from connectors.sources.sql_mysql import MysqlSource
from connectors.sources.sql_postgres import PostgresSource
from connectors.sources.sql_sqlite import SqliteSource

#: kind -> connector class, for the source registry.
SQL_SOURCES: dict[str, type[SqlSource]] = {
    cls.kind: cls for cls in (PostgresSource, MysqlSource, SqliteSource, AdbcSource)
}
#: MariaDB speaks the MySQL protocol.
SQL_SOURCES["mariadb"] = MysqlSource

__all__ = ["SQL_SOURCES", "AdbcSource", "MysqlSource", "PostgresSource", "SqlSource", "SqliteSource"]
