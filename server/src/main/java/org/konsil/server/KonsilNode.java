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
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.konsil.db.DatabaseRoles;
import org.konsil.db.DatabaseSettings;
import org.konsil.db.DurabilitySettings;
import org.konsil.db.EmbeddedDatabase;
import org.konsil.db.Migrations;
import org.konsil.server.cluster.ClusterMembership;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.config.SecretFiles;
import org.konsil.server.http.KeptStatements;
import org.konsil.server.messaging.MessageWriter;
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
  private final DatabaseSettings owner;
  private final Vertx vertx;
  private final Pool pool;
  private final Pool generic;
  private final Wiring wiring;
  private boolean serving;
  private boolean closed;

  private KonsilNode(
      KonsilConfig config,
      EmbeddedDatabase embedded,
      DatabaseSettings database,
      DatabaseSettings owner,
      Vertx vertx,
      Pool pool,
      Pool generic,
      Wiring wiring) {
    this.config = config;
    this.embedded = embedded;
    this.database = database;
    this.owner = owner;
    this.vertx = vertx;
    this.pool = pool;
    this.generic = generic;
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
    DatabaseRoles roles;
    Optional<DatabaseRoles> running =
        config.databaseUrl().isEmpty() && attach
            ? EmbeddedDatabase.attachToRunning(config.postgresDir())
            : Optional.empty();
    if (config.databaseUrl().isPresent()) {
      roles = DatabaseRoles.fromUrls(config.databaseUrl().get(), config.databaseMigrationUrl());
    } else if (running.isPresent()) {
      roles = running.get();
    } else {
      LOG.info("starting the embedded PostgreSQL in {}", config.postgresDir());
      embedded = EmbeddedDatabase.start(config.postgresDir(), config.embeddedDatabasePort());
      roles = embedded.roles();
    }
    DatabaseSettings database = roles.application();
    try {
      // before anything is written: a database that may lose commits is not migrated either
      requireDurability(config, database);
      int applied = Migrations.migrate(roles.owner());
      LOG.info(
          "database {} is at the newest schema ({} migrations applied now)",
          roles.owner(),
          applied);
      if (roles.applicationIsOwner()) {
        LOG.warn(
            "Konsil runs as {}, the owner of its schema: set KONSIL_DATABASE_MIGRATION_URL to the"
                + " owner and KONSIL_DATABASE_URL to an application role (docs/operations.md)",
            database.user());
      } else {
        Migrations.grantApplicationRole(roles.owner(), database.user());
        List<String> excess = Migrations.excessRights(database, roles.owner().user());
        if (!excess.isEmpty()) {
          throw new IllegalStateException(
              "the application role "
                  + database.user()
                  + " has more rights than Konsil needs ("
                  + String.join(", ", excess)
                  + "); take them away (docs/operations.md, An external PostgreSQL)");
        }
      }
      PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Vertx vertx = vertx(config, metrics);
      Pool pool = pool(vertx, database, config.databasePoolSize(), false);
      Pool generic = pool(vertx, database, MessageWriter.BATCHES_IN_FLIGHT, true);
      Wiring wiring = new Wiring(vertx, pool, generic, clock, config, metrics, tokenSecret(config));
      return new KonsilNode(
          config, embedded, database, roles.owner(), vertx, pool, generic, wiring);
    } catch (RuntimeException e) {
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /**
   * Logs the settings that decide whether an acknowledged message survives a crash, read back from
   * the database as the server's role sees them, and refuses to serve on settings that lose commits
   * unless the operator allowed it explicitly.
   */
  private static void requireDurability(KonsilConfig config, DatabaseSettings database) {
    DurabilitySettings settings = DurabilitySettings.read(database);
    LOG.info("database durability: {}", settings);
    if (settings.durable()) {
      return;
    }
    if (!config.allowUnsafeDurability()) {
      throw new IllegalStateException(
          "the database may lose acknowledged messages in a crash ("
              + settings
              + "); turn fsync, synchronous_commit and full_page_writes on, or set"
              + " KONSIL_ALLOW_UNSAFE_DURABILITY=true to run anyway");
    }
    LOG.warn(
        "UNSAFE: the database may lose acknowledged messages in a crash ({}); running only"
            + " because KONSIL_ALLOW_UNSAFE_DURABILITY=true",
        settings);
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
    options.setEventBusOptions(ClusterMembership.eventBus(cluster));
    LOG.info(
        "joining the cluster at {}:{} (members {})",
        cluster.host(),
        cluster.port(),
        cluster.members());
    try {
      return builder
          .with(options)
          .withClusterManager(ClusterMembership.clusterManager(cluster))
          .buildClustered()
          .await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not join the cluster: " + e.getMessage(), e);
    }
  }

  public Wiring wiring() {
    return wiring;
  }

  public Vertx vertx() {
    return vertx;
  }

  /**
   * What the generic-plan pool's connections set at their start: PostgreSQL runs every statement on
   * its generic plan, and that plan reads no table from end to end where an index can answer.
   */
  public static final Map<String, String> GENERIC_PLANS =
      Map.of("plan_cache_mode", "force_generic_plan", "enable_seqscan", "off");

  /**
   * A pool of the application role's connections. Each keeps its statements prepared ({@link
   * KeptStatements}). With {@code genericPlans} the connections start with {@link #GENERIC_PLANS}:
   * the message statement for a few messages is the only one that runs there; with the planner's
   * default choice it was planned again on every execution, which cost PostgreSQL almost as much
   * CPU as running it (bench/RESULTS.md). Its one plan is made once per connection and again after
   * ANALYZE; without sequential scans it looks every row up by index whatever the tables' sizes
   * were when it was made ({@code MessageStorePlanTest}).
   */
  public static Pool pool(Vertx vertx, DatabaseSettings database, int size, boolean genericPlans) {
    PgConnectOptions options =
        new PgConnectOptions()
            .setHost(database.host())
            .setPort(database.port())
            .setDatabase(database.database())
            .setUser(database.user())
            .setPassword(database.password())
            .setCachePreparedStatements(true)
            .setPreparedStatementCacheSqlFilter(KeptStatements::kept);
    if (genericPlans) {
      GENERIC_PLANS.forEach(options::addProperty);
    }
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size))
        .connectingTo(options)
        .using(vertx)
        .build();
  }

  public Pool pool() {
    return pool;
  }

  public DatabaseSettings database() {
    return database;
  }

  /** The schema owner's login, for operator commands that need more than the server's role. */
  public DatabaseSettings owner() {
    return owner;
  }

  public KonsilConfig config() {
    return config;
  }

  /** Stops in order: no new work, in-flight messages commit, sockets close, then the database. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("stopping Konsil");
    try {
      if (serving) {
        // running requests, then the messages being stored, may each take the grace time
        wiring.stop().await(2 * config.shutdownGrace().toSeconds() + 15, TimeUnit.SECONDS);
      }
      generic.close().await(10, TimeUnit.SECONDS);
      pool.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Konsil did not stop cleanly: {}", e.toString());
    } finally {
      if (embedded != null) {
        embedded.close();
        LOG.info("the embedded PostgreSQL has stopped");
      }
      LOG.info("Konsil has stopped");
    }
  }

  /** The signing secret from KONSIL_JWT_SECRET, or from a file in the data folder made once. */
  private static byte[] tokenSecret(KonsilConfig config) {
    return SecretFiles.load(
        config.jwtSecret(), "KONSIL_JWT_SECRET", config.dataDir().resolve("token-secret"));
  }
}
