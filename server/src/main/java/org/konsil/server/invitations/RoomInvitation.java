package org.konsil.server.invitations;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.templates.RowMapper;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.Times;

/**
 * An invitation as the members of its room see it: the invited organisation, how its e-mails and
 * faxes fared, and its registration with the inviting organisation's answer.
 */
public record RoomInvitation(
    UUID id,
    UUID roomId,
    UUID invitedByOrg,
    InvitedOrganisation organisation,
    String email,
    String fax,
    OffsetDateTime sentAt,
    OffsetDateTime expiresAt,
    OffsetDateTime usedAt,
    Registration registration,
    List<Delivery> deliveries) {

  /** The invited organisation and where it stands (invited, active, ...). */
  public record InvitedOrganisation(UUID id, String name, String kind, String status) {}

  /**
   * Who registered with the invitation and the inviting organisation's answer; {@code admin} is
   * null for everyone but the inviting organisation.
   */
  public record Registration(
      OffsetDateTime registeredAt, String status, OffsetDateTime decidedAt, Admin admin) {}

  /** The first admin of a registered organisation. */
  public record Admin(String displayName, String email) {}

  /** One e-mail or fax of the invitation in the outbox; {@code sentAt} as the database wrote it. */
  public record Delivery(
      String channel, String status, int attempts, String lastError, String sentAt) {}

  static final RowMapper<RoomInvitation> MAPPER =
      row -> {
        OffsetDateTime usedAt = row.getOffsetDateTime("used_at");
        Registration registration = null;
        if (usedAt != null) {
          String decision = row.getString("decision");
          String adminEmail = row.getString("admin_email");
          registration =
              new Registration(
                  usedAt,
                  decision == null ? "pending" : decision,
                  row.getOffsetDateTime("decided_at"),
                  adminEmail == null ? null : new Admin(row.getString("admin_name"), adminEmail));
        }
        List<Delivery> deliveries = new ArrayList<>();
        if (row.getValue("deliveries") instanceof JsonArray array) {
          for (Object entry : array) {
            JsonObject delivery = (JsonObject) entry;
            deliveries.add(
                new Delivery(
                    delivery.getString("channel"),
                    delivery.getString("status"),
                    delivery.getInteger("attempts"),
                    delivery.getString("lastError"),
                    delivery.getString("sentAt")));
          }
        }
        return new RoomInvitation(
            row.getUUID("id"),
            row.getUUID("room_id"),
            row.getUUID("invited_by_org"),
            new InvitedOrganisation(
                row.getUUID("organisation_id"),
                row.getString("organisation_name"),
                row.getString("organisation_kind"),
                row.getString("organisation_status")),
            row.getString("email"),
            row.getString("fax"),
            row.getOffsetDateTime("sent_at"),
            row.getOffsetDateTime("expires_at"),
            usedAt,
            registration,
            List.copyOf(deliveries));
      };

  /**
   * The invitation as an organisation sees it: who registered (name, e-mail) is shown to the
   * inviting organisation only.
   */
  RoomInvitation seenBy(UUID viewer) {
    if (registration == null || registration.admin() == null || invitedByOrg.equals(viewer)) {
      return this;
    }
    Registration withoutAdmin =
        new Registration(
            registration.registeredAt(), registration.status(), registration.decidedAt(), null);
    return new RoomInvitation(
        id,
        roomId,
        invitedByOrg,
        organisation,
        email,
        fax,
        sentAt,
        expiresAt,
        usedAt,
        withoutAdmin,
        deliveries);
  }

  public JsonObject toJson() {
    JsonObject shownRegistration = null;
    if (registration != null) {
      shownRegistration =
          new JsonObject()
              .put("registeredAt", Times.iso(registration.registeredAt()))
              .put("status", registration.status())
              .put("decidedAt", Times.iso(registration.decidedAt()));
      if (registration.admin() != null) {
        shownRegistration.put(
            "admin",
            new JsonObject()
                .put("displayName", registration.admin().displayName())
                .put("email", registration.admin().email()));
      }
    }
    JsonArray shownDeliveries = new JsonArray();
    for (Delivery delivery : deliveries) {
      shownDeliveries.add(
          new JsonObject()
              .put("channel", delivery.channel())
              .put("status", delivery.status())
              .put("attempts", delivery.attempts())
              .put("lastError", delivery.lastError())
              .put("sentAt", delivery.sentAt()));
    }
    return new JsonObject()
        .put("id", id.toString())
        .put("room", roomId.toString())
        .put(
            "organisation",
            new JsonObject()
                .put("id", organisation.id().toString())
                .put("name", organisation.name())
                .put("kind", organisation.kind())
                .put("status", organisation.status()))
        .put("email", email)
        .put("fax", fax)
        .put("sentAt", Times.iso(sentAt))
        .put("expiresAt", Times.iso(expiresAt))
        .put("usedAt", Times.iso(usedAt))
        .put("registration", shownRegistration)
        .put("deliveries", shownDeliveries);
  }
}
