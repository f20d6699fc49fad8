package org.konsil.server.search;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.server.http.Times;

/** What a search found: rooms by title, patients by name, text messages by their words. */
record SearchResults(
    List<FoundRoom> rooms, List<FoundPatient> patients, List<FoundMessage> messages) {

  /** A room of the user's organisation whose title matches. */
  record FoundRoom(UUID id, String kind, String title, OffsetDateTime lastActivity) {
    JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("kind", kind)
          .put("title", title)
          .put("lastActivity", Times.iso(lastActivity));
    }
  }

  /**
   * A patient of the user's organisation, or of a room the organisation is a member of (while
   * consent is not revoked), with the rooms about them the organisation is a member of.
   */
  record FoundPatient(
      UUID id,
      String familyName,
      String givenName,
      LocalDate birthDate,
      boolean own,
      String consent,
      List<UUID> rooms) {
    JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("familyName", familyName)
          .put("givenName", givenName)
          .put("birthDate", birthDate.toString())
          .put("own", own)
          .put("consent", consent)
          .put("rooms", new JsonArray(rooms.stream().map(UUID::toString).toList()));
    }
  }

  /** A text message (or correction) of a room the user's organisation is a member of. */
  record FoundMessage(
      UUID room,
      String roomTitle,
      long seq,
      UUID id,
      OffsetDateTime sentAt,
      String senderName,
      String senderOrganisationName,
      String excerpt) {
    JsonObject toJson() {
      return new JsonObject()
          .put("room", room.toString())
          .put("roomTitle", roomTitle)
          .put("seq", seq)
          .put("id", id.toString())
          .put("sentAt", Times.iso(sentAt))
          .put("senderName", senderName)
          .put("senderOrganisationName", senderOrganisationName)
          .put("excerpt", excerpt);
    }
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("rooms", new JsonArray(rooms.stream().map(FoundRoom::toJson).toList()))
        .put("patients", new JsonArray(patients.stream().map(FoundPatient::toJson).toList()))
        .put("messages", new JsonArray(messages.stream().map(FoundMessage::toJson).toList()));
  }
}
