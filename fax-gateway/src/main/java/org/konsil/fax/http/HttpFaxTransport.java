package org.konsil.fax.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.konsil.fax.FaxDocument;
import org.konsil.fax.FaxReceipt;
import org.konsil.fax.FaxStatus;
import org.konsil.fax.FaxTransport;

/**
 * A fax provider's REST API: {@code POST {base}/faxes} with the PDF (Base64) and a bearer token,
 * the idempotency key in {@code Idempotency-Key}; {@code GET {base}/faxes/{id}} for the status, or
 * a callback signed with HMAC-SHA256. A 5xx answer or no answer is "try again"; a 4xx answer means
 * the fax cannot be sent as it is.
 */
public final class HttpFaxTransport implements FaxTransport {

  private final WebClient client;
  private final String baseUrl;
  private final String token;
  private final long timeoutMillis;

  public HttpFaxTransport(WebClient client, String baseUrl, String token, long timeoutMillis) {
    this.client = client;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.token = token;
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public Future<FaxReceipt> send(FaxDocument document) {
    JsonObject body =
        new JsonObject()
            .put("to", document.to().e164())
            .put("mediaType", "application/pdf")
            .put("document", Base64.getEncoder().encodeToString(document.pdf()));
    return client
        .postAbs(baseUrl + "/faxes")
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", document.idempotencyKey())
        .timeout(timeoutMillis)
        .sendJsonObject(body)
        .compose(this::receipt);
  }

  @Override
  public Future<FaxReceipt> status(String providerId) {
    return client
        .getAbs(
            baseUrl + "/faxes/" + java.net.URLEncoder.encode(providerId, StandardCharsets.UTF_8))
        .putHeader("Authorization", "Bearer " + token)
        .timeout(timeoutMillis)
        .send()
        .compose(
            response ->
                response.statusCode() >= 400 && response.statusCode() < 500
                    // the provider took the fax; not knowing it now is its problem, not the fax's
                    ? Future.failedFuture(
                        "fax provider answered " + response.statusCode() + " to a status query")
                    : receipt(response));
  }

  private Future<FaxReceipt> receipt(HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status >= 500 || status == 429) {
      return Future.failedFuture("fax provider answered " + status);
    }
    JsonObject json;
    try {
      json = response.bodyAsJsonObject();
    } catch (RuntimeException e) {
      json = null;
    }
    if (status >= 400) {
      String reason = json == null ? "HTTP " + status : json.getString("reason", "HTTP " + status);
      return Future.succeededFuture(FaxReceipt.failed(null, reason));
    }
    if (json == null || json.getString("id") == null) {
      return Future.failedFuture("fax provider answered without an id");
    }
    return Future.succeededFuture(
        new FaxReceipt(
            json.getString("id"), statusOf(json.getString("status")), json.getString("reason")));
  }

  static FaxStatus statusOf(String text) {
    if (text == null) {
      return FaxStatus.SENDING;
    }
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "delivered", "sent", "success" -> FaxStatus.DELIVERED;
      case "failed", "error" -> FaxStatus.FAILED;
      case "queued" -> FaxStatus.QUEUED;
      default -> FaxStatus.SENDING;
    };
  }

  /**
   * Whether a provider's callback is genuine: its signature header is the hex HMAC-SHA256 of the
   * raw body with the shared secret.
   */
  public static boolean verifyCallback(byte[] body, String signature, byte[] secret) {
    if (signature == null) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] expected =
          HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
      return MessageDigest.isEqual(
          expected, signature.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
    }
  }

  /** A callback's content as a receipt. */
  public static FaxReceipt fromCallback(JsonObject callback) {
    return new FaxReceipt(
        callback.getString("id"),
        statusOf(callback.getString("status")),
        callback.getString("reason"));
  }
}
