package org.konsil.desktop;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.konsil.client.ClientOptions;
import org.konsil.client.KonsilClient;
import org.konsil.client.SecondFactorPrompt;
import org.konsil.client.event.ClientEvent;
import org.konsil.client.live.RoomPositions;
import org.konsil.client.store.StoreSettings;
import org.konsil.server.testkit.Api;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.TestUser;

/**
 * A user's computer in the tests: the client library logged in, its key store open, its device
 * registered and connected, its events kept; with a companion serving the page, or without one (a
 * partner who uses the library directly).
 */
record Desk(
    TestUser user,
    KonsilClient client,
    Companion companion,
    RoomPositions positions,
    BlockingQueue<ClientEvent> events) {

  /** Argon2id at its cheapest: the tests prove the companion, not the key store's cost. */
  static final StoreSettings CHEAP = new StoreSettings(1024, 1, 1);

  static Desk start(Vertx vertx, KonsilServer server, TestUser user, Path keys, boolean companion) {
    BlockingQueue<ClientEvent> events = new LinkedBlockingQueue<>();
    String address = "http://127.0.0.1:" + server.port();
    RoomPositions positions = RoomPositions.in(keys);
    KonsilClient client =
        KonsilClient.create(
                vertx,
                new ClientOptions()
                    .setServer(address)
                    .setKeyStore(keys)
                    .setStoreSettings(CHEAP)
                    .setCursors(positions))
            .onEvent(positions)
            .onEvent(events::add);
    await(client.login(user.email(), user.password(), SecondFactorPrompt.NONE));
    await(client.openKeyStore(user.password().toCharArray()));
    await(client.devices().register("Praxis-PC"));
    await(client.connect());
    Companion started = companion ? await(Companion.start(vertx, client, 0)) : null;
    return new Desk(user, client, started, positions, events);
  }

  String origin() {
    return "http://127.0.0.1:" + companion.port();
  }

  /** The path of a new one-time login link (for a browser opened on {@link #origin()}). */
  String loginPath() {
    return companion.newLoginLink().substring(origin().length());
  }

  /** The next event of this kind that matches, waiting for it (30 s at most). */
  <T extends ClientEvent> T next(Class<T> kind, Predicate<T> matches) {
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        ClientEvent event = events.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (event == null) {
          throw new AssertionError("no " + kind.getSimpleName() + " came");
        }
        if (kind.isInstance(event) && matches.test(kind.cast(event))) {
          return kind.cast(event);
        }
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  void stop() {
    try {
      if (companion != null) {
        companion.stop().await(10, TimeUnit.SECONDS);
      }
      client.close().await(10, TimeUnit.SECONDS);
      positions.close();
    } catch (Exception e) {
      // stopped already
    }
  }

  static UUID room(KonsilServer server, TestUser creator, UUID partner, boolean encrypted) {
    Api.Response created =
        server
            .api()
            .post(
                "/api/v1/rooms",
                new JsonObject()
                    .put("title", encrypted ? "Wundverlauf" : "Dienstplan")
                    .put("encrypted", encrypted)
                    .put("partnerOrganisationIds", new JsonArray().add(partner.toString())),
                server.login(creator).accessToken());
    if (created.status() != 201) {
      throw new AssertionError(created.body());
    }
    return UUID.fromString(created.json().getString("id"));
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
