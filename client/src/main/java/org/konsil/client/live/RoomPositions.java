package org.konsil.client.live;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.event.EncryptedMessage;
import org.konsil.client.event.RoomMessage;
import org.konsil.client.event.UndecryptableMessage;

/**
 * Where the companion's device stands in each room, kept beside the key store ({@code
 * positions.json}, 0600), so that after a restart the device asks for what came while the program
 * was off and decrypts it, instead of starting at the room's newest message. A position moves when
 * the message's event is out, that is after an encrypted message was decrypted and kept: a crash in
 * between asks for that message again.
 */
public final class RoomPositions implements RoomCursors, Consumer<ClientEvent> {

  static final String FILE = "positions.json";

  private static final System.Logger LOG = System.getLogger(RoomPositions.class.getName());

  private final Path file;
  private final Map<UUID, Long> kept = new ConcurrentHashMap<>();

  /** Writes the file off the client's event loop, one write at a time, the newest positions. */
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread = new Thread(task, "konsil-room-positions");
            thread.setDaemon(true);
            return thread;
          });

  private final AtomicBoolean writeQueued = new AtomicBoolean();

  private RoomPositions(Path file) {
    this.file = file;
  }

  /** The positions kept in the key store's folder (none yet on a first start). */
  public static RoomPositions in(Path keyStore) {
    RoomPositions positions = new RoomPositions(keyStore.resolve(FILE));
    if (Files.exists(positions.file)) {
      try {
        JsonObject saved = new JsonObject(Files.readString(positions.file));
        for (String room : saved.fieldNames()) {
          positions.kept.put(UUID.fromString(room), saved.getLong(room));
        }
      } catch (IOException | RuntimeException e) {
        // unreadable: start as a new device would, at each room's newest message
        positions.kept.clear();
      }
    }
    return positions;
  }

  @Override
  public OptionalLong lastDelivered(UUID room) {
    Long seq = kept.get(room);
    return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
  }

  @Override
  public void delivered(UUID room, long seq) {
    // handed to the client's pipeline, not yet decrypted and kept: moved by the event (accept)
  }

  /** The client's events: a message that is out (decrypted and kept, or plain) moves its room. */
  @Override
  public void accept(ClientEvent event) {
    if (event instanceof EncryptedMessage message) {
      move(message.room(), message.seq());
    } else if (event instanceof UndecryptableMessage refused) {
      move(refused.room(), refused.seq());
    } else if (event instanceof RoomMessage plain) {
      move(plain.room(), plain.seq());
    }
  }

  /**
   * Waits for the last write of the file (call it when the client is closed, before the program
   * ends or a new client reads the positions).
   */
  public void close() {
    writer.shutdown();
    try {
      if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "the room positions were not written in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void move(UUID room, long seq) {
    Long before = kept.get(room);
    if (before != null && before >= seq) {
      return;
    }
    kept.merge(room, seq, Math::max);
    // one write queued at a time; it writes whatever is newest when it runs
    if (writeQueued.compareAndSet(false, true)) {
      try {
        writer.execute(this::write);
      } catch (RejectedExecutionException closed) {
        writeQueued.set(false);
      }
    }
  }

  private void write() {
    writeQueued.set(false);
    JsonObject saved = new JsonObject();
    kept.forEach((id, position) -> saved.put(id.toString(), position));
    try {
      Files.createDirectories(file.getParent());
      Path next = file.resolveSibling(FILE + ".next");
      Files.deleteIfExists(next);
      Files.createFile(
          next, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(next, saved.encode(), StandardCharsets.UTF_8);
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // the next start then asks again for what came since the last position written
      LOG.log(System.Logger.Level.WARNING, "the room positions could not be kept in " + file, e);
    }
  }
}
