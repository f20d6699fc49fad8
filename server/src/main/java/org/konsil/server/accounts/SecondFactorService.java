package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.util.encoders.Base32;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * The second factor: enrolling an authenticator app (TOTP) with recovery codes, and using up a code
 * at login.
 */
public final class SecondFactorService {

  private static final int RECOVERY_CODES = 10;

  private final Pool pool;
  private final Clock clock;
  private final Totp totp;
  private final AccountStore store;

  public SecondFactorService(Pool pool, Clock clock) {
    this.pool = pool;
    this.store = new AccountStore(pool);
    this.clock = clock;
    this.totp = new Totp(clock);
  }

  /** Starts enrolling an authenticator app: a new secret, shown once as text and as a URI. */
  public Future<SecondFactorEnrolment> startEnrolment(AuthenticatedUser user) {
    refuseEnrolled(user);
    String secret = Totp.newSecret();
    return store
        .startTotpEnrolment(user.userId(), secret)
        .map(
            done ->
                new SecondFactorEnrolment(secret, Totp.otpauthUri(secret, user.email(), "Konsil")));
  }

  /** Finishes the enrolment with a first code from the app; answers the recovery codes, once. */
  public Future<List<String>> confirmEnrolment(AuthenticatedUser user, String code) {
    refuseEnrolled(user);
    List<String> codes = new ArrayList<>();
    List<byte[]> hashes = new ArrayList<>();
    for (int i = 0; i < RECOVERY_CODES; i++) {
      String recovery = newRecoveryCode();
      codes.add(recovery);
      hashes.add(Secrets.hash(normaliseRecoveryCode(recovery)));
    }
    return pool.withTransaction(
        tx ->
            store
                .lockCredentials(tx, user.userId())
                .compose(
                    credentials -> {
                      if (credentials.totpSecret() == null) {
                        throw ApiException.conflict(
                            "second_factor_not_started", "Start the set-up first.");
                      }
                      long step = totp.matchingStep(credentials.totpSecret(), code, 0);
                      if (step < 0) {
                        throw new ApiException(
                            422,
                            "invalid_second_factor",
                            "The code does not match; try the next one.");
                      }
                      return store
                          .enableTotp(tx, user.userId(), step)
                          .compose(done -> store.replaceRecoveryCodes(tx, user.userId(), hashes))
                          .map(done -> List.copyOf(codes));
                    }));
  }

  /**
   * Uses up a TOTP code or a recovery code in the caller's transaction (which holds the user's row
   * lock) if it is right; answers whether it was.
   */
  Future<Boolean> use(
      SqlClient tx, AccountStore.Credentials user, String code, String recoveryCode) {
    if (code != null) {
      long step = totp.matchingStep(user.totpSecret(), code, user.totpLastStep());
      return step < 0
          ? Future.succeededFuture(false)
          : store.useTotpStep(tx, user.id(), step).map(true);
    }
    return store.consumeRecoveryCode(
        tx, user.id(), Secrets.hash(normaliseRecoveryCode(recoveryCode)), Times.now(clock));
  }

  private static void refuseEnrolled(AuthenticatedUser user) {
    if (user.secondFactorEnabled()) {
      throw ApiException.conflict(
          "second_factor_already_enabled", "A second factor is already set up for you.");
    }
  }

  private static String newRecoveryCode() {
    String raw =
        Base32.toBase32String(Secrets.randomBytes(20)).replace("=", "").toLowerCase(Locale.ROOT);
    StringBuilder grouped = new StringBuilder();
    for (int i = 0; i < 30; i += 5) {
      if (i > 0) {
        grouped.append('-');
      }
      grouped.append(raw, i, i + 5);
    }
    return grouped.toString();
  }

  private static String normaliseRecoveryCode(String code) {
    return code.replace("-", "").replace(" ", "").toLowerCase(Locale.ROOT);
  }
}
