package org.konsil.server.notifications.sms.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.konsil.server.notifications.sms.SmsReceipt;
import org.konsil.server.notifications.sms.SmsTransport;

/**
 * An SMS gateway's REST API: {@code POST {url}} with {@code {"to": "+49...", "text": "..."}}, a
 * bearer token and the idempotency key in {@code Idempotency-Key}. A 2xx answer is accepted (its
 * {@code id}, if any, is kept); 5xx, 429, 408 or no answer is "try again"; another 4xx means the
 * gateway will never send this SMS (a number it refuses).
 */
public final class HttpSmsTransport implements SmsTransport {

  private final WebClient client;
  private final String url;
  private final String token;
  private final long timeoutMillis;

  public HttpSmsTransport(WebClient client, String url, String token, long timeoutMillis) {
    this.client = client;
    this.url = url;
    this.token = token;
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public Future<SmsReceipt> send(String to, String text, String idempotencyKey) {
    return client
        .postAbs(url)
        .putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", idempotencyKey)
        .timeout(timeoutMillis)
        .sendJsonObject(new JsonObject().put("to", to).put("text", text))
        .compose(this::receipt);
  }

  private Future<SmsReceipt> receipt(HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status >= 500 || status == 429 || status == 408) {
      return Future.failedFuture("SMS gateway answered " + status);
    }
    JsonObject json;
    try {
      json = response.bodyAsJsonObject();
    } catch (RuntimeException e) {
      json = null;
    }
    if (status >= 400) {
      // 401/403 is our configuration, not the SMS: try again once an operator fixed the token
      if (status == 401 || status == 403) {
        return Future.failedFuture("SMS gateway refused the token (" + status + ")");
      }
      String reason = json == null ? "HTTP " + status : json.getString("reason", "HTTP " + status);
      return Future.succeededFuture(SmsReceipt.refused(reason));
    }
    return Future.succeededFuture(SmsReceipt.accepted(json == null ? null : json.getString("id")));
  }
}
