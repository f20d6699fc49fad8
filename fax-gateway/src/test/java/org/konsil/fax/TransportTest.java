package org.konsil.fax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.StartTLSOptions;
import io.vertx.ext.web.client.WebClient;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.konsil.fax.http.HttpFaxTransport;
import org.konsil.fax.smtp.SmtpFaxTransport;
import org.konsil.fax.spool.SpoolFaxTransport;

/**
 * The three transports against real peers: a folder, an SMTP server, an HTTP provider on loopback.
 */
class TransportTest {

  static Vertx vertx;
  static FaxDocument document;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    LetterRenderer renderer = new LetterRenderer();
    byte[] pdf =
        renderer.pdf(
            new InvitationLetter(
                "Praxis A",
                "Heim B",
                "https://konsil.example.org/register",
                "CODE-1234",
                LocalDate.of(2026, 12, 1),
                "de"));
    document =
        new FaxDocument(
            "invitation-42", FaxNumber.parse("040 53798 1542"), pdf, renderer.tiff(pdf));
  }

  @AfterAll
  static void tearDown() {
    vertx.close().await();
  }

  @Test
  void spoolWritesPdfAndTiffAndARepeatOverwrites() throws Exception {
    Path folder = Files.createTempDirectory("fax-spool");
    SpoolFaxTransport spool = new SpoolFaxTransport(vertx, folder);
    FaxReceipt receipt = spool.send(document).await(10, TimeUnit.SECONDS);
    assertEquals(FaxStatus.DELIVERED, receipt.status());
    spool.send(document).await(10, TimeUnit.SECONDS);
    try (var files = Files.list(folder)) {
      assertEquals(2, files.count());
    }
    assertTrue(Files.exists(folder.resolve("invitation-42-4940537981542.tiff")));
    assertEquals(
        FaxStatus.DELIVERED,
        spool.status(receipt.providerId()).await(10, TimeUnit.SECONDS).status());
  }

  @Test
  void spoolFilesAndFoldersAreReadableByTheServerUserOnly() throws Exception {
    Path folder = Files.createTempDirectory("fax-spool").resolve("data").resolve("fax");
    SpoolFaxTransport spool = new SpoolFaxTransport(vertx, folder);
    spool.send(document).await(10, TimeUnit.SECONDS);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.getParent())));
    try (var files = Files.list(folder)) {
      for (Path file : files.toList()) {
        assertEquals(
            "rw-------",
            PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
            file.toString());
      }
    }

    // A folder an earlier version left open is narrowed at the next fax.
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    spool.send(document).await(10, TimeUnit.SECONDS);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
  }

  @Test
  void smtpAddressesTheGatewayWithTheNumber() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    GreenMail mail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
    try {
      MailClient client =
          MailClient.create(
              vertx,
              new MailConfig()
                  .setHostname("127.0.0.1")
                  .setPort(port)
                  .setStarttls(StartTLSOptions.DISABLED));
      SmtpFaxTransport smtp = new SmtpFaxTransport(client, "konsil@konsil.test", "fax.example.net");
      assertEquals(FaxStatus.DELIVERED, smtp.send(document).await(10, TimeUnit.SECONDS).status());
      assertTrue(mail.waitForIncomingEmail(10_000, 1));
      MimeMessage message = mail.getReceivedMessages()[0];
      assertEquals("4940537981542@fax.example.net", message.getAllRecipients()[0].toString());
      Multipart parts = (Multipart) message.getContent();
      boolean pdf = false;
      for (int i = 0; i < parts.getCount(); i++) {
        pdf |= parts.getBodyPart(i).getContentType().startsWith("application/pdf");
      }
      assertTrue(pdf, "the letter is attached as PDF");
    } finally {
      mail.stop();
    }
  }

  @Test
  void httpProviderGetsThePdfWithTokenAndKeyAndFailuresAreReported() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<JsonObject> received = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    HttpServer provider =
        vertx
            .createHttpServer()
            .requestHandler(
                request ->
                    request
                        .body()
                        .onSuccess(
                            body -> {
                              if (!"Bearer secret-token"
                                  .equals(request.getHeader("Authorization"))) {
                                request.response().setStatusCode(401).end();
                                return;
                              }
                              if (request.path().startsWith("/v1/faxes/")) {
                                request
                                    .response()
                                    .end(
                                        new JsonObject()
                                            .put("id", "fx-1")
                                            .put("status", "delivered")
                                            .encode());
                                return;
                              }
                              int call = calls.incrementAndGet();
                              if (call == 1) {
                                request.response().setStatusCode(500).end();
                              } else if (call == 2) {
                                // no answer at all: the client's time limit must end the attempt
                              } else if (call == 3) {
                                request
                                    .response()
                                    .setStatusCode(422)
                                    .end(
                                        new JsonObject()
                                            .put("reason", "number unreachable")
                                            .encode());
                              } else {
                                received.add(body.toJsonObject());
                                keys.add(request.getHeader("Idempotency-Key"));
                                request
                                    .response()
                                    .setStatusCode(202)
                                    .end(
                                        new JsonObject()
                                            .put("id", "fx-1")
                                            .put("status", "queued")
                                            .encode());
                              }
                            }))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    try {
      HttpFaxTransport http =
          new HttpFaxTransport(
              WebClient.create(vertx),
              "http://127.0.0.1:" + provider.actualPort() + "/v1/",
              "secret-token",
              1000);
      assertThrows(
          Exception.class, () -> http.send(document).await(10, TimeUnit.SECONDS), "500: try again");
      assertThrows(
          Exception.class,
          () -> http.send(document).await(10, TimeUnit.SECONDS),
          "time-out: try again");
      FaxReceipt refused = http.send(document).await(10, TimeUnit.SECONDS);
      assertEquals(FaxStatus.FAILED, refused.status());
      assertEquals("number unreachable", refused.reason());
      FaxReceipt taken = http.send(document).await(10, TimeUnit.SECONDS);
      assertEquals(FaxStatus.QUEUED, taken.status());
      assertEquals("fx-1", taken.providerId());
      assertEquals("invitation-42", keys.get(0));
      JsonObject body = received.get(0);
      assertEquals("+4940537981542", body.getString("to"));
      String text =
          new PDFTextStripper()
              .getText(Loader.loadPDF(Base64.getDecoder().decode(body.getString("document"))));
      assertTrue(text.contains("CODE-1234"), "the provider got the letter with the code");
      assertEquals(FaxStatus.DELIVERED, http.status("fx-1").await(10, TimeUnit.SECONDS).status());
    } finally {
      provider.close().await();
    }
  }

  @Test
  void callbackSignaturesAreChecked() throws Exception {
    byte[] secret = "callback-secret".getBytes(StandardCharsets.UTF_8);
    byte[] body =
        new JsonObject()
            .put("id", "fx-9")
            .put("status", "failed")
            .put("reason", "busy")
            .encode()
            .getBytes(StandardCharsets.UTF_8);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    String signature = HexFormat.of().formatHex(mac.doFinal(body));
    assertTrue(HttpFaxTransport.verifyCallback(body, signature, secret));
    assertFalse(HttpFaxTransport.verifyCallback(body, signature.replace('a', 'b'), secret));
    assertFalse(HttpFaxTransport.verifyCallback(body, null, secret));
    assertFalse(
        HttpFaxTransport.verifyCallback("{}".getBytes(StandardCharsets.UTF_8), signature, secret));
    FaxReceipt receipt =
        HttpFaxTransport.fromCallback(new JsonObject(new String(body, StandardCharsets.UTF_8)));
    assertEquals(FaxStatus.FAILED, receipt.status());
    assertEquals("busy", receipt.reason());
  }
}
