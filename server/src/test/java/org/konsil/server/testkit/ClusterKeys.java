package org.konsil.server.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Key stores for cluster tests, made with the JDK's keytool as an operator would make them: one
 * PKCS#12 file with a key pair and its self-signed certificate, shared by the nodes of a cluster.
 */
public final class ClusterKeys {

  public static final String PASSWORD = "cluster store password";
  public static final String SECRET = "the cluster secret shared by every test node";

  private ClusterKeys() {}

  /** A new key store with its own key pair: nodes with different stores do not trust each other. */
  public static Path keyStore() {
    try {
      Path file = Scratch.folder("konsil-cluster-keys").resolve("cluster.p12");
      Process keytool =
          new ProcessBuilder(
                  List.of(
                      Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                      "-genkeypair",
                      "-alias",
                      "konsil-cluster",
                      "-keyalg",
                      "EC",
                      "-groupname",
                      "secp256r1",
                      "-dname",
                      "CN=konsil-cluster",
                      "-validity",
                      "30",
                      "-storetype",
                      "PKCS12",
                      "-keystore",
                      file.toString(),
                      "-storepass",
                      PASSWORD,
                      "-keypass",
                      PASSWORD))
              .redirectErrorStream(true)
              .start();
      String output = new String(keytool.getInputStream().readAllBytes());
      if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + output);
      }
      return file;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
