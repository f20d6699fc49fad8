package org.konsil.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings come from KONSIL_* variables with safe defaults, and wrong values are named. */
class KonsilConfigTest {

  @Test
  void defaultsNeedNothingConfigured() {
    KonsilConfig config = KonsilConfig.from(Map.of());
    assertEquals(8080, config.httpPort());
    assertEquals("127.0.0.1", config.httpHost());
    assertEquals("http://localhost:8080", config.publicUrl());
    assertTrue(config.databaseUrl().isEmpty(), "embedded database by default");
    assertTrue(config.smtp().isEmpty(), "mail to the spool folder by default");
    assertTrue(config.dataDir().endsWith("data"));
    assertEquals(config.dataDir().resolve("mail"), config.mailSpoolDir());
    assertEquals(Duration.ofMinutes(5), config.accessTokenTtl());
  }

  @Test
  void variablesOverrideTheDefaults() {
    KonsilConfig config =
        KonsilConfig.from(
            Map.of(
                "KONSIL_HTTP_PORT", "9090",
                "KONSIL_PUBLIC_URL", "https://konsil.example.org/",
                "KONSIL_SMTP_HOST", "mail.example.org",
                "KONSIL_SMTP_SECURITY", "tls",
                "KONSIL_DATABASE_URL", "postgresql://konsil:secret@db:5432/konsil"));
    assertEquals(9090, config.httpPort());
    assertEquals("https://konsil.example.org", config.publicUrl());
    assertEquals("tls", config.smtp().orElseThrow().security());
    assertEquals(587, config.smtp().orElseThrow().port());
    assertEquals("postgresql://konsil:secret@db:5432/konsil", config.databaseUrl().orElseThrow());
  }

  @Test
  void wrongValuesAreRefusedWithTheVariablesName() {
    IllegalArgumentException port =
        assertThrows(
            IllegalArgumentException.class,
            () -> KonsilConfig.from(Map.of("KONSIL_HTTP_PORT", "eighty")));
    assertTrue(port.getMessage().contains("KONSIL_HTTP_PORT"));
    IllegalArgumentException range =
        assertThrows(
            IllegalArgumentException.class,
            () -> KonsilConfig.from(Map.of("KONSIL_HTTP_PORT", "70000")));
    assertTrue(range.getMessage().contains("65535"));
    IllegalArgumentException security =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KonsilConfig.from(
                    Map.of("KONSIL_SMTP_HOST", "x", "KONSIL_SMTP_SECURITY", "maybe")));
    assertTrue(security.getMessage().contains("KONSIL_SMTP_SECURITY"));
    IllegalArgumentException tls =
        assertThrows(
            IllegalArgumentException.class,
            () -> KonsilConfig.from(Map.of("KONSIL_TLS_CERT_FILE", "/x.pem")));
    assertTrue(tls.getMessage().contains("KONSIL_TLS_KEY_FILE"));
  }

  @Test
  void clusteringIsOffByDefaultAndTakesItsMembers() {
    assertTrue(KonsilConfig.from(Map.of()).cluster().isEmpty());
    assertEquals(false, KonsilConfig.from(Map.of()).benchWithoutDatabase());
    KonsilConfig.ClusterSettings cluster =
        KonsilConfig.from(
                Map.of(
                    "KONSIL_DATABASE_URL", "postgresql://konsil@db:5432/konsil",
                    "KONSIL_CLUSTER", "hazelcast",
                    "KONSIL_CLUSTER_HOST", "10.0.0.11",
                    "KONSIL_CLUSTER_MEMBERS", "10.0.0.11:5701, 10.0.0.12:5701 ,",
                    "KONSIL_CLUSTER_KEYSTORE", "/etc/konsil/cluster.p12",
                    "KONSIL_CLUSTER_KEYSTORE_PASSWORD", "store password",
                    "KONSIL_CLUSTER_SECRET", "x".repeat(32)))
            .cluster()
            .orElseThrow();
    assertEquals("10.0.0.11", cluster.host());
    assertEquals(5701, cluster.port());
    assertEquals(java.util.List.of("10.0.0.11:5701", "10.0.0.12:5701"), cluster.members());
    assertEquals(0, cluster.eventBusPort());
    assertEquals(java.nio.file.Path.of("/etc/konsil/cluster.p12"), cluster.keyStore());
    assertEquals(cluster.keyStore(), cluster.trustStore(), "the key store trusts itself");
  }

  @Test
  void clusteringNeedsAKeyStoreAndALongEnoughSecret() {
    Map<String, String> base =
        Map.of(
            "KONSIL_DATABASE_URL", "postgresql://konsil@db:5432/konsil",
            "KONSIL_CLUSTER", "hazelcast",
            "KONSIL_CLUSTER_KEYSTORE", "/etc/konsil/cluster.p12",
            "KONSIL_CLUSTER_KEYSTORE_PASSWORD", "store password",
            "KONSIL_CLUSTER_SECRET", "x".repeat(32));
    for (String missing :
        new String[] {
          "KONSIL_CLUSTER_KEYSTORE", "KONSIL_CLUSTER_KEYSTORE_PASSWORD", "KONSIL_CLUSTER_SECRET"
        }) {
      Map<String, String> env = new java.util.HashMap<>(base);
      env.remove(missing);
      IllegalArgumentException refused =
          assertThrows(IllegalArgumentException.class, () -> KonsilConfig.from(env));
      assertTrue(refused.getMessage().contains(missing), refused.getMessage());
    }
    Map<String, String> shortSecret = new java.util.HashMap<>(base);
    shortSecret.put("KONSIL_CLUSTER_SECRET", "x".repeat(31));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> KonsilConfig.from(shortSecret))
            .getMessage()
            .contains("KONSIL_CLUSTER_SECRET"));
  }

  @Test
  void wrongClusterSettingsAreRefusedWithTheVariablesName() {
    IllegalArgumentException kind =
        assertThrows(
            IllegalArgumentException.class,
            () -> KonsilConfig.from(Map.of("KONSIL_CLUSTER", "multicast")));
    assertTrue(kind.getMessage().contains("KONSIL_CLUSTER"));
    IllegalArgumentException embedded =
        assertThrows(
            IllegalArgumentException.class,
            () -> KonsilConfig.from(Map.of("KONSIL_CLUSTER", "hazelcast")));
    assertTrue(embedded.getMessage().contains("KONSIL_DATABASE_URL"), embedded.getMessage());
    IllegalArgumentException members =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KonsilConfig.from(
                    Map.of(
                        "KONSIL_DATABASE_URL", "postgresql://konsil@db:5432/konsil",
                        "KONSIL_CLUSTER", "hazelcast",
                        "KONSIL_CLUSTER_MEMBERS", "10.0.0.11:5701;rm -rf /")));
    assertTrue(members.getMessage().contains("KONSIL_CLUSTER_MEMBERS"));
    IllegalArgumentException port =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KonsilConfig.from(
                    Map.of(
                        "KONSIL_DATABASE_URL", "postgresql://konsil@db:5432/konsil",
                        "KONSIL_CLUSTER", "hazelcast",
                        "KONSIL_CLUSTER_PORT", "0")));
    assertTrue(port.getMessage().contains("KONSIL_CLUSTER_PORT"));
  }
}
