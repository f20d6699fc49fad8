package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.UUID;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.patients.PatientService;

/**
 * The opt-out link of every e-mail and SMS: a random token in the link's fragment (never sent to a
 * server by a browser, so in no log), of which the server keeps only the SHA-256. Using it
 * withdraws that channel and purpose for the patient at once, as an entry in their permission
 * history.
 */
public final class OptOuts {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Pool pool;
  private final Clock clock;
  private final PatientService patients;
  private final ContactPermissions permissions;
  private final CampaignStore store;
  private final String publicUrl;

  public OptOuts(
      Pool pool,
      Clock clock,
      PatientService patients,
      ContactPermissions permissions,
      Campaigns campaigns,
      String publicUrl) {
    this.pool = pool;
    this.clock = clock;
    this.patients = patients;
    this.permissions = permissions;
    this.store = campaigns.store();
    this.publicUrl = publicUrl;
  }

  String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  String link(String token) {
    return publicUrl + "/opt-out#" + token;
  }

  Future<Void> record(
      SqlClient tx,
      String token,
      UUID organisationId,
      UUID patientId,
      String channel,
      String purpose,
      UUID campaignId) {
    return store.insertToken(
        tx,
        hash(token),
        organisationId,
        patientId,
        channel,
        purpose,
        campaignId,
        null,
        Times.now(clock));
  }

  /** Keeps the hash of an appointment reminder's opt-out token. */
  Future<Void> recordForAppointment(
      SqlClient tx,
      String token,
      UUID organisationId,
      UUID patientId,
      String channel,
      UUID appointmentId) {
    return store.insertToken(
        tx,
        hash(token),
        organisationId,
        patientId,
        channel,
        "appointment_reminder",
        null,
        appointmentId,
        Times.now(clock));
  }

  /**
   * Withdraws the link's channel and purpose for its patient; answers what was withdrawn. Using a
   * link again answers the same and writes nothing more. An unknown token answers {@code
   * not_found}.
   */
  public Future<JsonObject> use(String token) {
    if (token == null || !token.matches("[A-Za-z0-9_-]{43}")) {
      return Future.failedFuture(ApiException.notFound("This link is not known."));
    }
    byte[] hash = hash(token);
    return pool.withTransaction(
        tx ->
            store
                .lockToken(tx, hash)
                .compose(
                    found -> {
                      if (found == null) {
                        throw ApiException.notFound("This link is not known.");
                      }
                      return patients
                          .lock(tx, found.patientId())
                          .compose(
                              patient ->
                                  patient == null
                                      ? Future.succeededFuture(false)
                                      : permissions.optOut(
                                          tx,
                                          found.organisationId(),
                                          found.patientId(),
                                          found.channel(),
                                          found.purpose()))
                          .compose(done -> store.useToken(tx, hash, Times.now(clock)))
                          .map(
                              done ->
                                  new JsonObject()
                                      .put("channel", found.channel())
                                      .put("purpose", found.purpose())
                                      .put("status", "withdrawn"));
                    }));
  }

  private static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
