package org.konsil.server.messaging;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.konsil.server.http.ApiException;

/** The refusals of sends that do not fit a room's encryption, with their stable codes. */
final class DeliveryRefusals {

  private DeliveryRefusals() {}

  /** Plain text or a plain attachment into an encrypted room. */
  static ApiException encryptionRequired() {
    return ApiException.conflict(
        "encryption_required",
        "This room is end-to-end encrypted: send one envelope per device, no readable content.");
  }

  /** Envelopes into a room that is not encrypted. */
  static ApiException roomNotEncrypted() {
    return ApiException.conflict(
        "room_not_encrypted", "This room is not end-to-end encrypted: send 'content'.");
  }

  /** A send of envelopes from a connection or request that names no device. */
  static ApiException deviceRequired() {
    return ApiException.validation(
        "Name the sending device: 'device' in the request, or connect the socket with it.");
  }

  /** The sending device is not one of the user's active devices. */
  static ApiException unknownDevice() {
    return new ApiException(
        422, "unknown_device", "This device is not one of your active devices; register it.");
  }

  /**
   * The envelopes do not match the room's devices: those {@code missing} need one, those {@code
   * extra} are not (or no longer) in the room. The client fetches the missing devices' bundles,
   * drops the extra ones and sends again with the same clientMsgId.
   */
  static ApiException devicesChanged(Set<Envelope.Address> expected, Set<Envelope.Address> given) {
    List<Envelope.Address> missing = new ArrayList<>(expected);
    missing.removeAll(given);
    List<Envelope.Address> extra = new ArrayList<>(given);
    extra.removeAll(expected);
    return new ApiException(
        409,
        "devices_changed",
        "The room's devices are not the ones addressed: add envelopes for 'missing', drop those"
            + " for 'extra', and send again.",
        null,
        new JsonObject()
            .put("missing", Envelope.addresses(missing))
            .put("extra", Envelope.addresses(extra)));
  }
}
