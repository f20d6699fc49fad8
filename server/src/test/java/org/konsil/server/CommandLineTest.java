package org.konsil.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.demo.DemoData;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilProcess;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Scratch;
import org.konsil.server.testkit.TestDatabase;

/** The operator's command line (a separate JVM, as with the jar) and the demo data. */
class CommandLineTest {

  @RegisterExtension static KonsilServer server = new KonsilServer();

  Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("KONSIL_DATABASE_URL", TestDatabase.url(server.database()));
    env.put("KONSIL_DATA_DIR", server.dataDir().toString());
    env.put("KONSIL_PUBLIC_URL", "https://konsil.example.org");
    return env;
  }

  @Test
  void createOrganisationPrintsAOneTimeLinkThatLetsTheAdminIn() throws Exception {
    Path work = Scratch.folder("konsil-cli");
    try (KonsilProcess cli =
        KonsilProcess.start(
            env(),
            work,
            "create-organisation",
            "--kind",
            "care_home",
            "--name",
            "Haus Abendrot",
            "--city",
            "Lübeck",
            "--admin-email",
            "leitung@abendrot.test",
            "--admin-name",
            "Petra Leitung")) {
      String output = cli.outputAfterExit(60);
      assertTrue(output.contains("(exit 0)"), output);
      assertTrue(output.contains("Created organisation Haus Abendrot"), output);
      String link =
          output
              .lines()
              .filter(l -> l.contains("/set-password#token="))
              .findFirst()
              .orElseThrow()
              .trim();
      assertTrue(link.startsWith("https://konsil.example.org/set-password#token="), link);
      String token = link.substring(link.indexOf("#token=") + 7);
      Api api = server.api();
      assertEquals(
          204,
          api.post(
                  "/api/v1/auth/set-password",
                  new JsonObject().put("token", token).put("password", "petra's long password"),
                  null)
              .status());
      Api.Response login =
          api.post(
              "/api/v1/auth/login",
              new JsonObject()
                  .put("email", "leitung@abendrot.test")
                  .put("password", "petra's long password"),
              null);
      assertEquals(200, login.status());
      assertEquals("admin", login.json().getJsonObject("user").getString("role"));
    }
  }

  @Test
  void createOrganisationRefusesBadInputWithAMessage() throws Exception {
    Path work = Scratch.folder("konsil-cli");
    try (KonsilProcess cli =
        KonsilProcess.start(
            env(),
            work,
            "create-organisation",
            "--kind",
            "castle",
            "--name",
            "X",
            "--admin-email",
            "a@b.test",
            "--admin-name",
            "A")) {
      String output = cli.outputAfterExit(60);
      assertTrue(output.contains("(exit 2)"), output);
      assertTrue(output.contains("kind"), output);
    }
    try (KonsilProcess cli = KonsilProcess.start(env(), work, "frobnicate")) {
      String output = cli.outputAfterExit(60);
      assertTrue(output.contains("(exit 2)") && output.contains("usage"), output);
    }
    assertEquals(0, server.count("SELECT count(*) FROM organisations WHERE name = 'X'"));
  }

  @Test
  void demoDataHasTwoOrganisationsUsersAndARoomAndIsSeededOnce() {
    DemoData demo = Main.demoData(server.wiring());
    String instructions = KonsilServer.await(demo.seed("http://localhost:8080"));
    assertTrue(instructions.contains(DemoData.PASSWORD));
    KonsilServer.await(demo.seed("http://localhost:8080"));
    assertEquals(
        1,
        server.count("SELECT count(*) FROM organisations WHERE name = 'Hausarztpraxis am Markt'"));

    Api.Response login =
        server
            .api()
            .post(
                "/api/v1/auth/login",
                new JsonObject()
                    .put("email", "tom.weber@lindenhof.example")
                    .put("password", DemoData.PASSWORD),
                null);
    assertEquals(200, login.status());
    JsonArray rooms =
        server.api().get("/api/v1/rooms", login.json().getString("accessToken")).array();
    assertEquals(2, rooms.size(), "a general room and a room about a patient");
    JsonObject patientRoom = roomOfKind(rooms, "patient");
    assertEquals("Musterfrau", patientRoom.getJsonObject("patient").getString("familyName"));
    assertEquals(1, patientRoom.getJsonObject("consent").getInteger("version"));
    JsonObject general = roomOfKind(rooms, "general");
    assertEquals(2, general.getLong("lastSeq"));
    assertEquals(2, general.getJsonArray("organisations").size());
  }

  static JsonObject roomOfKind(JsonArray rooms, String kind) {
    return rooms.stream()
        .map(JsonObject.class::cast)
        .filter(room -> kind.equals(room.getString("kind")))
        .findFirst()
        .orElseThrow();
  }
}
