package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;

/**
 * Login sessions: opening one, renewing it with rotating refresh tokens, ending it, and finding the
 * user behind an access token or a WebSocket ticket.
 */
public final class SessionService {

  private final Pool pool;
  private final Clock clock;
  private final KonsilConfig config;
  private final AccessTokens tokens;
  private final LiveEvents live;
  private final AuditLog audit;
  private final AccountStore store;

  public SessionService(
      Pool pool,
      Clock clock,
      KonsilConfig config,
      AccessTokens tokens,
      LiveEvents live,
      AuditLog audit) {
    this.pool = pool;
    this.store = new AccountStore(pool);
    this.clock = clock;
    this.config = config;
    this.tokens = tokens;
    this.live = live;
    this.audit = audit;
  }

  /** A session opened in a transaction, whose tokens are handed out once it has committed. */
  record Opened(
      UUID userId, UUID organisationId, UUID sessionId, String refreshToken, OffsetDateTime at) {}

  /** Opens a session with its first refresh token in the caller's transaction; audits the login. */
  Future<Opened> open(SqlClient tx, UUID userId, UUID organisationId) {
    UUID sessionId = UUID.randomUUID();
    String refreshToken = Secrets.newToken();
    OffsetDateTime now = Times.now(clock);
    OffsetDateTime expiresAt = Times.at(clock.instant().plus(config.sessionTtl()));
    return store
        .createSession(tx, sessionId, userId, now, expiresAt)
        .compose(done -> store.insertRefreshToken(tx, Secrets.hash(refreshToken), sessionId, now))
        .compose(
            done ->
                audit.record(
                    tx,
                    AuditEvent.by(userId, organisationId)
                        .on("session", sessionId)
                        .success("login")))
        .map(done -> new Opened(userId, organisationId, sessionId, refreshToken, now));
  }

  /** The tokens of a session that has just been opened, with its user. */
  Future<LoginResult.Authenticated> tokensOf(Opened opened) {
    return store
        .activeUser(opened.userId(), opened.sessionId(), opened.at())
        .map(
            user ->
                authenticated(
                    opened.userId(),
                    opened.organisationId(),
                    opened.sessionId(),
                    opened.refreshToken(),
                    user));
  }

  /** Swaps a refresh token for new tokens; a token used twice ends its whole session. */
  public Future<LoginResult.Authenticated> refresh(String refreshToken) {
    byte[] hash = Secrets.hash(refreshToken);
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
            tx ->
                store
                    .lockRefreshToken(tx, hash)
                    .compose(
                        row -> {
                          if (row == null
                              || row.sessionRevokedAt() != null
                              || !row.sessionExpiresAt().isAfter(now)) {
                            return Future.succeededFuture(RefreshOutcome.INVALID);
                          }
                          if (row.usedAt() != null) {
                            return store
                                .revokeSession(tx, row.sessionId(), now)
                                .map(RefreshOutcome.reused(row.sessionId()));
                          }
                          String next = Secrets.newToken();
                          return store
                              .markRefreshTokenUsed(tx, hash, now)
                              .compose(
                                  done ->
                                      store.insertRefreshToken(
                                          tx, Secrets.hash(next), row.sessionId(), now))
                              .map(done -> RefreshOutcome.rotated(row, next));
                        }))
        .compose(
            outcome -> {
              if (outcome.reusedSession() != null) {
                live.sessionRevoked(outcome.reusedSession());
                throw new ApiException(
                    401,
                    "refresh_token_reused",
                    "This refresh token was used before; the session has been ended. Log in again.");
              }
              if (outcome.row() == null) {
                throw sessionEnded();
              }
              AccountStore.RefreshTokenRow row = outcome.row();
              return store
                  .activeUser(row.userId(), row.sessionId(), now)
                  .map(
                      user -> {
                        if (user == null) {
                          throw sessionEnded();
                        }
                        return authenticated(
                            user.userId(),
                            user.organisationId(),
                            row.sessionId(),
                            outcome.nextToken(),
                            user);
                      });
            });
  }

  private record RefreshOutcome(
      AccountStore.RefreshTokenRow row, String nextToken, UUID reusedSession) {
    static final RefreshOutcome INVALID = new RefreshOutcome(null, null, null);

    static RefreshOutcome rotated(AccountStore.RefreshTokenRow row, String next) {
      return new RefreshOutcome(row, next, null);
    }

    static RefreshOutcome reused(UUID session) {
      return new RefreshOutcome(null, null, session);
    }
  }

  public Future<Void> logout(AuthenticatedUser user) {
    return store
        .revokeSession(user.sessionId(), Times.now(clock))
        .onSuccess(done -> live.sessionRevoked(user.sessionId()));
  }

  /** Ends every session of a user inside the caller's transaction. */
  public Future<Void> endAllSessions(SqlClient tx, UUID userId) {
    return store.revokeAllSessions(tx, userId, Times.now(clock)).mapEmpty();
  }

  /** The user behind a bearer access token, checked against the database on every call. */
  public Future<AuthenticatedUser> authenticate(String accessToken) {
    return tokens
        .verify(accessToken, AccessTokens.Purpose.ACCESS)
        .recover(
            refused ->
                Future.failedFuture(
                    new ApiException(
                        401, "invalid_token", "The access token is invalid or has expired.")))
        .compose(claims -> store.activeUser(claims.userId(), claims.sessionId(), Times.now(clock)))
        .map(
            user -> {
              if (user == null) {
                throw new ApiException(
                    401, "invalid_token", "The session has ended or the account is disabled.");
              }
              return user;
            });
  }

  /** A single-use ticket for opening a WebSocket, so that no token appears in a URL. */
  public Future<WsTicket> issueWsTicket(AuthenticatedUser user) {
    String ticket = Secrets.newToken();
    OffsetDateTime expiresAt = Times.at(clock.instant().plus(config.wsTicketTtl()));
    return store
        .insertWsTicket(Secrets.hash(ticket), user.userId(), user.sessionId(), expiresAt)
        .map(done -> new WsTicket(ticket, expiresAt));
  }

  public Future<AuthenticatedUser> redeemWsTicket(String ticket) {
    OffsetDateTime now = Times.now(clock);
    return store
        .consumeWsTicket(Secrets.hash(ticket), now)
        .compose(
            owner ->
                owner == null
                    ? Future.succeededFuture(null)
                    : store.activeUser(owner.userId(), owner.sessionId(), now))
        .map(
            user -> {
              if (user == null) {
                throw new ApiException(
                    401, "invalid_ticket", "The ticket is unknown, used or expired.");
              }
              return user;
            });
  }

  private LoginResult.Authenticated authenticated(
      UUID userId,
      UUID organisationId,
      UUID sessionId,
      String refreshToken,
      AuthenticatedUser user) {
    String access =
        tokens.issue(
            new AccessTokens.Claims(userId, sessionId, organisationId, AccessTokens.Purpose.ACCESS),
            config.accessTokenTtl());
    return new LoginResult.Authenticated(
        access, config.accessTokenTtl().toSeconds(), refreshToken, user);
  }

  private static ApiException sessionEnded() {
    return new ApiException(401, "invalid_refresh_token", "The session has ended. Log in again.");
  }
}
