package org.konsil.server.consent;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * What a revocation leaves in the rooms about the patient: a notice in each, posted in the
 * revocation's own transaction, and the live announcement that masks the rooms once it committed.
 * Implemented where messages are stored, so that consent does not depend on messaging.
 */
public interface RevocationNotices {

  /**
   * Posts a notice into each room (the transaction holds the rooms' locks); answers what to
   * announce after the commit.
   */
  Future<Runnable> post(SqlClient tx, List<UUID> rooms, LocalDate date, OffsetDateTime now);
}
