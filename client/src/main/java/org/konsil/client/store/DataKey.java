package org.konsil.client.store;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The store's data key: 256 random bits that seal every file, kept in {@code key.json} wrapped
 * (AES-256-GCM) by a key derived from the user's password with Argon2id. A new password re-wraps
 * the data key and leaves the files as they are.
 */
final class DataKey {

  static final String FILE = "key.json";
  private static final String WRAPPED = "data-key";
  private static final int SALT_BYTES = 16;

  private DataKey() {}

  static SecretKey create(SealedFolder folder, char[] password, StoreSettings settings) {
    byte[] raw = new byte[32];
    Sealing.RANDOM.nextBytes(raw);
    SecretKey key = new SecretKeySpec(raw, "AES");
    wrap(folder, key, password, settings);
    Arrays.fill(raw, (byte) 0);
    return key;
  }

  static void wrap(SealedFolder folder, SecretKey key, char[] password, StoreSettings settings) {
    byte[] salt = new byte[SALT_BYTES];
    Sealing.RANDOM.nextBytes(salt);
    SecretKey wrapping = derive(password, salt, settings);
    JsonObject file =
        new JsonObject()
            .put("format", 1)
            .put("kdf", "argon2id")
            .put("memoryKib", settings.memoryKib())
            .put("iterations", settings.iterations())
            .put("parallelism", settings.parallelism())
            .put("salt", Base64.getEncoder().encodeToString(salt))
            .put(
                "wrappedKey",
                Base64.getEncoder()
                    .encodeToString(Sealing.seal(wrapping, WRAPPED, key.getEncoded())));
    folder.write(FILE, file.encodePrettily().getBytes(StandardCharsets.UTF_8));
  }

  /** The data key; {@link WrongPasswordException} when the password does not unwrap it. */
  static SecretKey unlock(SealedFolder folder, char[] password) {
    byte[] bytes = folder.read(FILE);
    if (bytes == null) {
      throw new LocalStoreException("There is no key store in " + folder.path());
    }
    StoreSettings settings;
    byte[] salt;
    byte[] wrapped;
    try {
      JsonObject file = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
      if (file.getInteger("format") != 1 || !"argon2id".equals(file.getString("kdf"))) {
        throw new IllegalArgumentException("unknown format");
      }
      settings =
          new StoreSettings(
              file.getInteger("memoryKib"),
              file.getInteger("iterations"),
              file.getInteger("parallelism"));
      salt = Base64.getDecoder().decode(file.getString("salt"));
      wrapped = Base64.getDecoder().decode(file.getString("wrappedKey"));
    } catch (RuntimeException e) {
      throw new LocalStoreException(
          "The key file " + folder.path().resolve(FILE) + " is damaged", e);
    }
    SecretKey wrapping = derive(password, salt, settings);
    try {
      byte[] raw = Sealing.open(wrapping, WRAPPED, wrapped);
      SecretKey key = new SecretKeySpec(raw, "AES");
      Arrays.fill(raw, (byte) 0);
      return key;
    } catch (AEADBadTagException e) {
      throw new WrongPasswordException(
          "The password does not open the key store in "
              + folder.path()
              + " (it is locked with the password that was current when it was made or last"
              + " changed)");
    }
  }

  static SecretKey derive(char[] password, byte[] salt, StoreSettings settings) {
    Argon2Parameters parameters =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(settings.memoryKib())
            .withIterations(settings.iterations())
            .withParallelism(settings.parallelism())
            .withSalt(salt)
            .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(parameters);
    byte[] raw = new byte[32];
    generator.generateBytes(password, raw);
    SecretKey key = new SecretKeySpec(raw, "AES");
    Arrays.fill(raw, (byte) 0);
    return key;
  }
}
