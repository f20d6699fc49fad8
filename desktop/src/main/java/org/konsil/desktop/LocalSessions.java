package org.konsil.desktop;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may use the companion's page: the browser that opened a one-time login link. The link's code
 * is exchanged, once, for a session secret kept in an HttpOnly cookie of the companion's port; the
 * page then swaps that cookie for a local access token (as it swaps the server's refresh cookie for
 * an access token), and asks for single-use WebSocket tickets with it. None of these is a
 * credential of the Konsil server: the companion holds the server session itself and never hands it
 * to the page.
 */
final class LocalSessions {

  static final Duration LINK_LIFETIME = Duration.ofMinutes(10);
  static final Duration TICKET_LIFETIME = Duration.ofSeconds(30);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Clock clock;
  private final Map<String, Instant> loginCodes = new ConcurrentHashMap<>();

  /** session secret (cookie) → local access token */
  private final Map<String, String> sessions = new ConcurrentHashMap<>();

  /** ticket → when it expires */
  private final Map<String, Instant> tickets = new ConcurrentHashMap<>();

  LocalSessions(Clock clock) {
    this.clock = clock;
  }

  /** A new one-time code for a login link, valid for {@link #LINK_LIFETIME}. */
  String newLoginCode() {
    String code = secret();
    loginCodes.put(code, clock.instant().plus(LINK_LIFETIME));
    return code;
  }

  /** Exchanges a login code for a new session's secret; null if unknown, used or expired. */
  String redeem(String code) {
    if (code == null) {
      return null;
    }
    Instant expires = loginCodes.remove(code);
    if (expires == null || !clock.instant().isBefore(expires)) {
      return null;
    }
    String session = secret();
    sessions.put(session, secret());
    return session;
  }

  /** The session's local access token, or null when the cookie names no session. */
  String accessToken(String session) {
    return session == null ? null : sessions.get(session);
  }

  /** Whether the token is that of a live session. */
  boolean validToken(String token) {
    return token != null && sessions.containsValue(token);
  }

  /** Ends the session of this token (the page's logout). */
  void end(String token) {
    sessions.values().removeIf(token::equals);
  }

  /** Ends every session (the companion stops or its server session ended). */
  void endAll() {
    sessions.clear();
    tickets.clear();
  }

  /** A single-use WebSocket ticket for a live session's token; null for another token. */
  String newTicket(String token) {
    if (!validToken(token)) {
      return null;
    }
    Instant now = clock.instant();
    tickets.values().removeIf(expires -> !now.isBefore(expires));
    String ticket = secret();
    tickets.put(ticket, now.plus(TICKET_LIFETIME));
    return ticket;
  }

  /** Uses a ticket up; answers whether it was valid. */
  boolean redeemTicket(String ticket) {
    if (ticket == null) {
      return false;
    }
    Instant expires = tickets.remove(ticket);
    return expires != null && clock.instant().isBefore(expires);
  }

  private static String secret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
