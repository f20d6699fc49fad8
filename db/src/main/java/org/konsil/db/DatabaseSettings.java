package org.konsil.db;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Where the PostgreSQL database is and how to log in to it. */
public record DatabaseSettings(
    String host, int port, String database, String user, String password) {

  public DatabaseSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(user, "user");
    password = password == null ? "" : password;
  }

  /**
   * Parses {@code postgresql://user:password@host:port/database} (the {@code jdbc:} prefix and the
   * {@code postgres://} scheme are accepted too).
   */
  public static DatabaseSettings fromUrl(String url) {
    String trimmed = url.trim();
    if (trimmed.startsWith("jdbc:")) {
      trimmed = trimmed.substring("jdbc:".length());
    }
    URI uri = URI.create(trimmed);
    if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
      throw new IllegalArgumentException("database URL must start with postgresql://");
    }
    String user = "postgres";
    String password = "";
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
    }
    String path = uri.getPath();
    String database = path == null || path.length() <= 1 ? "postgres" : path.substring(1);
    String host = uri.getHost() == null ? "localhost" : uri.getHost();
    int port = uri.getPort() < 0 ? 5432 : uri.getPort();
    return new DatabaseSettings(host, port, database, user, password);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  public DatabaseSettings withDatabase(String otherDatabase) {
    return new DatabaseSettings(host, port, otherDatabase, user, password);
  }

  @Override
  public String toString() {
    // Never print the password.
    return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
