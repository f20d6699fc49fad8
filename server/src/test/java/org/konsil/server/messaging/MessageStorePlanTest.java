package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.konsil.db.DatabaseSettings;
import org.konsil.server.KonsilNode;
import org.konsil.server.http.KeptStatements;
import org.konsil.server.testkit.TestDatabase;

/**
 * The message statement is kept prepared on every connection, so PostgreSQL may run it on one
 * generic plan made early, when the tables are small. That plan must look up the earlier message
 * under the same client id by index however small the table was: a plan with a full scan of {@code
 * messages} made on a new installation stays in use while the table grows (in the benchmark every
 * send got slower by the second). Checked with PostgreSQL's own generic plan, on an empty database
 * that was never analysed and again after 20,000 messages and ANALYZE.
 */
class MessageStorePlanTest {

  @Test
  void theStoreStatementForFewMessagesIsKeptPreparedAndLongStatementsAreNot() {
    assertTrue(KeptStatements.kept(MessageStore.STORE));
    // the same text without the mark, for large batches, is planned for each batch
    assertFalse(KeptStatements.kept(MessageStore.STORE_MANY));
    assertTrue(KeptStatements.kept("SELECT 1"));
    assertFalse(KeptStatements.kept("SELECT " + "1 + ".repeat(1000) + "1"));
  }

  @Test
  void theGenericPlanLooksMessagesUpByIndexOnAnEmptyTableAndOnAFullOne() throws SQLException {
    DatabaseSettings database = TestDatabase.superuser(TestDatabase.fresh());
    String explain = "EXPLAIN (GENERIC_PLAN, COSTS OFF) " + positional(MessageStore.STORE);
    try (Connection c = explaining(database);
        Statement s = c.createStatement()) {
      String empty = plan(s, explain);
      assertTrue(empty.contains("Insert on messages"), empty);
      assertFalse(empty.contains("Seq Scan on messages"), empty);

      // rows only for the table's size: without foreign-key checks (superuser, this session)
      s.execute(
          """
          SET session_replication_role = replica;
          INSERT INTO messages (room_id, seq, id, kind, content, sent_at, client_msg_id)
          SELECT gen_random_uuid(), 1, gen_random_uuid(), 'text', 'message ' || n, now(),
                 gen_random_uuid()
            FROM generate_series(1, 20000) n;
          ANALYZE""");
      String full = plan(s, explain);
      assertFalse(full.contains("Seq Scan on messages"), full);
    }
  }

  /**
   * On the generic-plan pool this plan is the one that runs, whatever the table sizes it was made
   * at, until ANALYZE makes PostgreSQL plan again. With that pool's settings, after ANALYZE of many
   * rooms, patients and memberships and of a still empty {@code messages} (which without them the
   * plan scans), everything is looked up by index: no scan of a whole table, and no index read from
   * end to end (an index scan without a condition).
   */
  @Test
  void theGenericPlanLooksRoomsPatientsAndMembersUpByIndexWhenTheyAreMany() throws SQLException {
    DatabaseSettings database = TestDatabase.superuser(TestDatabase.fresh());
    String explain = "EXPLAIN (GENERIC_PLAN, COSTS OFF) " + positional(MessageStore.STORE);
    try (Connection c = explaining(database);
        Statement s = c.createStatement()) {
      // rows only for the tables' sizes: without foreign-key checks (superuser, this session)
      s.execute(
          """
          SET session_replication_role = replica;
          INSERT INTO patients (id, organisation_id, family_name, given_name, birth_date,
                                created_by, created_at)
          SELECT gen_random_uuid(), gen_random_uuid(), 'Muster', 'Erika', date '1950-01-01',
                 gen_random_uuid(), now()
            FROM generate_series(1, 20000);
          INSERT INTO rooms (id, kind, title, created_by_org, created_by_user, created_at,
                             patient_id)
          SELECT gen_random_uuid(), 'patient', 'Raum', gen_random_uuid(), gen_random_uuid(),
                 now(), p.id
            FROM patients p;
          INSERT INTO room_members (room_id, organisation_id, joined_at)
          SELECT r.id, gen_random_uuid(), now() FROM rooms r, generate_series(1, 2);
          ANALYZE""");
      for (var setting : KonsilNode.GENERIC_PLANS.entrySet()) {
        s.execute("SET " + setting.getKey() + " = " + setting.getValue());
      }
      String full = plan(s, explain);
      for (String table : List.of("rooms", "patients", "room_members", "messages")) {
        assertFalse(full.contains("Seq Scan on " + table + " "), full);
      }
      List<String> lines = List.of(full.split("\n"));
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).matches(".*Index (Only )?Scan .* on (rooms|patients|room_members) .*")) {
          assertTrue(
              i + 1 < lines.size() && lines.get(i + 1).contains("Index Cond"),
              "an index read with a condition: " + lines.get(i) + "\n" + full);
        }
      }
    }
  }

  /**
   * The batches' connections run every statement on its generic plan, the one checked above; the
   * server's other connections keep PostgreSQL's own choice.
   */
  @Test
  void theBatchesPoolRunsGenericPlansAndTheOtherPoolThePlannersChoice() throws Exception {
    DatabaseSettings database = TestDatabase.superuser(TestDatabase.fresh());
    Vertx vertx = Vertx.vertx();
    try {
      Pool batches = KonsilNode.pool(vertx, database, 1, true);
      Pool other = KonsilNode.pool(vertx, database, 1, false);
      assertEquals("force_generic_plan", setting(batches, "plan_cache_mode"));
      assertEquals("off", setting(batches, "enable_seqscan"));
      assertEquals("auto", setting(other, "plan_cache_mode"));
      assertEquals("on", setting(other, "enable_seqscan"));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The store parses a statement's named parameters once for each pool it was given (the batches'
   * pool among them), and for any other client, such as a transaction, each time.
   */
  @Test
  void theStoreKeepsItsTemplatesForEachPoolItWasGiven() throws Exception {
    DatabaseSettings database = TestDatabase.superuser(TestDatabase.fresh());
    Vertx vertx = Vertx.vertx();
    try {
      Pool main = KonsilNode.pool(vertx, database, 1, false);
      Pool batches = KonsilNode.pool(vertx, database, 1, true);
      Pool other = KonsilNode.pool(vertx, database, 1, false);
      MessageStore store = new MessageStore(main, batches);
      assertSame(store.query(main, MessageStore.STORE), store.query(main, MessageStore.STORE));
      assertSame(
          store.query(batches, MessageStore.STORE), store.query(batches, MessageStore.STORE));
      assertNotSame(
          store.query(main, MessageStore.STORE), store.query(batches, MessageStore.STORE));
      assertNotSame(store.query(other, MessageStore.STORE), store.query(other, MessageStore.STORE));
      MessageStore none = new MessageStore();
      assertNotSame(none.query(main, MessageStore.STORE), none.query(main, MessageStore.STORE));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** A connection that leaves the statement's $n to PostgreSQL: the driver must not bind them. */
  private static Connection explaining(DatabaseSettings database) throws SQLException {
    Properties login = new Properties();
    login.setProperty("user", database.user());
    login.setProperty("password", database.password());
    login.setProperty("preferQueryMode", "simple");
    return DriverManager.getConnection(database.jdbcUrl(), login);
  }

  private static String setting(Pool pool, String name) throws Exception {
    return pool.query("SHOW " + name)
        .execute()
        .await(10, TimeUnit.SECONDS)
        .iterator()
        .next()
        .getString(0);
  }

  private static String plan(Statement s, String explain) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (var rows = s.executeQuery(explain)) {
      while (rows.next()) {
        lines.add(rows.getString(1));
      }
    }
    return String.join("\n", lines);
  }

  /** The template's named parameters as PostgreSQL's $1, $2, … in the order they first appear. */
  private static String positional(String template) {
    Map<String, Integer> numbers = new LinkedHashMap<>();
    Matcher m = Pattern.compile("#\\{(\\w+)}").matcher(template);
    StringBuilder sql = new StringBuilder();
    while (m.find()) {
      int n = numbers.computeIfAbsent(m.group(1), k -> numbers.size() + 1);
      m.appendReplacement(sql, "\\$" + n);
    }
    m.appendTail(sql);
    return sql.toString();
  }
}
