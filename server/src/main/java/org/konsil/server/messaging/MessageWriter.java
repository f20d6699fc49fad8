package org.konsil.server.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.konsil.server.consent.ConsentService;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.rooms.RoomService;

/**
 * The one way a user's message is written, whether it came over REST or the WebSocket: one call of
 * {@link MessageStore#store}, through the {@link TextBatcher} when nothing else is written with it,
 * in a transaction when something is (the invitations waiting for a room's first message, an
 * attachment's file). The ack follows the commit, the live event follows the commit (one event for
 * all the texts a batch stored), and a repeated client message id answers the first ack without
 * storing anything.
 */
public final class MessageWriter {

  /** Text batches written at the same time (and the connections of the generic pool). */
  public static final int BATCHES_IN_FLIGHT = 2;

  private static final String UNIQUE_VIOLATION = "23505";
  private static final String CLIENT_MSG_ID_INDEX = "messages_client_msg_idx";
  private static final String ID_KEY = "messages_id_key";

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final MessageStore store;
  private final EnvelopeStore envelopes = new EnvelopeStore();
  private final TextBatcher batcher;
  private final RoomService rooms;
  private final InvitationService invitations;
  private final LiveEvents live;
  private final Counter stored;
  private final Counter duplicates;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean accepting = true;

  /**
   * {@code generic} is the pool whose connections run the kept message statement on its generic
   * plan ({@code BATCHES_IN_FLIGHT} connections), for statements of a few messages; everything else
   * uses {@code pool}.
   */
  public MessageWriter(
      Vertx vertx,
      Pool pool,
      Pool generic,
      Clock clock,
      RoomService rooms,
      InvitationService invitations,
      LiveEvents live,
      MeterRegistry metrics) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.store = new MessageStore(pool, generic);
    this.batcher =
        new TextBatcher(vertx, pool, generic, store, BATCHES_IN_FLIGHT, live::messages, metrics);
    this.rooms = rooms;
    this.invitations = invitations;
    this.live = live;
    this.stored =
        Counter.builder("konsil.messages.stored")
            .description("Messages committed to the database")
            .register(metrics);
    this.duplicates =
        Counter.builder("konsil.messages.duplicates")
            .description("Sends answered with an earlier ack because the clientMsgId was known")
            .register(metrics);
  }

  /**
   * A text message, batched with the ones sent at the same time. A room with invitations waiting
   * for its first message takes the transaction, which sends them with the message.
   */
  Future<Ack> text(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      String content,
      Message.Relations relations) {
    // the batcher publishes what its statements store; the transaction's message is published here
    return guarded(
        () -> {
          Message message = draft(user, room, clientMsgId, "text", content, relations);
          return batcher
              .store(message)
              .compose(
                  outcome ->
                      waitsForInvitations(outcome)
                          ? inTransaction(message, (tx, seq) -> Future.succeededFuture())
                              .andThen(stored -> publish(message, stored))
                          : Future.succeededFuture(outcome))
              .transform(result -> answer(user, message, result));
        },
        false);
  }

  /**
   * A message written in one transaction with what {@code alongside} writes (an attachment's rows),
   * which runs only when the message is stored; nothing of either is kept otherwise.
   */
  Future<Ack> withRows(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      String kind,
      String content,
      Function<SqlClient, Future<Void>> alongside) {
    return withRows(
        user,
        room,
        clientMsgId,
        kind,
        content,
        Message.Relations.NONE,
        (tx, m) -> alongside.apply(tx));
  }

  /**
   * The same, for a message with relations (a correction), where what is written alongside (its
   * audit row) needs the message.
   */
  Future<Ack> withRows(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      String kind,
      String content,
      Message.Relations relations,
      BiFunction<SqlClient, Message, Future<Void>> alongside) {
    return guarded(
        () -> {
          Message message = draft(user, room, clientMsgId, kind, content, relations);
          return inTransaction(message, (tx, seq) -> alongside.apply(tx, message))
              .transform(result -> answer(user, message, result));
        },
        true);
  }

  /**
   * An encrypted message from one of the user's devices: one envelope for each active device of the
   * room's members but the sending one, checked against the room's devices in the transaction that
   * holds the room's lock; a list that does not match stores nothing and names the missing and the
   * extra devices.
   */
  Future<Ack> encrypted(
      AuthenticatedUser user, int device, UUID room, UUID clientMsgId, List<Envelope> sealed) {
    return guarded(
        () -> {
          Message message =
              new Message(
                  room,
                  0,
                  UUID.randomUUID(),
                  Message.ENCRYPTED,
                  "",
                  Times.now(clock),
                  clientMsgId,
                  user.userId(),
                  user.displayName(),
                  user.organisationId(),
                  user.organisationName(),
                  false,
                  Message.Relations.NONE,
                  device,
                  List.copyOf(sealed));
          return inTransaction(message, (tx, seq) -> storeEnvelopes(tx, user, message, seq))
              .transform(result -> answer(user, message, result));
        },
        true);
  }

  private Future<Void> storeEnvelopes(
      SqlClient tx, AuthenticatedUser user, Message message, long seq) {
    int device = message.senderDevice();
    return envelopes
        .isActiveDevice(tx, user.userId(), device)
        .compose(
            active -> {
              if (!active) {
                throw DeliveryRefusals.unknownDevice();
              }
              return envelopes.roomDevices(tx, message.room());
            })
        .compose(
            expected -> {
              expected.remove(new Envelope.Address(user.userId(), device));
              TreeSet<Envelope.Address> given = new TreeSet<>();
              message.envelopes().forEach(envelope -> given.add(envelope.address()));
              if (!given.equals(expected)) {
                throw DeliveryRefusals.devicesChanged(expected, given);
              }
              return envelopes.insert(tx, message.room(), seq, message.envelopes());
            });
  }

  /** Stops taking new messages and waits for the ones being stored, up to the grace period. */
  Future<Void> drain(Duration grace) {
    accepting = false;
    // a deadline, not a time of day: the monotonic clock, which no clock setting moves
    long deadline = System.nanoTime() + grace.toNanos();
    return waitIdle(deadline);
  }

  private Future<Void> waitIdle(long deadline) {
    if (inFlight.get() == 0 || System.nanoTime() > deadline) {
      return Future.succeededFuture();
    }
    return vertx.timer(10).compose(t -> waitIdle(deadline));
  }

  /**
   * Counts the write while it runs, so that a shutdown waits for it; refused once draining. With
   * {@code publish} the stored message's live event goes out once it is acked.
   */
  private Future<Ack> guarded(Supplier<Future<Ack>> write, boolean publish) {
    if (!accepting) {
      return Future.failedFuture(
          ApiException.unavailable("The server is shutting down; send again in a moment."));
    }
    inFlight.incrementAndGet();
    Future<Ack> written;
    try {
      written = write.get();
    } catch (RuntimeException e) {
      written = Future.failedFuture(e);
    }
    return written
        .onSuccess(
            ack -> {
              if (ack.duplicate()) {
                duplicates.increment();
                // the first send's statement may have committed without its answer (a lost
                // connection): then its live event never went out, and connected members would
                // not see the message until the room's next one
                live.committed(ack.message().room(), ack.message().seq());
              } else {
                stored.increment();
                if (publish) {
                  live.message(
                      ack.message().room(), ack.message().seq(), ack.message().toLiveFrame());
                }
              }
            })
        .onComplete(done -> inFlight.decrementAndGet());
  }

  /** The live event of a message stored in its own transaction (not by the batcher). */
  private void publish(Message message, AsyncResult<MessageStore.Outcome> result) {
    if (result.succeeded() && result.result().stored()) {
      long seq = result.result().seq();
      live.message(message.room(), seq, message.withSeq(seq).toLiveFrame());
    }
  }

  private Message draft(
      AuthenticatedUser user,
      UUID room,
      UUID clientMsgId,
      String kind,
      String content,
      Message.Relations relations) {
    return new Message(
        room,
        0,
        UUID.randomUUID(),
        kind,
        content,
        Times.now(clock),
        clientMsgId,
        user.userId(),
        user.displayName(),
        user.organisationId(),
        user.organisationName(),
        false,
        relations);
  }

  /** Not stored only because invitations wait for the room's first message. */
  private static boolean waitsForInvitations(MessageStore.Outcome outcome) {
    return outcome.member()
        && outcome.earlier() == null
        && !outcome.revoked()
        && !outcome.encrypted()
        && !outcome.stored()
        && outcome.pendingInvitations() > 0;
  }

  /**
   * The store statement in a transaction, followed when the message was stored by what is written
   * with it and by the room's waiting invitations.
   */
  private Future<MessageStore.Outcome> inTransaction(
      Message message, BiFunction<SqlClient, Long, Future<Void>> alongside) {
    return pool.withTransaction(
        tx ->
            store
                .store(tx, List.of(message), true)
                .compose(
                    outcomes -> {
                      MessageStore.Outcome outcome = outcomes.get(0);
                      if (!outcome.stored()) {
                        return Future.succeededFuture(outcome);
                      }
                      return alongside
                          .apply(tx, outcome.seq())
                          .compose(
                              done ->
                                  outcome.pendingInvitations() > 0
                                      ? invitations.dispatchPending(tx, message.room())
                                      : Future.<Void>succeededFuture())
                          .map(outcome);
                    }));
  }

  /**
   * The ack, or the refusal, for what the statement found. Runs after the statement's connection
   * went back to the pool, so that a refusal's audit row does not wait for it.
   */
  private Future<Ack> answer(
      AuthenticatedUser user, Message message, AsyncResult<MessageStore.Outcome> result) {
    if (result.failed()) {
      if (storedMeanwhile(result.cause())) {
        return store
            .byClientMsgId(pool, user.userId(), message.clientMsgId())
            .compose(earlier -> duplicateOf(message, earlier));
      }
      return Future.failedFuture(result.cause());
    }
    MessageStore.Outcome outcome = result.result();
    if (!outcome.member()) {
      return rooms.refuse(user, message.room());
    }
    if (outcome.earlier() != null) {
      return duplicateOf(message, outcome.earlier());
    }
    if (outcome.revoked()) {
      return Future.failedFuture(ConsentService.consentRevoked());
    }
    if (outcome.encrypted() != message.encrypted() && !outcome.stored()) {
      return Future.failedFuture(
          outcome.encrypted()
              ? DeliveryRefusals.encryptionRequired()
              : DeliveryRefusals.roomNotEncrypted());
    }
    if (!outcome.stored()) {
      return Future.failedFuture(
          new IllegalStateException("a message was neither stored nor refused"));
    }
    return Future.succeededFuture(new Ack(message.withSeq(outcome.seq()), false));
  }

  /**
   * The insert found the message stored meanwhile, by a statement that committed after this one
   * began: the same client id sent again while its first send was being stored, or this very draft
   * (its id) stored by a batch whose answer was lost before the batcher sent it again alone.
   */
  static boolean storedMeanwhile(Throwable failure) {
    return failure instanceof PgException pg
        && UNIQUE_VIOLATION.equals(pg.getSqlState())
        && (CLIENT_MSG_ID_INDEX.equals(pg.getConstraint()) || ID_KEY.equals(pg.getConstraint()));
  }

  /** The earlier ack, if the earlier message went to the same room; a reused id otherwise. */
  private static Future<Ack> duplicateOf(Message message, Message earlier) {
    if (earlier == null || !earlier.room().equals(message.room())) {
      return Future.failedFuture(
          ApiException.conflict(
              "client_msg_id_reused",
              "This clientMsgId was used for another message; use a new one."));
    }
    return Future.succeededFuture(new Ack(earlier, true));
  }
}
