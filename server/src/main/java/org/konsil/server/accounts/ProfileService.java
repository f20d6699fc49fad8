package org.konsil.server.accounts;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.konsil.server.identity.AuthenticatedUser;

/** The signed-in user's own settings. */
public final class ProfileService {

  private final AccountStore store;

  public ProfileService(Pool pool) {
    this.store = new AccountStore(pool);
  }

  /** The user's own switch for e-mail notifications of unread messages. */
  public Future<Void> setNotifyByEmail(AuthenticatedUser user, boolean on) {
    return store.setNotifyByEmail(user.userId(), on);
  }
}
