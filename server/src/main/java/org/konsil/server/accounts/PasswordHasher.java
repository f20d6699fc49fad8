package org.konsil.server.accounts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes in the PHC string format ({@code
 * $argon2id$v=19$m=..,t=..,p=1$salt$hash}). Hashing is deliberately slow: call it off the event
 * loop.
 */
public final class PasswordHasher {

  private static final int HASH_LENGTH = 32;
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  private final int memoryKib;
  private final int iterations;

  public PasswordHasher(int memoryKib, int iterations) {
    this.memoryKib = memoryKib;
    this.iterations = iterations;
  }

  public String hash(String password) {
    byte[] salt = Secrets.randomBytes(16);
    byte[] hash = derive(password, salt, memoryKib, iterations, 1);
    return "$argon2id$v=19$m="
        + memoryKib
        + ",t="
        + iterations
        + ",p=1$"
        + B64.encodeToString(salt)
        + "$"
        + B64.encodeToString(hash);
  }

  /** Checks a password against a stored PHC string; a malformed string never matches. */
  public boolean verify(String password, String stored) {
    if (stored == null) {
      return false;
    }
    String[] parts = stored.split("\\$");
    if (parts.length != 6 || !"argon2id".equals(parts[1]) || !"v=19".equals(parts[2])) {
      return false;
    }
    int memory = 0;
    int time = 0;
    int parallelism = 0;
    for (String parameter : parts[3].split(",")) {
      String[] pair = parameter.split("=");
      if (pair.length != 2) {
        return false;
      }
      int value = Integer.parseInt(pair[1]);
      switch (pair[0]) {
        case "m" -> memory = value;
        case "t" -> time = value;
        case "p" -> parallelism = value;
        default -> {
          return false;
        }
      }
    }
    byte[] salt = B64D.decode(parts[4]);
    byte[] expected = B64D.decode(parts[5]);
    byte[] actual = derive(password, salt, memory, time, parallelism);
    return MessageDigest.isEqual(expected, actual);
  }

  /** Spends the same effort as a real check, so that unknown accounts answer as slowly. */
  public void burnTime(String password) {
    derive(password, new byte[16], memoryKib, iterations, 1);
  }

  private static byte[] derive(
      String password, byte[] salt, int memory, int time, int parallelism) {
    Argon2Parameters parameters =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withSalt(salt)
            .withMemoryAsKB(memory)
            .withIterations(time)
            .withParallelism(parallelism)
            .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(parameters);
    byte[] hash = new byte[HASH_LENGTH];
    generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), hash);
    return hash;
  }
}
