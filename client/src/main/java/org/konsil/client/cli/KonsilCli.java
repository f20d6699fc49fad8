package org.konsil.client.cli;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.konsil.client.ClientOptions;
import org.konsil.client.KonsilClient;
import org.konsil.client.e2e.DeviceAddress;
import org.konsil.client.e2e.SafetyNumber;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.event.SessionEnded;
import org.konsil.client.event.ThisDeviceRemoved;
import org.konsil.client.event.UndecryptableMessage;
import org.konsil.client.http.KonsilApiException;
import org.konsil.client.live.Ack;
import org.konsil.client.live.RoomPositions;
import org.konsil.client.live.SendRefusedException;
import org.konsil.client.recovery.Recovery;
import org.konsil.client.recovery.RecoverySheet;
import org.konsil.client.store.LocalStoreException;
import org.konsil.client.store.ProtocolStore;
import org.konsil.client.store.RecoveryBackup;
import org.konsil.client.store.RecoveryCode;
import org.konsil.client.store.StoreSettings;

/**
 * A small command line on the client library, and the example of how a program embeds it:
 *
 * <pre>
 * java -cp konsil-client.jar:... org.konsil.client.cli.KonsilCli [options] command [arguments]
 *   send ROOM TEXT                 send a message (encrypted if the room is)
 *   listen                         print incoming messages until interrupted
 *   devices                        list the user's devices
 *   safety-number USER DEVICE      the safety number with a partner's device
 *   backup                         make a recovery code and backup, write the recovery sheet
 *   restore                        restore a backup with the code (from stdin or KONSIL_RECOVERY_CODE)
 * </pre>
 *
 * Options (or environment): {@code --server} ({@code KONSIL_SERVER}), {@code --email} ({@code
 * KONSIL_EMAIL}), {@code --keys} folder of the key store ({@code KONSIL_KEYS}, default {@code
 * ~/.konsil/keys-<email>}), {@code --device-name}, {@code --sheet} (the PDF of {@code backup}). The
 * password comes from {@code KONSIL_PASSWORD} or the first line of stdin, a second-factor code from
 * {@code KONSIL_TOTP} or the next line of stdin.
 */
public final class KonsilCli {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  private static final String USAGE_TEXT =
      """
      usage: konsil [--server URL] [--email E-MAIL] [--keys DIR] [--device-name NAME]
                    [--sheet FILE] COMMAND [ARGUMENTS]
        send ROOM TEXT              send a message (end-to-end encrypted if the room is)
        listen                      print incoming messages until interrupted
        devices                     list your devices (* marks this one)
        safety-number USER DEVICE   the safety number with a partner's device
        backup                      new recovery code and backup; writes the recovery sheet (PDF)
        restore                     restore the backup on this computer with the recovery code
      environment: KONSIL_SERVER, KONSIL_EMAIL, KONSIL_KEYS, KONSIL_PASSWORD (else read from
      stdin), KONSIL_TOTP (else read from stdin when asked), KONSIL_RECOVERY_CODE (restore)
      """;

  private final Map<String, String> env;
  private final BufferedReader in;
  private final PrintStream out;
  private final PrintStream err;
  private final CountDownLatch stop;

  /**
   * A command line reading the environment, stdin and writing to out and err; {@code stop} ends
   * {@code listen}.
   */
  public KonsilCli(
      Map<String, String> env,
      InputStream in,
      PrintStream out,
      PrintStream err,
      CountDownLatch stop) {
    this.env = env;
    this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    this.out = out;
    this.err = err;
    this.stop = stop;
  }

  public static void main(String[] args) {
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
    int status = new KonsilCli(System.getenv(), System.in, System.out, System.err, stop).run(args);
    System.exit(status);
  }

  /** Runs one command; answers the exit status (0 done, 1 failed, 2 wrong usage). */
  public int run(String[] args) {
    Map<String, String> options = new HashMap<>();
    List<String> words = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--") && i + 1 < args.length) {
        options.put(args[i].substring(2), args[++i]);
      } else {
        words.add(args[i]);
      }
    }
    String server = option(options, "server", "KONSIL_SERVER");
    String email = option(options, "email", "KONSIL_EMAIL");
    if (words.isEmpty() || server == null || email == null) {
      err.print(USAGE_TEXT);
      return USAGE;
    }
    String command = words.get(0);
    List<String> arguments = words.subList(1, words.size());
    if (!validArguments(command, arguments)) {
      err.print(USAGE_TEXT);
      return USAGE;
    }
    String keys = option(options, "keys", "KONSIL_KEYS");
    Path keyStore =
        keys != null
            ? Path.of(keys)
            : Path.of(System.getProperty("user.home"), ".konsil", "keys-" + email);
    // where listen stopped, kept beside the keys: the next listen prints what came meanwhile
    RoomPositions positions = RoomPositions.in(keyStore);
    ClientOptions clientOptions =
        new ClientOptions().setServer(server).setKeyStore(keyStore).setCursors(positions);
    if (options.containsKey("store-memory-kib")) {
      // lower Argon2id cost, for tests and very small machines only
      clientOptions.setStoreSettings(
          new StoreSettings(Integer.parseInt(options.get("store-memory-kib")), 1, 1));
    }
    String deviceName = options.getOrDefault("device-name", "Kommandozeile");
    Vertx vertx = Vertx.vertx();
    KonsilClient client = KonsilClient.create(vertx, clientOptions);
    try {
      char[] password = password();
      await(client.login(email, new String(password), () -> secondFactor(vertx)));
      try {
        return switch (command) {
          case "send" -> send(client, password, deviceName, arguments);
          case "listen" -> listen(client, password, deviceName, positions);
          case "devices" -> devices(client, password, keyStore);
          case "safety-number" -> safetyNumber(client, password, deviceName, arguments);
          case "backup" -> backup(client, password, server, options.get("sheet"));
          case "restore" -> restore(client, password, deviceName);
          default -> throw new IllegalStateException("unreachable");
        };
      } finally {
        await(client.close());
        await(client.logout());
        positions.close();
      }
    } catch (CliFailure failure) {
      err.println("error: " + failure.getMessage());
      return FAILED;
    } finally {
      vertx.close();
    }
  }

  private static boolean validArguments(String command, List<String> arguments) {
    return switch (command) {
      case "send", "safety-number" -> arguments.size() == 2;
      case "listen", "devices", "backup", "restore" -> arguments.isEmpty();
      default -> false;
    };
  }

  // ---- commands ----

  private int send(KonsilClient client, char[] password, String deviceName, List<String> args) {
    UUID room = uuid(args.get(0), "room");
    JsonObject view = await(client.getObject("/api/v1/rooms/" + room));
    Ack ack;
    if (view.getBoolean("encrypted", false)) {
      openDevice(client, password, deviceName);
      await(client.connect());
      ack = await(client.encryptedRooms().send(room, args.get(1)));
    } else {
      await(client.connect());
      ack = await(client.send(room, args.get(1)));
    }
    out.println("sent: room " + ack.room() + " seq " + ack.seq());
    return OK;
  }

  private int listen(
      KonsilClient client, char[] password, String deviceName, RoomPositions positions) {
    // printed first, then the position moves
    client.onEvent(this::print).onEvent(positions);
    openDevice(client, password, deviceName);
    await(client.connect());
    out.println("listening as device " + client.devices().deviceId() + " (stop with Ctrl-C)");
    out.flush();
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return OK;
  }

  private void print(ClientEvent event) {
    if (event instanceof EncryptedMessage message) {
      String text = message.text() == null ? "" : message.text();
      if (message.file() != null) {
        text += " [file " + message.file().fileName() + ", " + message.file().size() + " bytes]";
      }
      out.println(
          "["
              + message.room()
              + "] #"
              + message.seq()
              + " "
              + message.senderName()
              + " (encrypted): "
              + text);
    } else if (event instanceof RoomMessage message && !"encrypted".equals(message.kind())) {
      String text = message.masked() ? "(masked)" : message.content();
      String sender = message.senderName() == null ? "Konsil" : message.senderName();
      out.println("[" + message.room() + "] #" + message.seq() + " " + sender + ": " + text);
    } else if (event instanceof UndecryptableMessage refused) {
      out.println(
          "[" + refused.room() + "] #" + refused.seq() + " cannot be read: " + refused.reason());
    } else if (event instanceof SessionEnded || event instanceof ThisDeviceRemoved) {
      out.println("stopped: " + event);
      stop.countDown();
    }
    out.flush();
  }

  private int devices(KonsilClient client, char[] password, Path keyStore) {
    int self = 0;
    if (ProtocolStore.exists(keyStore)) {
      await(client.openKeyStore(password));
      self = client.devices().deviceId();
    }
    JsonArray devices = await(client.getArray("/api/v1/devices"));
    for (int i = 0; i < devices.size(); i++) {
      JsonObject device = devices.getJsonObject(i);
      int id = device.getInteger("deviceId");
      out.println(
          (id == self ? "* " : "  ")
              + id
              + "\t"
              + java.util.Objects.toString(device.getValue("name"), "")
              + "\tsince "
              + device.getString("createdAt")
              + "\tprekeys "
              + device.getLong("preKeys")
              + "/"
              + device.getLong("pqPreKeys"));
    }
    if (devices.isEmpty()) {
      out.println("no devices");
    }
    return OK;
  }

  private int safetyNumber(
      KonsilClient client, char[] password, String deviceName, List<String> args) {
    UUID user = uuid(args.get(0), "user");
    int deviceId;
    try {
      deviceId = Integer.parseInt(args.get(1));
    } catch (NumberFormatException e) {
      throw new CliFailure("the device is a number");
    }
    openDevice(client, password, deviceName);
    DeviceAddress partner = new DeviceAddress(user, deviceId);
    if (!await(client.sessions().hasSession(partner))) {
      List<DeviceAddress> devices = await(client.sessions().refreshDevices(user));
      if (!devices.contains(partner)) {
        throw new CliFailure("user " + user + " has no device " + deviceId);
      }
    }
    SafetyNumber number = await(client.sessions().safetyNumber(partner));
    out.println("safety number with " + user + " device " + deviceId + ":");
    out.println(number.grouped());
    return OK;
  }

  private int backup(KonsilClient client, char[] password, String server, String sheet) {
    await(client.openKeyStore(password));
    RecoveryCode code = await(client.recovery().createBackup());
    Path pdf =
        Path.of(sheet != null ? sheet : "konsil-recovery-" + LocalDate.now() + ".pdf")
            .toAbsolutePath();
    try {
      Files.write(pdf, RecoverySheet.pdf(code, client.account().email(), server, LocalDate.now()));
    } catch (IOException e) {
      throw new CliFailure("the recovery sheet could not be written to " + pdf + ": " + e);
    }
    out.println("recovery code: " + code.grouped());
    out.println("recovery sheet: " + pdf);
    out.println(Recovery.passwordResetConsequence());
    return OK;
  }

  private int restore(KonsilClient client, char[] password, String deviceName) {
    String typed = env.get("KONSIL_RECOVERY_CODE");
    if (typed == null) {
      err.println("recovery code:");
      typed = line();
    }
    RecoveryCode code;
    try {
      code = RecoveryCode.parse(typed == null ? "" : typed);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(e.getMessage());
    }
    await(client.openKeyStore(password));
    RecoveryBackup.Restored restored = await(client.recovery().restore(code));
    int device = await(client.devices().register(deviceName));
    out.println(
        "restored "
            + restored.messages()
            + " messages of "
            + restored.rooms()
            + " rooms from device "
            + restored.previousDeviceId()
            + "; this computer is device "
            + device);
    return OK;
  }

  // ---- helpers ----

  private void openDevice(KonsilClient client, char[] password, String deviceName) {
    await(client.openKeyStore(password));
    await(client.devices().register(deviceName));
  }

  private char[] password() {
    String fromEnv = env.get("KONSIL_PASSWORD");
    if (fromEnv != null) {
      return fromEnv.toCharArray();
    }
    Console console = System.console();
    if (console != null) {
      char[] typed = console.readPassword("password: ");
      if (typed != null) {
        return typed;
      }
    }
    String line = line();
    if (line == null) {
      throw new CliFailure("no password (set KONSIL_PASSWORD or give it on stdin)");
    }
    return line.toCharArray();
  }

  /** Asks for the code off the event loop (reading stdin blocks). */
  private Future<String> secondFactor(Vertx vertx) {
    String fromEnv = env.get("KONSIL_TOTP");
    if (fromEnv != null) {
      return Future.succeededFuture(fromEnv.trim());
    }
    return vertx.executeBlocking(
        () -> {
          err.println("code from your authenticator app:");
          String code = line();
          if (code == null) {
            throw new CliFailure("the server asks for a second-factor code");
          }
          return code.trim();
        },
        false);
  }

  private String line() {
    try {
      return in.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String option(Map<String, String> options, String name, String variable) {
    String value = options.get(name);
    return value != null ? value : env.get(variable);
  }

  private static UUID uuid(String raw, String what) {
    try {
      return UUID.fromString(raw);
    } catch (IllegalArgumentException e) {
      throw new CliFailure("the " + what + " is an id like 3f2b…-… (a UUID)");
    }
  }

  /** Waits for a future and turns its failure into a message for the user. */
  private static <T> T await(Future<T> future) {
    try {
      return future.await(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      Throwable cause = e;
      while (cause.getCause() != null
          && !(cause instanceof KonsilApiException)
          && !(cause instanceof SendRefusedException)
          && !(cause instanceof LocalStoreException)
          && !(cause instanceof CliFailure)) {
        cause = cause.getCause();
      }
      if (cause instanceof CliFailure failure) {
        throw failure;
      }
      if (cause instanceof KonsilApiException api) {
        throw new CliFailure(api.code() + ": " + api.getMessage());
      }
      if (cause instanceof SendRefusedException refused) {
        throw new CliFailure(refused.code() + ": " + refused.getMessage());
      }
      throw new CliFailure(cause.getMessage() == null ? cause.toString() : cause.getMessage());
    }
  }

  /** A failure shown to the user as one line. */
  static final class CliFailure extends RuntimeException {
    CliFailure(String message) {
      super(message);
    }
  }
}
