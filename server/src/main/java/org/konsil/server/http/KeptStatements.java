package org.konsil.server.http;

import io.vertx.sqlclient.SqlConnectOptions;

/**
 * Which statements each database connection keeps prepared. A kept statement is parsed once per
 * connection; after PostgreSQL's first five executions it may run on one generic plan instead of
 * being planned again each time (PostgreSQL decides by cost; the message batches' connections are
 * told to, see {@code KonsilNode.pool}). Short statements are kept, as the SQL client does by
 * default; a long one only when it starts with {@link #MARK}. Long statements are planned each time
 * by default because a generic plan made while a table is small (a new installation) can stay in
 * use while the table grows; a statement that is marked must have a plan that does not depend on
 * table sizes (its lookups are by index, e.g. through {@code LATERAL}), and a test checks that
 * plan.
 */
public final class KeptStatements {

  /** The first characters of a long statement that every connection keeps prepared. */
  public static final String MARK = "/* kept prepared */ ";

  /** The SQL client's default (2,048): statements up to this length are kept. */
  static final int SHORT = SqlConnectOptions.DEFAULT_PREPARED_STATEMENT_CACHE_SQL_LIMIT;

  private KeptStatements() {}

  /** Whether a connection keeps this statement prepared. */
  public static boolean kept(String sql) {
    return sql.length() <= SHORT || sql.startsWith(MARK);
  }
}
