package org.konsil.server.organisations;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.templates.SqlTemplate;
import java.util.Map;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * What an organisation's admin changes about a member besides their status: the role, and a lost
 * second factor taken away so that the member enrols a new one. Both are audited in the same
 * transaction; an organisation always keeps at least one active admin.
 */
public final class MemberAdministration {

  /**
   * The organisation's active admins, locked: two admins demoting each other at the same time must
   * not leave the organisation without one.
   */
  private static final String LOCK_ACTIVE_ADMINS =
      """
      SELECT id FROM users
       WHERE organisation_id = #{org} AND role = 'admin' AND status = 'active'
       ORDER BY id FOR UPDATE""";

  private static final String SET_ROLE = "UPDATE users SET role = #{role} WHERE id = #{id}";

  private static final String RESET_SECOND_FACTOR =
      """
      UPDATE users SET totp_enabled = false, totp_secret = NULL, totp_last_step = 0
       WHERE id = #{id}""";

  private static final String DROP_RECOVERY_CODES =
      "DELETE FROM recovery_codes WHERE user_id = #{id}";

  private final Pool pool;
  private final AuditLog audit;
  private final OrganisationStore store;

  public MemberAdministration(Pool pool, AuditLog audit) {
    this.pool = pool;
    this.audit = audit;
    this.store = new OrganisationStore(pool);
  }

  /**
   * Makes a member of the admin's organisation an admin or a member. The last active admin cannot
   * be made a member (not by themselves either): {@code 409 last_admin}.
   */
  public Future<Member> changeRole(AuthenticatedUser admin, UUID userId, String role) {
    admin.requireAdmin();
    if (!"admin".equals(role) && !"member".equals(role)) {
      throw ApiException.validation("'role' must be 'admin' or 'member'.");
    }
    return pool.withTransaction(
        tx ->
            SqlTemplate.forQuery(tx, LOCK_ACTIVE_ADMINS)
                .execute(Map.of("org", admin.organisationId()))
                .compose(
                    admins ->
                        ownMember(tx, admin, userId)
                            .compose(
                                member -> {
                                  if (member.role().equals(role)) {
                                    return Future.succeededFuture(member);
                                  }
                                  boolean lastAdmin =
                                      "admin".equals(member.role())
                                          && "active".equals(member.status())
                                          && admins.size() <= 1;
                                  if (lastAdmin) {
                                    throw ApiException.conflict(
                                        "last_admin",
                                        "The organisation needs an active admin; make someone"
                                            + " else admin first.");
                                  }
                                  return SqlTemplate.forUpdate(tx, SET_ROLE)
                                      .execute(Map.of("role", role, "id", userId))
                                      .compose(
                                          done ->
                                              audit.record(
                                                  tx,
                                                  AuditEvent.by(admin)
                                                      .on("user", userId)
                                                      .with("from", member.role())
                                                      .with("to", role)
                                                      .success("user.role_changed")))
                                      .compose(
                                          done -> store.member(tx, admin.organisationId(), userId));
                                })));
  }

  /**
   * Takes away a member's second factor (a lost phone): the secret and the recovery codes go, and
   * the member sets up a new one at the next login if the organisation requires it. Sessions go on:
   * the second factor guards the login, and the member is often the one asking, signed in.
   */
  public Future<Member> resetSecondFactor(AuthenticatedUser admin, UUID userId) {
    admin.requireAdmin();
    return pool.withTransaction(
        tx ->
            ownMember(tx, admin, userId)
                .compose(
                    member -> {
                      if (!member.secondFactor()) {
                        throw ApiException.conflict(
                            "second_factor_not_enabled",
                            "This user has no second factor to reset.");
                      }
                      return SqlTemplate.forUpdate(tx, RESET_SECOND_FACTOR)
                          .execute(Map.of("id", userId))
                          .compose(
                              done ->
                                  SqlTemplate.forUpdate(tx, DROP_RECOVERY_CODES)
                                      .execute(Map.of("id", userId)))
                          .compose(
                              done ->
                                  audit.record(
                                      tx,
                                      AuditEvent.by(admin)
                                          .on("user", userId)
                                          .success("user.second_factor_reset")))
                          .compose(done -> store.member(tx, admin.organisationId(), userId));
                    }));
  }

  /** A user of the admin's organisation; anyone else is not found, whether they exist or not. */
  private Future<Member> ownMember(SqlClient tx, AuthenticatedUser admin, UUID userId) {
    return store
        .member(tx, admin.organisationId(), userId)
        .map(
            member -> {
              if (member == null) {
                throw ApiException.notFound("No such user in your organisation.");
              }
              return member;
            });
  }
}
