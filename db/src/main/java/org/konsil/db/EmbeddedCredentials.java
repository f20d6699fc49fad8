package org.konsil.db;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Properties;

/**
 * The generated passwords of the embedded PostgreSQL's three roles (superuser, schema owner,
 * application) and the name of Konsil's database, kept in one file that only the owner can read
 * (0600). Whoever can read this file can read the database, like whoever can read the data folder.
 */
record EmbeddedCredentials(
    String database, String superuserPassword, String ownerPassword, String appPassword) {

  static final String FILE_NAME = "credentials";

  /** Whether the folder holds credentials already. */
  static boolean exist(Path folder) {
    return Files.isRegularFile(folder.resolve(FILE_NAME));
  }

  static EmbeddedCredentials read(Path folder) {
    Path file = folder.resolve(FILE_NAME);
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return new EmbeddedCredentials(
        p.getProperty("database"),
        p.getProperty("superuser.password"),
        p.getProperty("owner.password"),
        p.getProperty("app.password"));
  }

  /** New random passwords for the given database, written to the folder with 0600. */
  static EmbeddedCredentials create(Path folder, String database) {
    EmbeddedCredentials created =
        new EmbeddedCredentials(database, randomPassword(), randomPassword(), randomPassword());
    Properties p = new Properties();
    p.setProperty("database", database);
    p.setProperty("superuser.password", created.superuserPassword());
    p.setProperty("owner.password", created.ownerPassword());
    p.setProperty("app.password", created.appPassword());
    StringWriter text = new StringWriter();
    Path file = folder.resolve(FILE_NAME);
    try {
      p.store(text, "Passwords of Konsil's embedded PostgreSQL; keep this file private");
      Path partial =
          Files.createTempFile(
              folder,
              FILE_NAME,
              ".partial",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(partial, text.toString());
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return created;
  }

  private static String randomPassword() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public String toString() {
    return "EmbeddedCredentials[" + database + "]";
  }
}
