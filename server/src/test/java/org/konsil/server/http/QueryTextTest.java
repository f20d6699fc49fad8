package org.konsil.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.http.HttpMethod;
import io.vertx.pgclient.PgException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.CareNetwork;
import org.konsil.server.testkit.Documents;
import org.konsil.server.testkit.KonsilServer;

/** Text from a query string that PostgreSQL cannot store is refused before any work is done. */
class QueryTextTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  static CareNetwork network;

  @BeforeAll
  static void setUp() {
    network = CareNetwork.create(server);
  }

  static void assertValidationProblem(Api.Response response) {
    assertEquals(422, response.status(), response.body());
    assertTrue(response.contentType().startsWith("application/problem+json"));
    assertEquals("validation_failed", response.code());
  }

  /** Files in the file store, the half-received ones included. */
  static long filesInStore() throws IOException {
    try (var files = Files.walk(server.dataDir().resolve("files"))) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void nulInAPatientSearchIsRefused() {
    assertValidationProblem(
        server.api().get("/api/v1/patients?query=%00", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/patients?query=ab%00cd", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/patients?query=M%C3%BCller%00", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/patients?birthDate=%001950-01-01", network.anna().accessToken()));
  }

  @Test
  void nulInADirectorySearchIsRefused() {
    assertValidationProblem(
        server.api().get("/api/v1/organisations?query=%00", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/organisations?query=ca%00re", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/organisations?email=a%00@b.test", network.anna().accessToken()));
    assertValidationProblem(
        server
            .api()
            .get("/api/v1/organisations?query=care&kind=%00", network.anna().accessToken()));
  }

  @Test
  void otherControlCharactersAndControlsInParameterNamesAreRefused() {
    assertValidationProblem(
        server.api().get("/api/v1/patients?query=a%0Ab", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/patients?query=a%7Fb", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/patients?%00=x", network.anna().accessToken()));
    assertValidationProblem(
        server.api().get("/api/v1/audit-events?before=%00", network.anna().accessToken()));
    // Before authentication too, so that nothing at all is looked up.
    assertValidationProblem(server.api().get("/api/v1/patients?query=%00", null));
    assertEquals(
        200, server.api().get("/api/v1/patients?query=ab", network.anna().accessToken()).status());
  }

  @Test
  void nulInAnAttachmentsNameStoresNothing() throws IOException {
    UUID room = server.room(network.anna(), network.careHome().id());
    long rows = server.count("SELECT count(*) FROM stored_files");
    long files = filesInStore();
    for (String name : new String[] {"%00", "scan%00.png", "scan%1F.png"}) {
      Api.Response refused =
          server
              .api()
              .send(
                  HttpMethod.POST,
                  "/api/v1/rooms/"
                      + room
                      + "/attachments?clientMsgId="
                      + UUID.randomUUID()
                      + "&fileName="
                      + name,
                  network.anna().accessToken(),
                  "image/png",
                  Documents.png());
      assertValidationProblem(refused);
    }
    assertEquals(rows, server.count("SELECT count(*) FROM stored_files"));
    assertEquals(
        0, server.count("SELECT count(*) FROM attachments WHERE room_id = '" + room + "'"));
    assertEquals(0, server.count("SELECT count(*) FROM messages WHERE room_id = '" + room + "'"));
    assertEquals(files, filesInStore());
  }

  @Test
  void textTheDatabaseRefusesIsAValidationProblemNotAnInternalError() {
    for (String state : new String[] {"22021", "22P05"}) {
      ApiException problem =
          Problems.unexpected(
              new PgException("invalid byte sequence for encoding", "ERROR", state, null));
      assertEquals(422, problem.status());
      assertEquals("validation_failed", problem.code());
    }
    assertEquals(
        500,
        Problems.unexpected(new PgException("deadlock detected", "ERROR", "40P01", null)).status());
  }
}
