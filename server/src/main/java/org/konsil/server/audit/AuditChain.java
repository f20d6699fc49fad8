package org.konsil.server.audit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.konsil.server.http.Times;

/**
 * How a row of the audit chain is sealed: an HMAC-SHA256 under the audit key over the row's id,
 * fields and the previous row's hash (scheme 2), or the plain SHA-256 of the rows written before
 * the chain was keyed (scheme 1), which can only be checked, never written any more.
 */
final class AuditChain {

  /** Plain SHA-256 over public fields: anyone with write access can recompute it. */
  static final int LEGACY = 1;

  /** HMAC-SHA256 under a key that is not in the database. */
  static final int KEYED = 2;

  /** The action of the first keyed row when unkeyed rows precede it. */
  static final String GENESIS = "audit.chain_keyed";

  private static final byte[] DOMAIN = "konsil-audit-v2".getBytes(StandardCharsets.US_ASCII);

  private final SecretKeySpec key;

  AuditChain(byte[] key) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
  }

  /**
   * The MAC of a keyed row. Every field is written with its length before it (-1 for null), so no
   * two different rows give the same input.
   */
  byte[] mac(long id, byte[] previous, OffsetDateTime at, AuditEvent event, String details) {
    Mac mac;
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
    }
    field(mac, DOMAIN);
    field(mac, Long.toString(id));
    field(mac, previous);
    field(mac, Times.iso(at));
    field(mac, str(event.actorUserId()));
    field(mac, str(event.actorOrganisationId()));
    field(mac, str(event.organisationId()));
    field(mac, event.action());
    field(mac, event.outcome());
    field(mac, event.objectType());
    field(mac, str(event.objectId()));
    field(mac, details);
    return mac.doFinal();
  }

  /** SHA-256 over the previous hash and the row's fields, one per line (scheme 1). */
  static byte[] legacyHash(byte[] previous, OffsetDateTime at, AuditEvent event, String details) {
    String canonical =
        String.join(
            "\n",
            previous == null ? "" : HexFormat.of().formatHex(previous),
            Times.iso(at),
            String.valueOf(event.actorUserId()),
            String.valueOf(event.actorOrganisationId()),
            String.valueOf(event.organisationId()),
            event.action(),
            event.outcome(),
            String.valueOf(event.objectType()),
            String.valueOf(event.objectId()),
            details);
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest(canonical.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }

  private static void field(Mac mac, String value) {
    field(mac, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  private static void field(Mac mac, byte[] value) {
    mac.update(ByteBuffer.allocate(4).putInt(value == null ? -1 : value.length).array());
    if (value != null) {
      mac.update(value);
    }
  }

  private static String str(UUID id) {
    return id == null ? null : id.toString();
  }
}
