package org.konsil.server.search;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * One search box for rooms, patients and messages, limited to what the user's organisation may see
 * anyway (its rooms, its patients, the patients of its rooms while consent holds). Every search is
 * written to the audit trail with what it found, counted, never with the words searched for.
 */
public final class SearchService {

  private final Pool pool;
  private final AuditLog audit;
  private final SearchStore store = new SearchStore();

  public SearchService(Pool pool, AuditLog audit) {
    this.pool = pool;
    this.audit = audit;
  }

  Future<SearchResults> search(AuthenticatedUser user, String text) {
    SearchQuery query = SearchQuery.parse(text);
    return store
        .rooms(pool, user.organisationId(), query)
        .compose(
            rooms ->
                store
                    .patients(pool, user.organisationId(), query)
                    .compose(
                        patients ->
                            store
                                .messages(pool, user.organisationId(), query)
                                .map(messages -> new SearchResults(rooms, patients, messages))))
        .compose(
            found ->
                audit
                    .recordAlone(
                        AuditEvent.by(user)
                            .with("rooms", found.rooms().size())
                            .with("patients", found.patients().size())
                            .with("messages", found.messages().size())
                            .success("search.run"))
                    .map(found));
  }
}
