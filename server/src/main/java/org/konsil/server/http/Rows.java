package org.konsil.server.http;

import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;

/** The two ways the stores read a result: its first row, or all of it as a list. */
public final class Rows {

  private Rows() {}

  /** The first row, or null when there is none. */
  public static <T> T firstOrNull(RowSet<T> rows) {
    return rows.size() == 0 ? null : rows.iterator().next();
  }

  public static <T> List<T> list(RowSet<T> rows) {
    List<T> list = new ArrayList<>(rows.size());
    rows.forEach(list::add);
    return list;
  }
}
