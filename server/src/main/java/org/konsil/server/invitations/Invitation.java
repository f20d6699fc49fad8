package org.konsil.server.invitations;

import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One invitation as the invitation rules read it: where it goes, how far it got, the invited
 * organisation, and the inviting organisation and user.
 */
record Invitation(
    UUID id,
    UUID organisationId,
    UUID roomId,
    UUID invitedByOrg,
    String email,
    String fax,
    String language,
    OffsetDateTime usedAt,
    String decision,
    OffsetDateTime decidedAt,
    String organisationName,
    String organisationKind,
    String inviterName,
    String inviterEmail,
    String inviterStatus) {

  static final RowMapper<Invitation> MAPPER =
      row ->
          new Invitation(
              row.getUUID("id"),
              row.getUUID("organisation_id"),
              row.getUUID("room_id"),
              row.getUUID("invited_by_org"),
              row.getString("email"),
              row.getString("fax"),
              row.getString("language"),
              row.getOffsetDateTime("used_at"),
              row.getString("decision"),
              row.getOffsetDateTime("decided_at"),
              row.getString("organisation_name"),
              row.getString("organisation_kind"),
              row.getString("inviter_name"),
              row.getString("inviter_email"),
              row.getString("inviter_status"));

  boolean redeemed() {
    return usedAt != null;
  }

  /** pending until the inviting organisation answered, then confirmed or rejected. */
  String registrationStatus() {
    return decision == null ? "pending" : decision;
  }
}
