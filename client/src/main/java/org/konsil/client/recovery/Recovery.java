package org.konsil.client.recovery;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.function.Supplier;
import org.konsil.client.e2e.OnContext;
import org.konsil.client.http.KonsilHttp;
import org.konsil.client.store.ProtocolStore;
import org.konsil.client.store.RecoveryBackup;
import org.konsil.client.store.RecoveryCode;
import org.konsil.client.store.StoreSettings;

/**
 * The recovery key ("Super-PIN") and the backup it opens: a backup of this device's identity and
 * the decrypted history of its encrypted rooms, encrypted on the device with a key derived from the
 * recovery code (Argon2id) and kept on the server as an opaque blob, one per user ({@code PUT/GET
 * /api/v1/me/key-backup}). The code never leaves the device; without it nobody, the server
 * included, can open the backup.
 */
public final class Recovery {

  /** The largest backup the server keeps, in bytes. */
  public static final int MAX_BACKUP_BYTES = 524_288;

  private static final String PATH = "/api/v1/me/key-backup";

  private final Context context;
  private final KonsilHttp http;
  private final ProtocolStore store;
  private final StoreSettings settings;
  private final Supplier<Future<Void>> reconcile;

  /**
   * {@code reconcile} runs after a restore: it wipes restored rooms whose patient revoked consent
   * since the backup was made (the same check as at every connect).
   */
  public Recovery(
      Context context,
      KonsilHttp http,
      ProtocolStore store,
      StoreSettings settings,
      Supplier<Future<Void>> reconcile) {
    this.context = context;
    this.http = http;
    this.store = store;
    this.settings = settings;
    this.reconcile = reconcile;
  }

  /**
   * What a password reset does to a user without a recovery code: the key store is locked with the
   * old password, so the device's identity and the history of encrypted rooms kept on it cannot be
   * opened again; the device has to be set up anew (a new device for the partners) and old messages
   * stay unreadable. With the code, {@link #restore} brings the history back on the new device.
   */
  public static String passwordResetConsequence() {
    return "Without the recovery code, a password reset leaves the messages of end-to-end encrypted"
        + " rooms unreadable: the keys on this device are locked with the old password, and the"
        + " server cannot read or recover them. Keep the recovery sheet; with its code a new device"
        + " gets the backed-up history back.";
  }

  /**
   * Makes a new recovery code, seals a backup with it and stores it on the server (replacing any
   * earlier backup, whose code no longer opens anything). Show the code to the user once (and give
   * them the sheet, {@link RecoverySheet}); the library keeps no copy.
   */
  public Future<RecoveryCode> createBackup() {
    RecoveryCode code = RecoveryCode.generate();
    return backup(code).map(stored -> code);
  }

  /** Seals a backup of the current state with a code the user has and stores it on the server. */
  public Future<Void> backup(RecoveryCode code) {
    return OnContext.run(
        context,
        () ->
            context
                .executeBlocking(() -> RecoveryBackup.seal(store, code, settings), true)
                .compose(
                    blob -> {
                      if (blob.length > MAX_BACKUP_BYTES) {
                        return Future.failedFuture(
                            new IllegalStateException(
                                "The backup has "
                                    + blob.length
                                    + " bytes; the server keeps at most "
                                    + MAX_BACKUP_BYTES));
                      }
                      return http.json(
                          HttpMethod.PUT,
                          PATH,
                          new JsonObject().put("backup", Base64.getEncoder().encodeToString(blob)),
                          200);
                    })
                .mapEmpty());
  }

  /**
   * Fetches the user's backup and opens it with the code into this device's store: the history of
   * the backed-up rooms becomes readable ({@code encryptedRooms().history(room)}), partner keys
   * pinned on the old device stay pinned, and the old identity is kept beside this device's own
   * ({@link ProtocolStore#restoredIdentity()}). A room whose patient revoked consent since the
   * backup was made is wiped again at once ({@code RoomHistoryWiped}), as at every connect, so an
   * older backup does not bring back what a revocation removed. A wrong code fails with {@link
   * org.konsil.client.store.WrongRecoveryCodeException} and changes nothing; no backup fails with
   * {@link org.konsil.client.http.KonsilApiException} {@code key_backup_missing}.
   */
  public Future<RecoveryBackup.Restored> restore(RecoveryCode code) {
    return OnContext.run(
        context,
        () ->
            http.json(HttpMethod.GET, PATH, null, 200)
                .compose(
                    answer -> {
                      byte[] blob = Base64.getDecoder().decode(answer.getString("backup"));
                      return context.executeBlocking(
                          () -> RecoveryBackup.restore(store, code, blob), true);
                    })
                .compose(restored -> reconcile.get().map(restored)));
  }

  /** Deletes the user's backup on the server. */
  public Future<Void> deleteBackup() {
    return OnContext.run(context, () -> http.empty(HttpMethod.DELETE, PATH, null, 204));
  }
}
