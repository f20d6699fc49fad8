package org.konsil.server.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.http.FileResponses;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;

/** File names of downloads arrive as they were uploaded, whatever their script. */
class DownloadNameTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static final String NAME = "Befund_Müller_привет_𝄞.pdf";

  @Test
  void aDownloadCarriesAnAsciiFallbackAndTheExactUtf8Name() {
    Session anna = server.login(server.organisation("practice").admin());
    UUID room = server.room(anna, server.organisation("care_home").id());
    Api.Response sent =
        server
            .api()
            .send(
                HttpMethod.POST,
                "/api/v1/rooms/"
                    + room
                    + "/attachments?clientMsgId="
                    + UUID.randomUUID()
                    + "&fileName="
                    + URLEncoder.encode(NAME, StandardCharsets.UTF_8),
                anna.accessToken(),
                "application/pdf",
                Documents.pdf());
    assertEquals(201, sent.status(), sent.body());
    JsonObject message =
        server
            .api()
            .get("/api/v1/rooms/" + room + "/messages", anna.accessToken())
            .json()
            .getJsonArray("messages")
            .getJsonObject(0);
    String attachmentId = new JsonObject(message.getString("content")).getString("attachmentId");

    Api.Response opened =
        server.api().get("/api/v1/attachments/" + attachmentId, anna.accessToken());
    assertEquals(200, opened.status());
    String disposition = opened.headers().get("Content-Disposition");
    assertTrue(disposition.chars().allMatch(c -> c >= 0x20 && c < 0x7f), disposition);
    assertTrue(
        disposition.startsWith("attachment; filename=\"Befund_M_ller_________.pdf\"; "),
        disposition);
    String encoded = disposition.substring(disposition.indexOf("filename*=UTF-8''") + 17);
    assertEquals(NAME, URLDecoder.decode(encoded, StandardCharsets.UTF_8));
  }

  @Test
  void quotesBackslashesAndControlCharactersCannotBreakOutOfTheHeader() {
    String header = FileResponses.contentDisposition("inline", "a\"b\\c\r\nX-Evil: 1;%.pdf");
    assertEquals(
        "inline; filename=\"a_b_c__X-Evil: 1;_.pdf\"; filename*=UTF-8''a%22b%5Cc%0D%0AX-Evil%3A%201%3B%25.pdf",
        header);
    assertEquals(
        "attachment; filename=\"document\"; filename*=UTF-8''document",
        FileResponses.contentDisposition("attachment", null));
  }
}
