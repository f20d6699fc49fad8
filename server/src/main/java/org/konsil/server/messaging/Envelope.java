package org.konsil.server.messaging;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Json;

/**
 * One recipient device's ciphertext of an encrypted message, as libsignal made it on the sender's
 * device: a {@code type} of 2 (a message of an open session) or 3 (one that starts a session from a
 * prekey bundle). The server relays it and cannot read it.
 */
public record Envelope(UUID user, int device, int type, byte[] ciphertext) {

  /** libsignal's {@code CiphertextMessage.WHISPER_TYPE} and {@code PREKEY_TYPE}. */
  static final int WHISPER = 2;

  static final int PREKEY = 3;

  /** A message of at most 16,000 characters, sealed, fits with room to spare. */
  public static final int MAX_CIPHERTEXT_BYTES = 65_536;

  /** More than any room's devices: members times users times devices stays far below it. */
  public static final int MAX_ENVELOPES = 5_000;

  /** A recipient device, as the refusal of a stale device list names it. */
  public record Address(UUID user, int device) implements Comparable<Address> {
    public JsonObject toJson() {
      return new JsonObject().put("userId", user.toString()).put("deviceId", device);
    }

    @Override
    public int compareTo(Address other) {
      int byUser = user.compareTo(other.user);
      return byUser != 0 ? byUser : Integer.compare(device, other.device);
    }
  }

  Address address() {
    return new Address(user, device);
  }

  /** As the recipient device receives it (it knows it is theirs). */
  JsonObject toJson() {
    return new JsonObject()
        .put("type", type)
        .put("ciphertext", Base64.getEncoder().encodeToString(ciphertext));
  }

  /** As the live event carries it to every node, addressed. */
  JsonObject toAddressedJson() {
    return toJson().put("userId", user.toString()).put("deviceId", device);
  }

  /**
   * The {@code envelopes} of a send: a non-empty list of objects with {@code userId}, {@code
   * deviceId}, {@code type} and base64 {@code ciphertext}, no device twice.
   */
  static List<Envelope> parse(Object raw) {
    if (!(raw instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_ENVELOPES) {
      throw ApiException.validation(
          "'envelopes' must be a list of 1 to " + MAX_ENVELOPES + " envelopes.");
    }
    List<Envelope> envelopes = new ArrayList<>(list.size());
    Set<Address> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject item)) {
        throw ApiException.validation("'envelopes[" + i + "]' must be an object.");
      }
      Envelope envelope = parseOne(Json.of(item), "envelopes[" + i + "]");
      if (!seen.add(envelope.address())) {
        throw ApiException.validation(
            "'envelopes[" + i + "]' is a second envelope for the same device.");
      }
      envelopes.add(envelope);
    }
    return envelopes;
  }

  private static Envelope parseOne(Json item, String name) {
    UUID user;
    long device;
    long type;
    String text;
    try {
      user = item.requiredUuid("userId");
      device = item.requiredLong("deviceId", 1, 127);
      type = item.requiredLong("type", WHISPER, PREKEY);
      text = item.requiredText("ciphertext", MAX_CIPHERTEXT_BYTES * 4 / 3 + 4);
    } catch (ApiException e) {
      throw ApiException.validation("'" + name + "': " + e.detail());
    }
    byte[] ciphertext;
    try {
      ciphertext = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.validation("'" + name + ".ciphertext' must be base64.");
    }
    if (ciphertext.length == 0 || ciphertext.length > MAX_CIPHERTEXT_BYTES) {
      throw ApiException.validation(
          "'" + name + ".ciphertext' must have 1 to " + MAX_CIPHERTEXT_BYTES + " bytes.");
    }
    return new Envelope(user, (int) device, (int) type, ciphertext);
  }

  static JsonArray addresses(List<Address> addresses) {
    return new JsonArray(addresses.stream().map(Address::toJson).toList());
  }
}
