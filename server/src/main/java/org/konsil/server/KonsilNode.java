package org.konsil.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.konsil.db.DatabaseSettings;
import org.konsil.db.EmbeddedDatabase;
import org.konsil.db.Migrations;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.config.KonsilConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Konsil: its database (embedded or external, migrated), Vert.x, the pool and the wired
 * services. Started and stopped from a plain thread (main, a shutdown hook, a test).
 */
public final class KonsilNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KonsilNode.class);

  private final KonsilConfig config;
  private final EmbeddedDatabase embedded;
  private final DatabaseSettings database;
  private final Vertx vertx;
  private final Pool pool;
  private final Wiring wiring;
  private boolean serving;

  private KonsilNode(
      KonsilConfig config,
      EmbeddedDatabase embedded,
      DatabaseSettings database,
      Vertx vertx,
      Pool pool,
      Wiring wiring) {
    this.config = config;
    this.embedded = embedded;
    this.database = database;
    this.vertx = vertx;
    this.pool = pool;
    this.wiring = wiring;
  }

  /** Opens the database and the services, and starts serving HTTP and WebSocket. Blocking. */
  public static KonsilNode start(KonsilConfig config, Clock clock) {
    KonsilNode node = open(config, clock, false);
    try {
      node.wiring.start().await(60, TimeUnit.SECONDS);
      node.serving = true;
      return node;
    } catch (Exception e) {
      node.close();
      throw new IllegalStateException("Konsil could not start: " + e.getMessage(), e);
    }
  }

  /**
   * Opens the database and the services without serving, for operator commands. With the embedded
   * database, a running server's database is used rather than a second one started.
   */
  public static KonsilNode openForCommand(KonsilConfig config, Clock clock) {
    return open(config, clock, true);
  }

  private static KonsilNode open(KonsilConfig config, Clock clock, boolean attach) {
    EmbeddedDatabase embedded = null;
    DatabaseSettings database;
    Integer runningPort = null;
    try {
      if (config.databaseUrl().isEmpty() && attach) {
        runningPort = EmbeddedDatabase.runningPort(config.postgresDir());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (config.databaseUrl().isPresent()) {
      database = DatabaseSettings.fromUrl(config.databaseUrl().get());
    } else if (runningPort != null) {
      database = new DatabaseSettings("127.0.0.1", runningPort, "postgres", "postgres", "");
    } else {
      LOG.info("starting the embedded PostgreSQL in {}", config.postgresDir());
      embedded = EmbeddedDatabase.start(config.postgresDir(), config.embeddedDatabasePort());
      database = embedded.settings();
    }
    try {
      int applied = Migrations.migrate(database);
      LOG.info(
          "database {} is at the newest schema ({} migrations applied now)", database, applied);
      PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Vertx vertx = vertx(config, metrics);
      Pool pool =
          PgBuilder.pool()
              .with(new PoolOptions().setMaxSize(config.databasePoolSize()))
              .connectingTo(
                  new PgConnectOptions()
                      .setHost(database.host())
                      .setPort(database.port())
                      .setDatabase(database.database())
                      .setUser(database.user())
                      .setPassword(database.password())
                      .setCachePreparedStatements(true))
              .using(vertx)
              .build();
      Wiring wiring = new Wiring(vertx, pool, clock, config, metrics, tokenSecret(config));
      return new KonsilNode(config, embedded, database, vertx, pool, wiring);
    } catch (RuntimeException e) {
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /** Vert.x on its own, or joined to the other nodes' event bus when clustering is on. */
  private static Vertx vertx(KonsilConfig config, PrometheusMeterRegistry metrics) {
    VertxOptions options =
        new VertxOptions()
            .setMetricsOptions(
                new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    var builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(metrics));
    if (config.cluster().isEmpty()) {
      return builder.with(options).build();
    }
    KonsilConfig.ClusterSettings cluster = config.cluster().get();
    options.setEventBusOptions(
        new io.vertx.core.eventbus.EventBusOptions()
            .setHost(cluster.host())
            .setPort(cluster.eventBusPort())
            .setClusterPublicHost(cluster.host()));
    LOG.info(
        "joining the cluster at {}:{} (members {})",
        cluster.host(),
        cluster.port(),
        cluster.members());
    try {
      return builder
          .with(options)
          .withClusterManager(
              new io.vertx.spi.cluster.hazelcast.HazelcastClusterManager(hazelcast(cluster)))
          .buildClustered()
          .await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not join the cluster: " + e.getMessage(), e);
    }
  }

  /** Vert.x's Hazelcast settings with TCP join at the listed members and multicast off. */
  private static com.hazelcast.config.Config hazelcast(KonsilConfig.ClusterSettings cluster) {
    com.hazelcast.config.Config hz = io.vertx.spi.cluster.hazelcast.ConfigUtil.loadConfig();
    hz.setClusterName("konsil");
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    // a node that stops answering leaves the cluster within seconds, not the default minute
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
    com.hazelcast.config.NetworkConfig network = hz.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.setPublicAddress(cluster.host() + ":" + cluster.port());
    if (cluster.host().matches("[0-9.]+")) {
      network.getInterfaces().setEnabled(true).addInterface(cluster.host());
    }
    com.hazelcast.config.JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    return hz;
  }

  public Wiring wiring() {
    return wiring;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Pool pool() {
    return pool;
  }

  public DatabaseSettings database() {
    return database;
  }

  public KonsilConfig config() {
    return config;
  }

  /** Stops in order: no new work, in-flight messages commit, sockets close, then the database. */
  @Override
  public void close() {
    LOG.info("stopping Konsil");
    try {
      if (serving) {
        wiring.stop().await(config.shutdownGrace().toSeconds() + 10, TimeUnit.SECONDS);
      }
      pool.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Konsil did not stop cleanly: {}", e.toString());
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  /** The signing secret from KONSIL_JWT_SECRET, or from a file in the data folder made once. */
  private static byte[] tokenSecret(KonsilConfig config) {
    if (config.jwtSecret().isPresent()) {
      byte[] secret = Base64.getDecoder().decode(config.jwtSecret().get());
      if (secret.length < 32) {
        throw new IllegalArgumentException(
            "KONSIL_JWT_SECRET must hold at least 32 bytes (Base64)");
      }
      return secret;
    }
    Path file = config.dataDir().resolve("token-secret");
    try {
      if (!Files.exists(file)) {
        Files.createDirectories(config.dataDir());
        Files.writeString(file, Base64.getEncoder().encodeToString(Secrets.randomBytes(32)));
        try {
          Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system; the data folder's own permissions protect it
        }
      }
      return Base64.getDecoder().decode(Files.readString(file).trim());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    }
  }
}
