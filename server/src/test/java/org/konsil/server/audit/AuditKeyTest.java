package org.konsil.server.audit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.testkit.KonsilProcess;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.Scratch;

/**
 * Once the trail has keyed events, Konsil never makes a new audit key and neither starts nor runs a
 * command with a key that did not seal them.
 */
class AuditKeyTest {

  @RegisterExtension
  static KonsilServer server =
      new KonsilServer().with("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", "3600");

  static String command(String... args) throws Exception {
    Map<String, String> env = new HashMap<>();
    for (String name :
        List.of("KONSIL_DATABASE_URL", "KONSIL_DATABASE_MIGRATION_URL", "KONSIL_DATA_DIR")) {
      env.put(name, server.env(name));
    }
    env.put("KONSIL_PUBLIC_URL", "https://konsil.example.org");
    try (KonsilProcess cli = KonsilProcess.start(env, Scratch.folder("konsil-cli"), args)) {
      return cli.outputAfterExit(60);
    }
  }

  @Test
  void aMissingOrOtherKeyIsRefusedAndNoNewKeyIsMade() throws Exception {
    server.login(server.organisation("practice").admin());
    Path keyFile = server.dataDir().resolve("audit-key");
    String key = Files.readString(keyFile);
    server.stop();
    try {
      Files.delete(keyFile);
      IllegalStateException missing = assertThrows(IllegalStateException.class, server::start);
      assertTrue(missing.getMessage().contains("KONSIL_AUDIT_KEY"), missing.getMessage());
      assertTrue(missing.getMessage().contains(keyFile.toString()), missing.getMessage());
      assertFalse(Files.exists(keyFile), "no new key is made while keyed events exist");

      String verify = command("verify-audit");
      assertTrue(verify.contains("(exit 2)"), verify);
      assertTrue(verify.contains("no audit key is set: set KONSIL_AUDIT_KEY"), verify);
      String create =
          command(
              "create-organisation",
              "--kind",
              "clinic",
              "--name",
              "Ohne Schlüssel",
              "--admin-email",
              "leitung@ohne.test",
              "--admin-name",
              "Leitung");
      assertTrue(create.contains("(exit 2)"), create);
      assertTrue(create.contains("KONSIL_AUDIT_KEY"), create);
      assertFalse(Files.exists(keyFile), "neither command makes a key");

      Files.writeString(keyFile, Base64.getEncoder().encodeToString(Secrets.randomBytes(32)));
      IllegalStateException other = assertThrows(IllegalStateException.class, server::start);
      assertTrue(
          other.getMessage().contains("does not match its MAC under the audit key from " + keyFile),
          other.getMessage());
    } finally {
      Files.writeString(keyFile, key);
      server.start();
    }
    server.login(server.organisation("clinic").admin());
    assertFalse(
        server.count("SELECT count(*) FROM organisations WHERE name = 'Ohne Schlüssel'") > 0,
        "the refused command created nothing");
  }
}
