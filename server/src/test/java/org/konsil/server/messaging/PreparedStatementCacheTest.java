package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.konsil.server.KonsilNode;

/**
 * The statements of the message path are short enough for the database client to keep them
 * prepared: a longer one would be parsed and planned by PostgreSQL on every send (the client's
 * default limit, 2,048 characters, is below the message statement's length).
 */
class PreparedStatementCacheTest {

  @Test
  void everyMessageStatementFitsTheCacheLimit() throws IllegalAccessException {
    List<String> checked = new ArrayList<>();
    for (Field field : MessageStore.class.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        field.setAccessible(true);
        String sql = (String) field.get(null);
        assertTrue(
            sql.length() <= KonsilNode.PREPARED_STATEMENT_CACHE_SQL_LIMIT,
            field.getName() + " has " + sql.length() + " characters");
        checked.add(field.getName() + "=" + sql.length());
      }
    }
    assertTrue(
        checked.toString().contains("STORE="), "the store statement was checked: " + checked);
    assertTrue(
        checked.stream().anyMatch(entry -> entry.startsWith("STORE=") && length(entry) > 2_048),
        "the store statement is longer than the client's default limit, which is why it is set: "
            + checked);
  }

  private static int length(String entry) {
    return Integer.parseInt(entry.substring(entry.indexOf('=') + 1));
  }
}
