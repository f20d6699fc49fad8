package org.konsil.server.devices;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.config.KonsilConfig.KeyDirectorySettings;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;
import org.signal.libsignal.protocol.IdentityKey;

/**
 * The devices of users and the key directory of end-to-end encryption: registering, listing and
 * removing devices, uploading their prekeys, and handing out prekey bundles to the users who may
 * write to them. Keys are checked with libsignal-client; the server never holds a private key.
 */
public final class DeviceService {

  private static final String IDENTITY_KEY_INDEX = "devices_identity_key_idx";

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final KeyDirectorySettings settings;
  private final AuditLog audit;
  private final LiveEvents live;
  private final DeviceStore store = new DeviceStore();
  private final DeviceNotices notices;

  public DeviceService(
      Vertx vertx,
      Pool pool,
      Clock clock,
      KeyDirectorySettings settings,
      AuditLog audit,
      LiveEvents live) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.settings = settings;
    this.audit = audit;
    this.live = live;
    this.notices = new DeviceNotices(pool, live);
  }

  /** A registration and whether it made a new device (false: a repeated request found it). */
  record Registration(Device device, boolean created) {}

  /**
   * Registers a device of the user after checking its keys. The same identity key with the same
   * registration id again answers the device it made (a retried request); an identity key that any
   * other device has or had is refused: a new identity key is a new device.
   */
  Future<Registration> register(AuthenticatedUser user, RegisterDeviceRequest request) {
    return vertx
        .executeBlocking(
            () -> {
              IdentityKey identity = PublicKeys.identityKey("identityKey", request.identityKey());
              request.keys().check(identity);
              return identity;
            },
            false)
        .compose(checked -> pool.withTransaction(tx -> registerChecked(tx, user, request)))
        .recover(DeviceService::identityKeyTaken)
        .compose(
            registration -> {
              if (registration.created()) {
                notices.added(user, registration.device());
              }
              return Future.succeededFuture(registration);
            });
  }

  private Future<Registration> registerChecked(
      SqlConnection tx, AuthenticatedUser user, RegisterDeviceRequest request) {
    OffsetDateTime now = Times.now(clock);
    return store
        .lockUser(tx, user.userId())
        .compose(locked -> store.byIdentityKey(tx, request.identityKey()))
        .compose(
            known -> {
              if (known != null) {
                if (known.active()
                    && known.userId().equals(user.userId())
                    && known.registrationId() == request.registrationId()) {
                  return store
                      .view(tx, user.userId(), known.deviceId())
                      .map(device -> new Registration(device, false));
                }
                throw identityKeyInUse();
              }
              return store
                  .countActive(tx, user.userId())
                  .compose(
                      count -> {
                        if (count >= settings.maxDevices()) {
                          throw ApiException.conflict(
                              "too_many_devices",
                              "You have "
                                  + count
                                  + " devices, the most allowed; remove one before adding"
                                  + " another.");
                        }
                        return store.freeDeviceId(tx, user.userId());
                      })
                  .compose(
                      deviceId -> {
                        UUID id = UUID.randomUUID();
                        return store
                            .insertDevice(
                                tx,
                                id,
                                user.userId(),
                                deviceId,
                                request.registrationId(),
                                request.name(),
                                request.identityKey(),
                                request.keys(),
                                now)
                            .compose(inserted -> store.storeKeys(tx, id, request.keys()))
                            .compose(
                                stored ->
                                    audit.record(
                                        tx,
                                        AuditEvent.by(user)
                                            .on("user", user.userId())
                                            .with("deviceId", deviceId)
                                            .with("registrationId", request.registrationId())
                                            .success("device.added")))
                            .compose(recorded -> store.view(tx, user.userId(), deviceId))
                            .map(device -> new Registration(device, true));
                      });
            });
  }

  /** The user's active devices, lowest device id first. */
  Future<List<Device>> list(AuthenticatedUser user) {
    return store.list(pool, user.userId());
  }

  /**
   * Removes one of the user's devices: it gets no more messages, its prekeys are deleted, its
   * device id and identity key are not taken by another device while fresh ones are left.
   */
  Future<Void> remove(AuthenticatedUser user, int deviceId) {
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
            tx ->
                store
                    .remove(tx, user.userId(), deviceId, now)
                    .compose(
                        removed -> {
                          if (removed == null) {
                            throw noSuchDevice();
                          }
                          return audit.record(
                              tx,
                              AuditEvent.by(user)
                                  .on("user", user.userId())
                                  .with("deviceId", deviceId)
                                  .with("registrationId", removed.registrationId())
                                  .success("device.removed"));
                        }))
        .onSuccess(removed -> notices.removed(user, deviceId));
  }

  /**
   * Stores the prekeys a device uploads, after checking each with the device's identity key; all of
   * them or, on the first bad one, none.
   */
  Future<Device> uploadKeys(AuthenticatedUser user, int deviceId, KeyUpload keys) {
    if (keys.isEmpty()) {
      return Future.failedFuture(
          ApiException.validation(
              "Send at least one of 'signedPreKey', 'pqLastResortPreKey', 'preKeys' and"
                  + " 'pqPreKeys'."));
    }
    return store
        .activeDevice(pool, user.userId(), deviceId)
        .compose(
            device -> {
              if (device == null) {
                throw noSuchDevice();
              }
              return vertx.executeBlocking(
                  () -> {
                    keys.check(PublicKeys.identityKey("identityKey", device.identityKey()));
                    return device;
                  },
                  false);
            })
        .compose(
            device ->
                pool.withTransaction(
                    tx ->
                        store
                            .lockDevice(tx, device.id())
                            .compose(
                                active -> {
                                  if (!active) {
                                    throw noSuchDevice();
                                  }
                                  return store.storeKeys(tx, device.id(), keys);
                                })
                            .compose(stored -> store.view(tx, user.userId(), deviceId))));
  }

  /**
   * One prekey bundle per active device of the target user, each with at most one one-time prekey
   * of each kind, handed out to nobody else. Counted against the requester's fetch limit first;
   * then a target the requester may not write to answers exactly like a user that does not exist. A
   * device left with fewer one-time prekeys than the threshold is told so on its owner's
   * connections.
   */
  Future<PrekeyBundles> fetchBundles(AuthenticatedUser requester, UUID target) {
    OffsetDateTime now = Times.now(clock);
    Duration window = settings.prekeyFetchWindow();
    return store
        .countFetch(
            pool,
            requester.userId(),
            now,
            Times.at(now.toInstant().minus(window)),
            settings.prekeyFetchLimit())
        .compose(
            counted -> {
              if (counted.fetches() > settings.prekeyFetchLimit()) {
                long wait =
                    Duration.between(now.toInstant(), counted.start().toInstant().plus(window))
                        .toSeconds();
                throw ApiException.rateLimited(
                    "rate_limited",
                    "Too many prekey fetches; try again in a while.",
                    Math.max(1, wait));
              }
              return target == null
                  ? Future.succeededFuture(null)
                  : store.access(pool, target, requester.organisationId());
            })
        .compose(
            access -> {
              if (access == null || !access.allowed()) {
                return refuse(requester, target, access);
              }
              return pool.withTransaction(tx -> store.fetchBundles(tx, target))
                  .map(fetched -> answer(target, fetched));
            });
  }

  private Future<PrekeyBundles> refuse(
      AuthenticatedUser requester, UUID target, DeviceStore.Access access) {
    if (target == null) {
      return Future.failedFuture(noSuchUser());
    }
    return Refusals.record(
            audit,
            AuditEvent.by(requester).on("user", target),
            "prekeys.fetch",
            access == null ? null : access.organisationId())
        .transform(recorded -> Future.failedFuture(noSuchUser()));
  }

  /** The bundles; the user's own connections learn which devices run low on one-time prekeys. */
  private PrekeyBundles answer(UUID target, List<DeviceStore.Fetched> fetched) {
    List<PrekeyBundle> devices = new ArrayList<>();
    List<JsonObject> low = new ArrayList<>();
    for (DeviceStore.Fetched device : fetched) {
      devices.add(device.bundle());
      if (device.preKeysLeft() < settings.prekeyLowThreshold()
          || device.pqPreKeysLeft() < settings.prekeyLowThreshold()) {
        low.add(
            new JsonObject()
                .put("type", "prekeys_low")
                .put("deviceId", device.bundle().deviceId())
                .put("preKeys", device.preKeysLeft())
                .put("pqPreKeys", device.pqPreKeysLeft()));
      }
    }
    for (JsonObject frame : low) {
      live.toUser(target, frame.encode());
    }
    return new PrekeyBundles(target, devices);
  }

  private static Future<Registration> identityKeyTaken(Throwable failure) {
    if (failure instanceof PgException pg
        && "23505".equals(pg.getSqlState())
        && IDENTITY_KEY_INDEX.equals(pg.getConstraint())) {
      return Future.failedFuture(identityKeyInUse());
    }
    return Future.failedFuture(failure);
  }

  private static ApiException identityKeyInUse() {
    return ApiException.conflict(
        "identity_key_in_use",
        "This identity key belongs to a device already; a new device needs a new identity key.");
  }

  private static ApiException noSuchDevice() {
    return ApiException.notFound("No such device.");
  }

  static ApiException noSuchUser() {
    return ApiException.notFound("No such user.");
  }
}
