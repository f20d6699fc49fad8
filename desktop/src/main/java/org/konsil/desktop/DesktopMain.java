package org.konsil.desktop;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.awt.Desktop;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.konsil.client.ClientOptions;
import org.konsil.client.KonsilClient;
import org.konsil.client.event.SessionEnded;
import org.konsil.client.event.ThisDeviceRemoved;
import org.konsil.client.live.RoomPositions;

/**
 * {@code java -jar konsil-desktop.jar --server https://konsil.example.org}: logs in (password and
 * second factor asked in this window), opens this computer's key store with the password, registers
 * the computer as a device the first time, and serves Konsil's web UI on 127.0.0.1. The page opens
 * in the default browser with a one-time login link; Enter in this window makes a new link.
 *
 * <p>Options (or environment): {@code --server} ({@code KONSIL_SERVER}), {@code --email} ({@code
 * KONSIL_EMAIL}, else asked), {@code --keys} ({@code KONSIL_KEYS}, default {@code
 * ~/.konsil/keys-<email>}), {@code --device-name} (default "Konsil Desktop"), {@code --port} (0,
 * any free port), {@code --no-browser} (print the link only). The password comes from {@code
 * KONSIL_PASSWORD} or is asked, a second-factor code from {@code KONSIL_TOTP} or is asked.
 */
public final class DesktopMain {

  private static final String USAGE =
      """
      usage: java -jar konsil-desktop.jar --server URL [--email E-MAIL] [--keys DIR]
                                          [--device-name NAME] [--port N] [--no-browser]
      environment: KONSIL_SERVER, KONSIL_EMAIL, KONSIL_KEYS, KONSIL_PASSWORD (else asked),
                   KONSIL_TOTP (else asked when the server wants a second factor)
      """;

  private DesktopMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    boolean openBrowser = true;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--no-browser")) {
        openBrowser = false;
      } else if (args[i].startsWith("--") && i + 1 < args.length) {
        options.put(args[i].substring(2), args[++i]);
      } else {
        System.err.print(USAGE);
        System.exit(2);
      }
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = System.out;
    String server = option(options, "server", "KONSIL_SERVER");
    if (server == null) {
      System.err.print(USAGE);
      System.exit(2);
    }
    String email = option(options, "email", "KONSIL_EMAIL");
    if (email == null) {
      out.print("E-Mail: ");
      out.flush();
      email = in.readLine();
    }
    String keys = option(options, "keys", "KONSIL_KEYS");
    Path keyStore =
        keys != null
            ? Path.of(keys)
            : Path.of(System.getProperty("user.home"), ".konsil", "keys-" + email);
    int port = Integer.parseInt(options.getOrDefault("port", "0"));
    String deviceName = options.getOrDefault("device-name", "Konsil Desktop");

    Vertx vertx = Vertx.vertx();
    CountDownLatch stopped = new CountDownLatch(1);
    RoomPositions positions = RoomPositions.in(keyStore);
    KonsilClient client =
        KonsilClient.create(
                vertx,
                new ClientOptions().setServer(server).setKeyStore(keyStore).setCursors(positions))
            .onEvent(positions);
    client.onEvent(
        event -> {
          if (event instanceof SessionEnded || event instanceof ThisDeviceRemoved) {
            out.println("Konsil Desktop stops: " + event);
            stopped.countDown();
          }
        });
    char[] password = password(in, out);
    Companion companion;
    try {
      final String address = email;
      companion =
          await(
              client
                  .login(address, new String(password), () -> secondFactor(vertx, in, out))
                  .compose(account -> client.openKeyStore(password))
                  .compose(v -> client.devices().register(deviceName))
                  .compose(v -> client.connect())
                  .compose(v -> Companion.start(vertx, client, port)));
    } catch (Exception e) {
      System.err.println("error: " + e.getMessage());
      vertx.close();
      System.exit(1);
      return;
    }
    java.util.Arrays.fill(password, '\0');
    Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
    out.println("Konsil Desktop serves Konsil on http://127.0.0.1:" + companion.port());
    final boolean browse = openBrowser;
    final Companion serving = companion;
    show(serving.newLoginLink(), browse, out);

    Thread links =
        new Thread(
            () -> {
              try {
                while (in.readLine() != null) {
                  show(serving.newLoginLink(), browse, out);
                }
              } catch (IOException e) {
                // no console: the first link is all there is
              }
            },
            "konsil-desktop-links");
    links.setDaemon(true);
    links.start();
    stopped.await();
    try {
      await(companion.stop().compose(v -> client.close()));
      positions.close();
    } finally {
      vertx.close();
    }
  }

  private static void show(String link, boolean openBrowser, PrintStream out) {
    out.println("Open Konsil (this link works once, for ten minutes; Enter makes a new one):");
    out.println("  " + link);
    out.flush();
    if (openBrowser
        && Desktop.isDesktopSupported()
        && Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
      try {
        Desktop.getDesktop().browse(URI.create(link));
      } catch (IOException | UnsupportedOperationException e) {
        out.println("(the browser could not be opened: copy the link into it)");
      }
    }
  }

  private static String option(Map<String, String> options, String name, String variable) {
    String value = options.get(name);
    return value != null ? value : System.getenv(variable);
  }

  private static char[] password(BufferedReader in, PrintStream out) throws IOException {
    String fromEnv = System.getenv("KONSIL_PASSWORD");
    if (fromEnv != null) {
      return fromEnv.toCharArray();
    }
    Console console = System.console();
    if (console != null) {
      char[] typed = console.readPassword("Passwort / password: ");
      if (typed != null) {
        return typed;
      }
    }
    out.print("Passwort / password: ");
    out.flush();
    String line = in.readLine();
    return line == null ? new char[0] : line.toCharArray();
  }

  /** Asks for the code off the event loop (reading the console blocks). */
  private static Future<String> secondFactor(Vertx vertx, BufferedReader in, PrintStream out) {
    String fromEnv = System.getenv("KONSIL_TOTP");
    if (fromEnv != null) {
      return Future.succeededFuture(fromEnv);
    }
    return vertx.executeBlocking(
        () -> {
          out.print("Code aus der Authenticator-App / authenticator code: ");
          out.flush();
          String line = in.readLine();
          return line == null ? "" : line.trim();
        },
        false);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
