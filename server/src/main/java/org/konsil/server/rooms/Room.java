package org.konsil.server.rooms;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * A room as one user sees it: its member organisations and that user's unread count. After a
 * revocation a partner sees it with {@code identityWithheld}: a neutral title, and a patient
 * without name or birth date. An {@code encrypted} room is so from its creation and for ever.
 * {@code lastMessage} is a preview of the newest message for the room list, masked like the message
 * itself.
 */
public record Room(
    UUID id,
    String kind,
    boolean encrypted,
    String title,
    OffsetDateTime createdAt,
    JsonArray organisations,
    long lastSeq,
    OffsetDateTime lastMessageAt,
    long readSeq,
    long unread,
    JsonObject patient,
    OffsetDateTime consentRevokedAt,
    JsonObject consent,
    UUID createdByOrganisationId,
    boolean identityWithheld,
    JsonObject lastMessage) {

  static final RowMapper<Room> MAPPER =
      row -> {
        Object organisations = row.getValue("organisations");
        return new Room(
            row.getUUID("id"),
            row.getString("kind"),
            Boolean.TRUE.equals(row.getBoolean("encrypted")),
            row.getString("title"),
            row.getOffsetDateTime("created_at"),
            organisations instanceof JsonArray array ? array : new JsonArray(),
            row.getLong("last_seq"),
            row.getOffsetDateTime("last_message_at"),
            row.getLong("read_seq"),
            row.getLong("unread"),
            row.getValue("patient") instanceof JsonObject patient ? patient : null,
            row.getOffsetDateTime("consent_revoked_at"),
            row.getValue("consent") instanceof JsonObject consent ? consent : null,
            row.getUUID("created_by_org"),
            Boolean.TRUE.equals(row.getBoolean("identity_withheld")),
            row.getValue("last_message") instanceof JsonObject last ? last : null);
      };

  /** The organisation whose documentation the room is: the patient's, or the creator's. */
  public UUID owningOrganisationId() {
    return patient == null
        ? createdByOrganisationId
        : UUID.fromString(patient.getString("organisationId"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("createdByOrganisationId", createdByOrganisationId.toString())
        .put("kind", kind)
        .put("encrypted", encrypted)
        .put("title", title)
        .put("createdAt", Times.iso(createdAt))
        .put("organisations", organisations)
        .put("lastSeq", lastSeq)
        .put("lastMessageAt", Times.iso(lastMessageAt))
        .put("readSeq", readSeq)
        .put("unread", unread)
        .put("patient", patient)
        .put("consent", consent)
        .put("consentRevokedAt", Times.iso(consentRevokedAt))
        .put("identityWithheld", identityWithheld)
        .put("lastMessage", lastMessage);
  }
}
