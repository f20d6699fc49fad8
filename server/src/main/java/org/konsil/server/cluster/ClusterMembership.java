package org.konsil.server.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.InterfacesConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.DefaultNodeContext;
import com.hazelcast.instance.impl.DefaultNodeExtension;
import com.hazelcast.instance.impl.HazelcastInstanceFactory;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.instance.impl.NodeExtension;
import com.hazelcast.internal.cluster.impl.JoinMessage;
import com.hazelcast.internal.cluster.impl.JoinRequest;
import io.vertx.core.Completable;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PfxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.konsil.server.config.KonsilConfig.ClusterSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may be part of a Konsil cluster. The event bus, which carries message contents between nodes,
 * runs over TLS with client certificates: only a node with a key the trust store trusts can send or
 * receive. Hazelcast, which carries the membership and the event bus's address book, is the
 * open-source edition without TLS or authentication of its own; here a member joins only with proof
 * that it knows the cluster secret (checked by the oldest member when the request to join arrives),
 * Hazelcast's client protocol is not served, and it listens on the cluster address only.
 */
public final class ClusterMembership {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterMembership.class);

  /** Member attributes a joining node presents: a fresh nonce and the HMAC of it. */
  static final String NONCE = "konsil.join.nonce";

  static final String PROOF = "konsil.join.proof";

  private ClusterMembership() {}

  /** The event bus over TLS, each side showing a certificate the other's trust store holds. */
  public static EventBusOptions eventBus(ClusterSettings cluster) {
    return new EventBusOptions()
        .setHost(cluster.host())
        .setPort(cluster.eventBusPort())
        .setClusterPublicHost(cluster.host())
        .setSsl(true)
        .setClientAuth(ClientAuth.REQUIRED)
        .setKeyCertOptions(
            new PfxOptions()
                .setPath(cluster.keyStore().toString())
                .setPassword(cluster.keyStorePassword()))
        .setTrustOptions(
            new PfxOptions()
                .setPath(cluster.trustStore().toString())
                .setPassword(cluster.keyStorePassword()));
  }

  /**
   * Starts this node's Hazelcast member (blocking: it joins the others first) and answers the
   * cluster manager for Vert.x, which shuts the member down when Vert.x leaves.
   */
  public static HazelcastClusterManager clusterManager(ClusterSettings cluster) {
    HazelcastInstance hazelcast = start(cluster);
    return new HazelcastClusterManager(hazelcast) {
      @Override
      public void leave(Completable<Void> promise) {
        super.leave(
            (result, failure) -> {
              hazelcast.getLifecycleService().shutdown();
              promise.complete(result, failure);
            });
      }
    };
  }

  /** A Hazelcast member with the join check, after checking the members it found. */
  static HazelcastInstance start(ClusterSettings cluster) {
    byte[] key = cluster.secret().getBytes(StandardCharsets.UTF_8);
    HazelcastInstance hazelcast =
        HazelcastInstanceFactory.newHazelcastInstance(
            config(cluster, key), "konsil-" + UUID.randomUUID(), new CheckingNodeContext(key));
    // The check runs on the oldest member; a node that joined a cluster whose oldest member has no
    // secret was let in without one, and must not serve there.
    for (Member member : hazelcast.getCluster().getMembers()) {
      if (!hasValidProof(member, key)) {
        hazelcast.getLifecycleService().terminate();
        throw new IllegalStateException(
            "the cluster member at "
                + member.getAddress()
                + " does not know the cluster secret; not joining");
      }
    }
    hazelcast
        .getCluster()
        .addMembershipListener(
            new MembershipListener() {
              @Override
              public void memberAdded(MembershipEvent event) {
                if (!hasValidProof(event.getMember(), key)) {
                  LOG.error(
                      "a cluster member without the cluster secret joined at {}: the oldest member"
                          + " does not check; the event bus refuses it unless it holds a trusted"
                          + " certificate",
                      event.getMember().getAddress());
                }
              }

              @Override
              public void memberRemoved(MembershipEvent event) {
                // nothing to check
              }
            });
    return hazelcast;
  }

  /** Vert.x's Hazelcast settings with TCP join at the listed members, members only. */
  static Config config(ClusterSettings cluster, byte[] key) {
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName("konsil");
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    // a node that stops answering leaves the cluster within seconds, not the default minute
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
    // listen on the cluster address only, not on every interface of the machine
    hz.setProperty("hazelcast.socket.bind.any", "false");
    hz.setProperty("hazelcast.socket.server.bind.any", "false");
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    hz.getMemberAttributeConfig()
        .setAttribute(NONCE, nonce)
        .setAttribute(PROOF, proof(key, nonce))
        // Vert.x names its node by this attribute when it is handed a running member
        .setAttribute("__vertx.nodeId", UUID.randomUUID().toString());
    // With the advanced network settings and only a member endpoint, the port speaks Hazelcast's
    // member protocol only: Hazelcast clients (which the open-source edition would let in with
    // nothing but the cluster name) are not served.
    ServerSocketEndpointConfig members =
        new ServerSocketEndpointConfig()
            .setPort(cluster.port())
            .setPortAutoIncrement(false)
            .setPublicAddress(cluster.host() + ":" + cluster.port());
    if (cluster.host().matches("[0-9.]+")) {
      members.setInterfaces(new InterfacesConfig().setEnabled(true).addInterface(cluster.host()));
    }
    AdvancedNetworkConfig network = hz.getAdvancedNetworkConfig().setEnabled(true);
    network.setMemberEndpointConfig(members);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    return hz;
  }

  static String proof(byte[] key, String nonce) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] tag =
          mac.doFinal(("konsil-cluster-join-v1|" + nonce).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(tag);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean validProof(byte[] key, String nonce, String proof) {
    return nonce != null
        && proof != null
        && nonce.length() >= 16
        && MessageDigest.isEqual(
            proof(key, nonce).getBytes(StandardCharsets.UTF_8),
            proof.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean hasValidProof(Member member, byte[] key) {
    return validProof(key, member.getAttribute(NONCE), member.getAttribute(PROOF));
  }

  /**
   * Hazelcast's start-up hooks with one change: the oldest member refuses a request to join that
   * carries no valid proof. Hazelcast answers such a node with a failed before-join check, and the
   * node shuts down.
   */
  private static final class CheckingNodeContext extends DefaultNodeContext {
    private final byte[] key;

    CheckingNodeContext(byte[] key) {
      this.key = key.clone();
    }

    @Override
    public NodeExtension createNodeExtension(Node node) {
      return new DefaultNodeExtension(node) {
        @Override
        public void validateJoinRequest(JoinMessage message) {
          super.validateJoinRequest(message);
          if (!(message instanceof JoinRequest request)
              || !validProof(
                  key, request.getAttributes().get(NONCE), request.getAttributes().get(PROOF))) {
            LOG.warn(
                "refused a node at {} that does not know the cluster secret", message.getAddress());
            throw new SecurityException(
                "this node does not know the cluster secret (KONSIL_CLUSTER_SECRET)");
          }
        }
      };
    }
  }
}
