package org.konsil.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.konsil.server.config.KonsilConfig.ClusterSettings;
import org.konsil.server.testkit.ClusterKeys;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestSocket;
import org.konsil.server.testkit.Waiting;

/**
 * A node without the cluster secret cannot join Hazelcast, Hazelcast clients are not served, and a
 * node without a trusted certificate can neither send nor receive on the event bus, while a node
 * with both is heard. Node A runs in this JVM; the other members are started here too, with
 * Konsil's own cluster code and settings that differ only where the test says.
 */
class ClusterSecurityTest {

  static final int HAZELCAST_A = KonsilServer.freePort();
  static final Path KEY_STORE = ClusterKeys.keyStore();

  @RegisterExtension
  static KonsilServer nodeA =
      new KonsilServer()
          .with("KONSIL_CLUSTER", "hazelcast")
          .with("KONSIL_CLUSTER_HOST", "127.0.0.1")
          .with("KONSIL_CLUSTER_PORT", Integer.toString(HAZELCAST_A))
          .with("KONSIL_CLUSTER_MEMBERS", "127.0.0.1:" + HAZELCAST_A)
          .with("KONSIL_CLUSTER_KEYSTORE", KEY_STORE.toString())
          .with("KONSIL_CLUSTER_KEYSTORE_PASSWORD", ClusterKeys.PASSWORD)
          .with("KONSIL_CLUSTER_SECRET", ClusterKeys.SECRET);

  static Session anna;
  static UUID room;

  @BeforeAll
  static void setUp() {
    anna = nodeA.login(nodeA.organisation("practice").admin());
    room = nodeA.room(anna, nodeA.organisation("care_home").id());
  }

  static ClusterSettings settings(Path keyStore, String secret) {
    int port = KonsilServer.freePort();
    return new ClusterSettings(
        "127.0.0.1",
        port,
        List.of("127.0.0.1:" + HAZELCAST_A, "127.0.0.1:" + port),
        0,
        keyStore,
        ClusterKeys.PASSWORD,
        keyStore,
        secret);
  }

  /** Node A's Hazelcast member: the one this test did not start. */
  static HazelcastInstance memberA() {
    return Hazelcast.getAllHazelcastInstances().stream()
        .filter(hz -> hz.getCluster().getLocalMember().getAddress().getPort() == HAZELCAST_A)
        .findFirst()
        .orElseThrow();
  }

  static Vertx joined(ClusterSettings settings) throws Exception {
    return Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(ClusterMembership.eventBus(settings)))
        .withClusterManager(ClusterMembership.clusterManager(settings))
        .buildClustered()
        .await(120, TimeUnit.SECONDS);
  }

  /** A forged live event: someone typing in the room, as only a node of the cluster may say. */
  static void publishTyping(Vertx vertx, String who) {
    // the address and headers of live.LiveEvents; a frame as the contract describes it
    vertx
        .eventBus()
        .publish(
            "konsil.live",
            new JsonObject()
                .put("type", "typing")
                .put("room", room.toString())
                .put(
                    "sender",
                    new JsonObject()
                        .put("id", UUID.randomUUID().toString())
                        .put("displayName", who)
                        .put(
                            "organisation",
                            new JsonObject()
                                .put("id", UUID.randomUUID().toString())
                                .put("name", "Cluster node")))
                .encode(),
            new DeliveryOptions()
                .addHeader("kind", "typing")
                .addHeader("room", room.toString())
                .addHeader("user", UUID.randomUUID().toString()));
  }

  /** Publishes until the socket hears it; fails after the attempts. */
  static String displayName(String who) {
    return "\"displayName\":\"" + who + "\"";
  }

  static void heardThrough(Vertx vertx, TestSocket socket, String who) {
    for (int attempt = 0; attempt < 60; attempt++) {
      publishTyping(vertx, who);
      try {
        socket.expectNone("typing", 500);
      } catch (AssertionError heard) {
        // a late frame of an earlier call's tries may come in first: only this one's counts
        if (heard.getMessage().contains(displayName(who))) {
          return;
        }
      }
    }
    throw new AssertionError(who + " was never heard on node A");
  }

  @Test
  void aMemberWithoutTheSecretCannotJoinHazelcast() {
    assertThrows(
        IllegalStateException.class,
        () -> ClusterMembership.start(settings(KEY_STORE, "another secret of more than 32 chars")));

    // a plain Hazelcast member as Vert.x would start one, with the cluster name and nothing else
    ClusterSettings plain = settings(KEY_STORE, ClusterKeys.SECRET);
    Config config = ClusterMembership.config(plain, "unused".getBytes());
    config.getMemberAttributeConfig().removeAttribute(ClusterMembership.NONCE);
    config.getMemberAttributeConfig().removeAttribute(ClusterMembership.PROOF);
    assertThrows(IllegalStateException.class, () -> Hazelcast.newHazelcastInstance(config));

    assertEquals(1, memberA().getCluster().getMembers().size(), "node A is still alone");
  }

  @Test
  void aHazelcastClientIsNotServed() {
    ClientConfig client = new ClientConfig().setClusterName("konsil");
    client.getNetworkConfig().addAddress("127.0.0.1:" + HAZELCAST_A);
    client
        .getConnectionStrategyConfig()
        .getConnectionRetryConfig()
        .setClusterConnectTimeoutMillis(5_000);
    assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(client));
  }

  @Test
  void onlyANodeWithATrustedCertificateIsHeardOnTheEventBus() throws Exception {
    try (TestSocket socket = nodeA.socket(anna)) {
      Vertx trusted = joined(settings(KEY_STORE, ClusterKeys.SECRET));
      Vertx untrusted = joined(settings(ClusterKeys.keyStore(), ClusterKeys.SECRET));
      try {
        assertEquals(3, memberA().getCluster().getMembers().size(), "both know the secret");
        heardThrough(trusted, socket, "Trusted");
        socket.remaining();

        for (int attempt = 0; attempt < 10; attempt++) {
          publishTyping(untrusted, "Mallory");
          try {
            socket.expectNone("typing", 300);
          } catch (AssertionError late) {
            // a late frame of the trusted node's earlier tries may still come in; Mallory's never
            assertFalse(late.getMessage().contains(displayName("Mallory")), late.getMessage());
            assertTrue(late.getMessage().contains(displayName("Trusted")), late.getMessage());
          }
        }

        // the refused node did not disturb the others
        heardThrough(trusted, socket, "Trusted again");
        assertTrue(!socket.isClosed());

        // what node A publishes reaches the trusted node only
        AtomicInteger toTrusted = new AtomicInteger();
        AtomicInteger toUntrusted = new AtomicInteger();
        trusted
            .eventBus()
            .consumer("konsil.live", m -> toTrusted.incrementAndGet())
            .completion()
            .await(30, TimeUnit.SECONDS);
        untrusted
            .eventBus()
            .consumer("konsil.live", m -> toUntrusted.incrementAndGet())
            .completion()
            .await(30, TimeUnit.SECONDS);
        for (int attempt = 0; toTrusted.get() == 0; attempt++) {
          assertTrue(attempt < 100, "node A's messages never reached the trusted node");
          nodeA.sendRest(anna, room, "Nachricht " + attempt);
          socket.next("message");
        }
        // node A publishes to both in one go; by now the untrusted node would have had one too
        nodeA.sendRest(anna, room, "noch eine");
        socket.next("message");
        Waiting.until(() -> toTrusted.get() >= 2, "the trusted node hears node A");
        assertEquals(0, toUntrusted.get(), "the untrusted node hears nothing");
      } finally {
        untrusted.close().await(30, TimeUnit.SECONDS);
        trusted.close().await(30, TimeUnit.SECONDS);
      }
    }
  }
}
