package org.konsil.server.notifications;

import io.vertx.core.json.JsonObject;

/** One e-mail as the outbox keeps it. Never carries patient data or message text. */
public record MailMessage(String to, String subject, String text) {

  public JsonObject toJson() {
    return new JsonObject().put("to", to).put("subject", subject).put("text", text);
  }

  public static MailMessage fromJson(JsonObject json) {
    return new MailMessage(json.getString("to"), json.getString("subject"), json.getString("text"));
  }
}
