package org.konsil.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The load generator: logs the members in, opens their WebSockets, has every member of every room
 * send, and checks at every recipient that each room's sequence numbers arrive once and in order.
 * Traffic goes to loopback only.
 */
final class Load implements AutoCloseable {

  private static final int PAD = 64;

  private final Vertx vertx;
  private final WebClient web;
  private final WebSocketClient sockets;
  private final List<String> urls;
  private final List<Member> members = new ArrayList<>();
  private final List<WebSocket> idle = new ArrayList<>();
  private final Map<String, long[]> lastAckedSeq = new ConcurrentHashMap<>();

  // what the current phase counts
  private volatile boolean sending;
  private volatile boolean counting;
  private final LongAdder acked = new LongAdder();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder lost = new LongAdder();
  private final LongAdder duplicated = new LongAdder();
  private final Recorder ackLatency = new Recorder(3);
  private final Recorder deliveryLatency = new Recorder(3);
  private final Recorder setupLatency = new Recorder(3);

  /** One sending and receiving member of a room, on one connection. */
  private final class Member {
    final int index;
    final String email;
    String room;
    String userId;
    String url;
    String token;
    WebSocket socket;
    Context context;
    long nextSeq;
    int outstanding;
    long timer = -1;
    final Map<String, Long> sentAt = new HashMap<>();

    Member(int index, String email) {
      this.index = index;
      this.email = email;
    }
  }

  Load(List<String> urls) {
    this.urls = urls;
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    this.web =
        WebClient.create(
            vertx,
            new WebClientOptions(),
            new io.vertx.core.http.PoolOptions().setHttp1MaxSize(32));
    this.sockets =
        vertx.createWebSocketClient(
            new WebSocketClientOptions()
                .setMaxConnections(Integer.MAX_VALUE)
                .setMaxFrameSize(1 << 20)
                .setMaxMessageSize(1 << 20));
  }

  private String url(int i) {
    return urls.get(i % urls.size());
  }

  // ---------------------------------------------------------------- set-up

  private Future<String> login(String url, String email) {
    return web.postAbs(url + "/api/v1/auth/login")
        .sendJsonObject(new JsonObject().put("email", email).put("password", Seeder.PASSWORD))
        .map(
            response -> {
              if (response.statusCode() != 200) {
                throw new IllegalStateException("login failed: " + response.bodyAsString());
              }
              return response.bodyAsJsonObject().getString("accessToken");
            });
  }

  /** Creates one general room per organisation (by its admin); answers the room ids. */
  List<String> createRooms(List<Seeder.Org> orgs) {
    List<String> rooms = new ArrayList<>();
    for (int from = 0; from < orgs.size(); from += 32) {
      List<Future<String>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(orgs.size(), from + 32); i++) {
        String url = url(i);
        int n = i;
        batch.add(
            login(url, orgs.get(i).emails().get(0))
                .compose(
                    token ->
                        web.postAbs(url + "/api/v1/rooms")
                            .bearerTokenAuthentication(token)
                            .sendJsonObject(new JsonObject().put("title", "Bench room " + n)))
                .map(
                    response -> {
                      if (response.statusCode() != 201) {
                        throw new IllegalStateException("room: " + response.bodyAsString());
                      }
                      return response.bodyAsJsonObject().getString("id");
                    }));
      }
      rooms.addAll(await(Future.all(batch)).list());
    }
    return rooms;
  }

  /** Logs every member in and opens its WebSocket; members of room i are org i's users. */
  void connect(List<Seeder.Org> orgs, List<String> rooms) {
    int index = 0;
    for (int r = 0; r < orgs.size(); r++) {
      for (String email : orgs.get(r).emails()) {
        Member member = new Member(index, email);
        member.room = rooms.get(r);
        member.url = url(index);
        members.add(member);
        index++;
      }
    }
    for (int from = 0; from < members.size(); from += 64) {
      List<Future<Void>> batch = new ArrayList<>();
      for (Member member : members.subList(from, Math.min(members.size(), from + 64))) {
        batch.add(
            login(member.url, member.email)
                .compose(
                    token -> {
                      member.token = token;
                      return open(member);
                    }));
      }
      await(Future.all(batch));
    }
  }

  /** Opens (or reopens) a member's socket; completes at its ready frame. */
  private Future<Void> open(Member member) {
    long started = System.nanoTime();
    io.vertx.core.Promise<Void> ready = io.vertx.core.Promise.promise();
    return ticket(member.url, member.token)
        .compose(
            ticket -> {
              // handlers first: the ready frame may follow the upgrade at once
              io.vertx.core.http.ClientWebSocket socket = sockets.webSocket();
              member.socket = socket;
              socket.textMessageHandler(
                  text -> {
                    if (text.startsWith(MESSAGE_PREFIX)) {
                      onMessage(member, text);
                      return;
                    }
                    if (text.endsWith(ACK_SUFFIX)) {
                      onAck(member, text);
                      return;
                    }
                    JsonObject frame = new JsonObject(text);
                    if ("ready".equals(frame.getString("type"))) {
                      member.userId = frame.getJsonObject("user").getString("id");
                      for (Object item : frame.getJsonArray("rooms", new JsonArray())) {
                        JsonObject room = (JsonObject) item;
                        if (room.getString("id").equals(member.room)) {
                          member.nextSeq = room.getLong("lastSeq") + 1;
                        }
                      }
                      setupLatency.recordValue((System.nanoTime() - started) / 1000);
                      member.context = Vertx.currentContext();
                      ready.tryComplete();
                    } else {
                      onFrame(member, frame);
                    }
                  });
              return socket.connect(options(member.url, ticket)).compose(open -> ready.future());
            });
  }

  /** Opens idle authenticated connections, round robin over the given users' tokens. */
  void openIdle(List<Seeder.Org> orgs, int count) {
    List<String[]> users = new ArrayList<>();
    for (int i = 0; i < orgs.size(); i++) {
      for (String email : orgs.get(i).emails()) {
        String url = url(i);
        users.add(new String[] {url, await(login(url, email))});
      }
    }
    for (int from = 0; from < count; from += 128) {
      List<Future<WebSocket>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(count, from + 128); i++) {
        String[] user = users.get(i % users.size());
        batch.add(
            ticket(user[0], user[1])
                .compose(
                    ticket -> {
                      io.vertx.core.http.ClientWebSocket socket = sockets.webSocket();
                      io.vertx.core.Promise<WebSocket> ready = io.vertx.core.Promise.promise();
                      socket.textMessageHandler(
                          text -> {
                            if (text.contains("\"ready\"")) {
                              ready.tryComplete(socket);
                            }
                          });
                      // a socket the server closes before its ready frame fails the run at
                      // once, with the server's reason, instead of waiting out the time limit
                      socket.closeHandler(
                          closed ->
                              ready.tryFail(
                                  new IllegalStateException(
                                      "an idle socket was closed before it was ready: "
                                          + socket.closeStatusCode()
                                          + " "
                                          + socket.closeReason())));
                      return socket
                          .connect(options(user[0], ticket))
                          .compose(open -> ready.future());
                    }));
      }
      idle.addAll(await(Future.all(batch)).list());
    }
  }

  private Future<String> ticket(String url, String token) {
    return web.postAbs(url + "/api/v1/ws-tickets")
        .bearerTokenAuthentication(token)
        .send()
        .map(
            response -> {
              if (response.statusCode() != 201) {
                throw new IllegalStateException("ticket: " + response.bodyAsString());
              }
              return response.bodyAsJsonObject().getString("ticket");
            });
  }

  private static WebSocketConnectOptions options(String url, String ticket) {
    URI uri = URI.create(url);
    return new WebSocketConnectOptions()
        .setHost(uri.getHost())
        .setPort(uri.getPort())
        .setURI("/api/v1/ws?ticket=" + ticket);
  }

  int activeConnections() {
    return members.size();
  }

  int idleConnections() {
    return idle.size();
  }

  Histogram setupTimes() {
    return setupLatency.getIntervalHistogram();
  }

  // ---------------------------------------------------------------- traffic

  private static final String MESSAGE_PREFIX = "{\"type\":\"message\",";

  /**
   * A pushed message, read without a JSON parser (the generator shares the CPU with what it
   * measures): Konsil writes type, room, seq, id, kind, content, ..., sender in this order.
   */
  private void onMessage(Member member, String text) {
    int at = text.indexOf("\"seq\":") + 6;
    int end = at;
    while (Character.isDigit(text.charAt(end))) {
      end++;
    }
    long seq = Long.parseLong(text, at, end, 10);
    if (seq == member.nextSeq) {
      member.nextSeq++;
    } else if (seq < member.nextSeq) {
      duplicated.increment();
    } else {
      lost.add(seq - member.nextSeq);
      member.nextSeq = seq + 1;
    }
    int sender = text.indexOf("\"sender\":{\"id\":\"");
    if (sender < 0 || !counting) {
      return;
    }
    sender += 16;
    if (!text.regionMatches(sender, member.userId, 0, member.userId.length())) {
      delivered.increment();
      int content = text.indexOf("\"content\":\"") + 11;
      long sent = Long.parseLong(text, content, content + 19, 10);
      deliveryLatency.recordValue(Math.max(0, System.nanoTime() - sent) / 1000);
    }
  }

  private static final String ACK_SUFFIX = "\"type\":\"ack\"}";

  /** An ack, read without a JSON parser: Konsil ends it with its type. */
  private void onAck(Member member, String text) {
    int id = text.indexOf("\"clientMsgId\":\"") + 15;
    Long sent = member.sentAt.remove(text.substring(id, id + 36));
    int at = text.indexOf("\"seq\":") + 6;
    int end = at;
    while (Character.isDigit(text.charAt(end))) {
      end++;
    }
    long seq = Long.parseLong(text, at, end, 10);
    member.outstanding--;
    long[] last = lastAckedSeq.computeIfAbsent(member.room, key -> new long[1]);
    synchronized (last) {
      last[0] = Math.max(last[0], seq);
    }
    if (counting) {
      acked.increment();
      if (sent != null) {
        ackLatency.recordValue((System.nanoTime() - sent) / 1000);
      }
    }
    if (sending && member.timer < 0) {
      send(member);
    }
  }

  private void onFrame(Member member, JsonObject frame) {
    switch (frame.getString("type")) {
      case "error" -> {
        if (frame.getString("clientMsgId") != null) {
          member.sentAt.remove(frame.getString("clientMsgId"));
          member.outstanding--;
          refused.increment();
          if (sending && member.timer < 0) {
            send(member);
          }
        }
      }
      default -> {
        // typing, unread, pong: not measured
      }
    }
  }

  /** Sends one 64-character message that starts with its send time (System.nanoTime). */
  private void send(Member member) {
    String clientMsgId = UUID.randomUUID().toString();
    long now = System.nanoTime();
    String time = Long.toString(now);
    StringBuilder frame = new StringBuilder(160);
    frame.append("{\"type\":\"send\",\"room\":\"").append(member.room);
    frame.append("\",\"clientMsgId\":\"").append(clientMsgId).append("\",\"content\":\"");
    int start = frame.length();
    frame.append("0".repeat(19 - time.length())).append(time).append(' ').append(member.index);
    frame.append(' ');
    while (frame.length() - start < PAD) {
      frame.append('x');
    }
    frame.append("\"}");
    member.sentAt.put(clientMsgId, now);
    member.outstanding++;
    member.socket.writeTextMessage(frame.toString());
  }

  /** What one phase measured. */
  record Phase(
      String name,
      double seconds,
      long acked,
      long delivered,
      long refused,
      long lost,
      long duplicated,
      Histogram ack,
      Histogram delivery) {

    double ackedPerSecond() {
      return acked / seconds;
    }

    double deliveredPerSecond() {
      return delivered / seconds;
    }
  }

  /**
   * Runs traffic: open loop at a total rate (messages per second over all members), or closed loop
   * (ratePerSecond 0: each of the given number of senders, spread evenly over the members, sends
   * its next message when the last one is acked; the other members only receive).
   */
  Phase run(String name, int ratePerSecond, int senders, int warmupSeconds, int seconds) {
    sending = true;
    for (Member member : members) {
      if (ratePerSecond == 0 && !sends(member.index, senders, members.size())) {
        continue;
      }
      member.context.runOnContext(
          v -> {
            if (ratePerSecond > 0) {
              double perMember = (double) ratePerSecond / members.size();
              long period = Math.max(1, Math.round(1000 / perMember));
              long offset = 1 + (long) (Math.random() * period);
              member.timer = vertx.setPeriodic(offset, period, id -> send(member));
            } else {
              member.timer = -1;
              send(member);
            }
          });
    }
    sleep(warmupSeconds * 1000L);
    acked.reset();
    delivered.reset();
    refused.reset();
    ackLatency.getIntervalHistogram();
    deliveryLatency.getIntervalHistogram();
    counting = true;
    long started = System.nanoTime();
    sleep(seconds * 1000L);
    counting = false;
    double elapsed = (System.nanoTime() - started) / 1e9;
    Phase phase =
        new Phase(
            name,
            elapsed,
            acked.sum(),
            delivered.sum(),
            refused.sum(),
            0,
            0,
            ackLatency.getIntervalHistogram(),
            deliveryLatency.getIntervalHistogram());
    stopAndDrain();
    return new Phase(
        name,
        phase.seconds(),
        phase.acked(),
        phase.delivered(),
        phase.refused(),
        lost.sumThenReset(),
        duplicated.sumThenReset(),
        phase.ack(),
        phase.delivery());
  }

  /**
   * Whether the member at this index is one of {@code senders} spread evenly over {@code members}:
   * exactly that many indexes are, one in every {@code members / senders} or so.
   */
  static boolean sends(int index, int senders, int members) {
    return (long) (index + 1) * senders / members - (long) index * senders / members == 1;
  }

  /** Stops sending, waits for the last acks and for every member to hold its room's last seq. */
  private void stopAndDrain() {
    sending = false;
    for (Member member : members) {
      member.context.runOnContext(
          v -> {
            if (member.timer >= 0) {
              vertx.cancelTimer(member.timer);
              member.timer = -1;
            }
          });
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      boolean done = true;
      for (Member member : members) {
        long[] last = lastAckedSeq.get(member.room);
        long expected = last == null ? 0 : last[0];
        if (member.outstanding > 0 || member.nextSeq - 1 < expected) {
          done = false;
          break;
        }
      }
      if (done) {
        return;
      }
      sleep(100);
    }
    long missing = 0;
    long unacknowledged = 0;
    for (Member member : members) {
      long[] last = lastAckedSeq.get(member.room);
      missing += Math.max(0, (last == null ? 0 : last[0]) - (member.nextSeq - 1));
      unacknowledged += member.outstanding;
    }
    if (unacknowledged > 0) {
      // a node that stopped (or hangs) answers nothing: that is a failed run, not a figure
      throw new IllegalStateException(
          "drain timed out with "
              + unacknowledged
              + " sends never acknowledged; did the node stop? The run's figures are not valid");
    }
    lost.add(missing);
    System.out.println("drain timed out; counted " + missing + " messages as lost");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static <T> T await(Future<T> future) {
    try {
      return future.await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the run is over; a slow close changes no figure
    }
  }
}
