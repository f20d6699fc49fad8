package org.konsil.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * All settings of a Konsil node, read in one place from environment variables. Every variable is
 * listed in docs/operations.md; nothing else reads the environment.
 */
public record KonsilConfig(
    Path dataDir,
    Optional<String> databaseUrl,
    Optional<String> databaseMigrationUrl,
    boolean allowUnsafeDurability,
    int embeddedDatabasePort,
    int databasePoolSize,
    String httpHost,
    int httpPort,
    String publicUrl,
    Optional<Path> tlsCertFile,
    Optional<Path> tlsKeyFile,
    Optional<String> jwtSecret,
    Optional<String> auditKey,
    Duration auditAnchorInterval,
    Path auditAnchorFile,
    Duration accessTokenTtl,
    Duration sessionTtl,
    Duration passwordLinkTtl,
    Duration wsTicketTtl,
    int loginMaxFailures,
    Duration loginLockDuration,
    Duration loginDelayStep,
    int addressMaxFailures,
    Duration addressWindow,
    int argon2MemoryKib,
    int argon2Iterations,
    Optional<SmtpSettings> smtp,
    String mailFrom,
    int httpMaxBodyBytes,
    long attachmentMaxBytes,
    int wsMaxFrameBytes,
    int wsMaxQueuedBytes,
    Duration wsAuthTimeout,
    Duration httpIdleTimeout,
    Duration wsIdleTimeout,
    Duration shutdownGrace,
    int eventLoopInstances,
    FaxSettings fax,
    Duration invitationTtl,
    Duration outboxGiveUp,
    Duration notifyDelay,
    Duration notifyInterval,
    int campaignRatePerSecond,
    Optional<ClusterSettings> cluster,
    boolean benchWithoutDatabase,
    KeyDirectorySettings keyDirectory,
    SmsSettings sms) {

  /**
   * How SMS leave: spool (text files in a folder a person can read) or http (a gateway's REST API
   * at the URL, with a bearer token).
   */
  public record SmsSettings(
      String transport, Optional<String> httpUrl, Optional<String> httpToken) {}

  /**
   * Devices and the key directory for end-to-end encryption: how many devices a user may have, how
   * low a device's stock of one-time prekeys may fall before its owner is told, and how many prekey
   * bundle fetches a user may make in a window (counted across all nodes).
   */
  public record KeyDirectorySettings(
      int maxDevices, int prekeyLowThreshold, int prekeyFetchLimit, Duration prekeyFetchWindow) {}

  /**
   * Several nodes on one PostgreSQL: a Hazelcast cluster that carries the Vert.x event bus. Nodes
   * find each other by TCP at the listed members; multicast is never used. The event bus runs over
   * TLS with client certificates from the key store (trusted: the certificates in the trust store,
   * by default the key store's own); a Hazelcast member must prove that it knows the secret.
   */
  public record ClusterSettings(
      String host,
      int port,
      java.util.List<String> members,
      int eventBusPort,
      Path keyStore,
      String keyStorePassword,
      Path trustStore,
      String secret) {}

  /** How faxes leave: spool (a folder), http (a provider's REST API) or smtp (e-mail-to-fax). */
  public record FaxSettings(
      String transport,
      Optional<String> httpUrl,
      Optional<String> httpToken,
      Optional<String> callbackSecret,
      Optional<String> smtpDomain) {}

  /** How mail leaves when SMTP is configured. */
  public record SmtpSettings(
      String host,
      int port,
      String security,
      Optional<String> username,
      Optional<String> password) {}

  public static KonsilConfig fromEnvironment() {
    return from(System.getenv());
  }

  /** Reads the settings from a map of variables; unknown values fail with a message naming them. */
  public static KonsilConfig from(Map<String, String> env) {
    Settings s = new Settings(env);
    int httpPort = s.integer("KONSIL_HTTP_PORT", 8080, 0, 65535);
    Path dataDir = Path.of(s.text("KONSIL_DATA_DIR", "data")).toAbsolutePath().normalize();
    Optional<SmtpSettings> smtp =
        s.optional("KONSIL_SMTP_HOST")
            .map(
                host ->
                    new SmtpSettings(
                        host,
                        s.integer("KONSIL_SMTP_PORT", 587, 1, 65535),
                        s.oneOf("KONSIL_SMTP_SECURITY", "starttls", "starttls", "tls", "none"),
                        s.optional("KONSIL_SMTP_USERNAME"),
                        s.optional("KONSIL_SMTP_PASSWORD")));
    Optional<Path> cert = s.optional("KONSIL_TLS_CERT_FILE").map(Path::of);
    Optional<Path> key = s.optional("KONSIL_TLS_KEY_FILE").map(Path::of);
    if (cert.isPresent() != key.isPresent()) {
      throw new IllegalArgumentException(
          "KONSIL_TLS_CERT_FILE and KONSIL_TLS_KEY_FILE must be set together");
    }
    return new KonsilConfig(
        dataDir,
        s.optional("KONSIL_DATABASE_URL"),
        s.optional("KONSIL_DATABASE_MIGRATION_URL"),
        s.oneOf("KONSIL_ALLOW_UNSAFE_DURABILITY", "false", "false", "true").equals("true"),
        s.integer("KONSIL_EMBEDDED_DATABASE_PORT", 0, 0, 65535),
        s.integer("KONSIL_DATABASE_POOL_SIZE", 16, 1, 500),
        s.text("KONSIL_HTTP_HOST", "127.0.0.1"),
        httpPort,
        stripSlash(s.text("KONSIL_PUBLIC_URL", "http://localhost:" + httpPort)),
        cert,
        key,
        s.optional("KONSIL_JWT_SECRET"),
        s.optional("KONSIL_AUDIT_KEY"),
        Duration.ofSeconds(s.integer("KONSIL_AUDIT_ANCHOR_INTERVAL_SECONDS", 60, 1, 3600)),
        s.optional("KONSIL_AUDIT_ANCHOR_FILE")
            .map(file -> Path.of(file).toAbsolutePath().normalize())
            .orElse(dataDir.resolve("audit-anchors")),
        Duration.ofSeconds(s.integer("KONSIL_ACCESS_TOKEN_TTL_SECONDS", 300, 10, 3600)),
        Duration.ofHours(s.integer("KONSIL_SESSION_TTL_HOURS", 12, 1, 24 * 90)),
        Duration.ofHours(s.integer("KONSIL_PASSWORD_LINK_TTL_HOURS", 72, 1, 24 * 30)),
        Duration.ofSeconds(s.integer("KONSIL_WS_TICKET_TTL_SECONDS", 30, 5, 600)),
        s.integer("KONSIL_LOGIN_MAX_FAILURES", 5, 1, 100),
        Duration.ofMinutes(s.integer("KONSIL_LOGIN_LOCK_MINUTES", 15, 1, 24 * 60)),
        Duration.ofMillis(s.integer("KONSIL_LOGIN_DELAY_STEP_MS", 500, 0, 10_000)),
        s.integer("KONSIL_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, 1, 10_000),
        Duration.ofMinutes(s.integer("KONSIL_LOGIN_ADDRESS_WINDOW_MINUTES", 15, 1, 24 * 60)),
        s.integer("KONSIL_ARGON2_MEMORY_KIB", 19_456, 1024, 1_048_576),
        s.integer("KONSIL_ARGON2_ITERATIONS", 2, 1, 20),
        smtp,
        s.text("KONSIL_MAIL_FROM", "Konsil <konsil@localhost>"),
        s.integer("KONSIL_HTTP_MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
        s.integer("KONSIL_ATTACHMENT_MAX_MB", 50, 1, 2000) * 1_048_576L,
        s.integer("KONSIL_WS_MAX_FRAME_BYTES", 65_536, 1024, 1_048_576),
        s.integer("KONSIL_WS_MAX_QUEUED_BYTES", 1_048_576, 4096, 64 * 1_048_576),
        Duration.ofSeconds(s.integer("KONSIL_WS_AUTH_TIMEOUT_SECONDS", 10, 1, 300)),
        Duration.ofSeconds(s.integer("KONSIL_HTTP_IDLE_TIMEOUT_SECONDS", 60, 1, 3600)),
        Duration.ofSeconds(s.integer("KONSIL_WS_IDLE_TIMEOUT_SECONDS", 60, 3, 3600)),
        Duration.ofSeconds(s.integer("KONSIL_SHUTDOWN_GRACE_SECONDS", 10, 0, 300)),
        s.integer(
            "KONSIL_EVENT_LOOPS", Math.max(1, Runtime.getRuntime().availableProcessors()), 1, 256),
        fax(s),
        Duration.ofDays(s.integer("KONSIL_INVITATION_TTL_DAYS", 14, 1, 365)),
        Duration.ofHours(s.integer("KONSIL_OUTBOX_GIVE_UP_HOURS", 72, 1, 24 * 30)),
        Duration.ofSeconds(s.integer("KONSIL_NOTIFY_DELAY_SECONDS", 60, 0, 24 * 3600)),
        Duration.ofMinutes(s.integer("KONSIL_NOTIFY_INTERVAL_MINUTES", 30, 1, 7 * 24 * 60)),
        s.integer("KONSIL_CAMPAIGN_RATE_PER_SECOND", 20, 1, 1000),
        cluster(s),
        s.text("KONSIL_BENCH_WITHOUT_DATABASE", "false").equals("true"),
        new KeyDirectorySettings(
            s.integer("KONSIL_MAX_DEVICES", 5, 1, 100),
            s.integer("KONSIL_PREKEY_LOW_THRESHOLD", 10, 0, 100),
            s.integer("KONSIL_PREKEY_FETCH_LIMIT", 60, 1, 100_000),
            Duration.ofSeconds(s.integer("KONSIL_PREKEY_FETCH_WINDOW_SECONDS", 60, 1, 24 * 3600))),
        sms(s));
  }

  private static SmsSettings sms(Settings s) {
    SmsSettings sms =
        new SmsSettings(
            s.oneOf("KONSIL_SMS_TRANSPORT", "spool", "spool", "http"),
            s.optional("KONSIL_SMS_HTTP_URL"),
            s.optional("KONSIL_SMS_HTTP_TOKEN"));
    if (sms.transport().equals("http") && (sms.httpUrl().isEmpty() || sms.httpToken().isEmpty())) {
      throw new IllegalArgumentException(
          "KONSIL_SMS_TRANSPORT=http needs KONSIL_SMS_HTTP_URL and KONSIL_SMS_HTTP_TOKEN");
    }
    if (sms.httpUrl().isPresent() && !sms.httpUrl().get().matches("https?://\\S+")) {
      throw new IllegalArgumentException("KONSIL_SMS_HTTP_URL must be an http(s) URL");
    }
    return sms;
  }

  private static Optional<ClusterSettings> cluster(Settings s) {
    if (s.oneOf("KONSIL_CLUSTER", "off", "off", "hazelcast").equals("off")) {
      return Optional.empty();
    }
    if (s.optional("KONSIL_DATABASE_URL").isEmpty()) {
      throw new IllegalArgumentException(
          "KONSIL_CLUSTER=hazelcast needs KONSIL_DATABASE_URL: the nodes share one PostgreSQL");
    }
    String host = s.text("KONSIL_CLUSTER_HOST", "127.0.0.1");
    int port = s.integer("KONSIL_CLUSTER_PORT", 5701, 1, 65535);
    java.util.List<String> members =
        java.util.Arrays.stream(s.text("KONSIL_CLUSTER_MEMBERS", host + ":" + port).split(","))
            .map(String::trim)
            .filter(member -> !member.isEmpty())
            .toList();
    for (String member : members) {
      if (!member.matches("[A-Za-z0-9.\\-]+(:\\d{1,5})?")) {
        throw new IllegalArgumentException(
            "KONSIL_CLUSTER_MEMBERS must list host or host:port, separated by commas, not "
                + member);
      }
    }
    Path keyStore =
        Path.of(
                s.optional("KONSIL_CLUSTER_KEYSTORE")
                    .orElseThrow(
                        () ->
                            new IllegalArgumentException(
                                "KONSIL_CLUSTER=hazelcast needs KONSIL_CLUSTER_KEYSTORE: a PKCS#12"
                                    + " file with this node's key and certificate")))
            .toAbsolutePath();
    String keyStorePassword =
        s.optional("KONSIL_CLUSTER_KEYSTORE_PASSWORD")
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "KONSIL_CLUSTER=hazelcast needs KONSIL_CLUSTER_KEYSTORE_PASSWORD"));
    String secret =
        s.optional("KONSIL_CLUSTER_SECRET")
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "KONSIL_CLUSTER=hazelcast needs KONSIL_CLUSTER_SECRET, the same on every"
                            + " node"));
    if (secret.length() < 32) {
      throw new IllegalArgumentException("KONSIL_CLUSTER_SECRET must have at least 32 characters");
    }
    return Optional.of(
        new ClusterSettings(
            host,
            port,
            members,
            s.integer("KONSIL_CLUSTER_BUS_PORT", 0, 0, 65535),
            keyStore,
            keyStorePassword,
            s.optional("KONSIL_CLUSTER_TRUSTSTORE")
                .map(file -> Path.of(file).toAbsolutePath())
                .orElse(keyStore),
            secret));
  }

  private static FaxSettings fax(Settings s) {
    String transport = s.oneOf("KONSIL_FAX_TRANSPORT", "spool", "spool", "http", "smtp");
    FaxSettings fax =
        new FaxSettings(
            transport,
            s.optional("KONSIL_FAX_HTTP_URL"),
            s.optional("KONSIL_FAX_HTTP_TOKEN"),
            s.optional("KONSIL_FAX_CALLBACK_SECRET"),
            s.optional("KONSIL_FAX_SMTP_DOMAIN"));
    if (transport.equals("http") && (fax.httpUrl().isEmpty() || fax.httpToken().isEmpty())) {
      throw new IllegalArgumentException(
          "KONSIL_FAX_TRANSPORT=http needs KONSIL_FAX_HTTP_URL and KONSIL_FAX_HTTP_TOKEN");
    }
    if (transport.equals("smtp") && fax.smtpDomain().isEmpty()) {
      throw new IllegalArgumentException("KONSIL_FAX_TRANSPORT=smtp needs KONSIL_FAX_SMTP_DOMAIN");
    }
    return fax;
  }

  /**
   * How often the server pings each WebSocket: often enough that a live client's pongs arrive well
   * within both idle timeouts.
   */
  public Duration wsPingInterval() {
    return (httpIdleTimeout.compareTo(wsIdleTimeout) < 0 ? httpIdleTimeout : wsIdleTimeout)
        .dividedBy(3);
  }

  public Path postgresDir() {
    return dataDir.resolve("postgres");
  }

  public Path smsSpoolDir() {
    return dataDir.resolve("sms");
  }

  public Path faxSpoolDir() {
    return dataDir.resolve("fax");
  }

  /** Where the audit key is made and kept when KONSIL_AUDIT_KEY is not set. */
  public Path auditKeyFile() {
    return dataDir.resolve("audit-key");
  }

  public Path mailSpoolDir() {
    return dataDir.resolve("mail");
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** Typed access to the variables with the name of the culprit in every error. */
  private record Settings(Map<String, String> env) {

    Optional<String> optional(String name) {
      String value = env.get(name);
      return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    String text(String name, String fallback) {
      return optional(name).orElse(fallback);
    }

    int integer(String name, int fallback, int min, int max) {
      Optional<String> value = optional(name);
      if (value.isEmpty()) {
        return fallback;
      }
      try {
        int parsed = Integer.parseInt(value.get());
        if (parsed < min || parsed > max) {
          throw new IllegalArgumentException(
              name + " must be between " + min + " and " + max + ", not " + parsed);
        }
        return parsed;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be a whole number", e);
      }
    }

    String oneOf(String name, String fallback, String... allowed) {
      String value = text(name, fallback);
      for (String candidate : allowed) {
        if (candidate.equals(value)) {
          return value;
        }
      }
      throw new IllegalArgumentException(
          name + " must be one of " + String.join(", ", allowed) + ", not " + value);
    }
  }
}
