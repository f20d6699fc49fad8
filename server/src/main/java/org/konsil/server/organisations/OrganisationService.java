package org.konsil.server.organisations;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.konsil.server.accounts.PasswordService;
import org.konsil.server.accounts.SessionService;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.notifications.MailMessage;
import org.konsil.server.notifications.MailOutbox;

/** The directory of organisations and each organisation's management of its own users. */
public final class OrganisationService {

  private final Pool pool;
  private final Clock clock;
  private final PasswordService passwords;
  private final SessionService sessions;
  private final MailOutbox mail;
  private final LiveEvents live;
  private final AuditLog audit;
  private final OrganisationStore store;

  public OrganisationService(
      Pool pool,
      Clock clock,
      PasswordService passwords,
      SessionService sessions,
      MailOutbox mail,
      LiveEvents live,
      AuditLog audit) {
    this.audit = audit;
    this.pool = pool;
    this.clock = clock;
    this.passwords = passwords;
    this.sessions = sessions;
    this.mail = mail;
    this.live = live;
    this.store = new OrganisationStore(pool);
  }

  /** An operator's act: an active organisation, its first admin, and that admin's password link. */
  public Future<CreatedOrganisation> createWithAdmin(CreateOrganisationRequest request) {
    Organisation organisation =
        new Organisation(
            UUID.randomUUID(),
            request.kind(),
            request.name(),
            blankToNull(request.street()),
            blankToNull(request.postalCode()),
            blankToNull(request.city()),
            blankToNull(request.email()),
            faxOrNull(request.fax()),
            "active",
            false);
    UUID adminId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
        tx ->
            store
                .insertOrganisation(tx, organisation, now)
                .compose(
                    done ->
                        insertNewUser(
                            tx,
                            adminId,
                            organisation.id(),
                            request.adminEmail(),
                            request.adminName(),
                            "admin",
                            now))
                .compose(done -> passwords.issuePasswordLink(tx, adminId))
                .map(link -> new CreatedOrganisation(organisation, adminId, link)));
  }

  public Future<Organisation> view(AuthenticatedUser user) {
    return store.byId(user.organisationId());
  }

  public Future<Organisation> updateSettings(AuthenticatedUser admin, Boolean requireSecondFactor) {
    admin.requireAdmin();
    Future<Void> change =
        requireSecondFactor == null
            ? Future.succeededFuture()
            : store.setRequireSecondFactor(admin.organisationId(), requireSecondFactor);
    return change.compose(done -> store.byId(admin.organisationId()));
  }

  /** Active organisations by name or city, and kind; what a user picks partners from. */
  public Future<List<Organisation>> directory(String query, String kind, int limit) {
    if (kind != null && !Organisation.KINDS.contains(kind)) {
      throw ApiException.validation(
          "'kind' must be one of " + String.join(", ", Organisation.KINDS) + ".");
    }
    String trimmed = query == null || query.isBlank() ? null : query.trim();
    return store.searchActive(trimmed, kind, limit);
  }

  /**
   * Organisations already known under an e-mail address or fax number (E.164), so that an
   * invitation does not create a second one.
   */
  public Future<List<Organisation>> byContact(String email, String fax) {
    return store.byContact(email, fax);
  }

  public Future<List<Organisation>> activeOrganisations(List<UUID> ids) {
    return store.activeByIds(ids);
  }

  public Future<List<Member>> members(AuthenticatedUser admin) {
    admin.requireAdmin();
    return store.members(admin.organisationId());
  }

  /** Adds a user and mails them a set-password link, through the outbox in the same transaction. */
  public Future<Member> addUser(
      AuthenticatedUser admin, String email, String displayName, String role) {
    admin.requireAdmin();
    UUID userId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
        tx ->
            insertNewUser(tx, userId, admin.organisationId(), email, displayName, role, now)
                .compose(done -> passwords.issuePasswordLink(tx, userId))
                .compose(
                    link -> mail.enqueue(tx, welcomeMail(email, admin.organisationName(), link)))
                .compose(done -> audit.record(tx, membership(admin, userId, "user.added")))
                .compose(done -> store.member(tx, admin.organisationId(), userId)));
  }

  /** The first admin of an organisation that registers with an invitation code. */
  public Future<UUID> addFirstAdmin(SqlClient tx, UUID organisationId, String email, String name) {
    UUID userId = UUID.randomUUID();
    return insertNewUser(tx, userId, organisationId, email, name, "admin", Times.now(clock))
        .map(userId);
  }

  /**
   * For operator commands and demo data: adds a user and hands the set-password link back instead
   * of mailing it.
   */
  public Future<String> addUserWithLink(
      UUID organisationId, String email, String displayName, String role) {
    UUID userId = UUID.randomUUID();
    OffsetDateTime now = Times.now(clock);
    return pool.withTransaction(
        tx ->
            insertNewUser(tx, userId, organisationId, email, displayName, role, now)
                .compose(done -> passwords.issuePasswordLink(tx, userId)));
  }

  /** Disables a user of the admin's organisation: sessions end and open sockets close at once. */
  public Future<Member> disableUser(AuthenticatedUser admin, UUID userId) {
    admin.requireAdmin();
    if (admin.userId().equals(userId)) {
      throw ApiException.conflict("cannot_disable_self", "You cannot disable your own account.");
    }
    return pool.withTransaction(
            tx ->
                ownMember(tx, admin, userId)
                    .compose(member -> store.setUserStatus(tx, userId, "disabled"))
                    .compose(done -> sessions.endAllSessions(tx, userId))
                    .compose(done -> audit.record(tx, membership(admin, userId, "user.disabled")))
                    .compose(done -> store.member(tx, admin.organisationId(), userId)))
        .onSuccess(member -> live.userDisabled(userId));
  }

  /**
   * Mails a user of the admin's organisation a new set-password link (a forgotten password, or a
   * first link that expired). Their current sessions go on until the new password is set.
   */
  public Future<Member> sendPasswordLink(AuthenticatedUser admin, UUID userId) {
    admin.requireAdmin();
    return pool.withTransaction(
        tx ->
            ownMember(tx, admin, userId)
                .compose(
                    member -> {
                      if ("disabled".equals(member.status())) {
                        throw ApiException.conflict(
                            "user_disabled", "Enable the user before sending a new link.");
                      }
                      return passwords
                          .issuePasswordLink(tx, userId)
                          .compose(link -> mail.enqueue(tx, passwordLinkMail(member.email(), link)))
                          .map(member);
                    }));
  }

  /** Enables a disabled user again; one who never set a password stays pending. */
  public Future<Member> enableUser(AuthenticatedUser admin, UUID userId) {
    admin.requireAdmin();
    return pool.withTransaction(
        tx ->
            ownMember(tx, admin, userId)
                .compose(member -> store.enableUser(tx, userId))
                .compose(done -> audit.record(tx, membership(admin, userId, "user.enabled")))
                .compose(done -> store.member(tx, admin.organisationId(), userId)));
  }

  private Future<Member> ownMember(SqlClient tx, AuthenticatedUser admin, UUID userId) {
    return store
        .member(tx, admin.organisationId(), userId)
        .map(
            member -> {
              if (member == null) {
                throw ApiException.notFound("No such user in your organisation.");
              }
              return member;
            });
  }

  /** A new user; an address taken already (also by a concurrent request) is a conflict. */
  private Future<Void> insertNewUser(
      SqlClient tx,
      UUID userId,
      UUID organisationId,
      String email,
      String displayName,
      String role,
      OffsetDateTime now) {
    return requireFreeEmail(tx, email)
        .compose(
            free -> store.insertUser(tx, userId, organisationId, email, displayName, role, now))
        .recover(
            failure ->
                Future.failedFuture(
                    failure instanceof PgException pg && "23505".equals(pg.getSqlState())
                        ? emailTaken()
                        : failure));
  }

  private Future<Void> requireFreeEmail(SqlClient tx, String email) {
    return store
        .emailTaken(tx, email)
        .map(
            taken -> {
              if (taken) {
                throw emailTaken();
              }
              return null;
            });
  }

  private static ApiException emailTaken() {
    return ApiException.conflict("email_taken", "A user with this e-mail address exists already.");
  }

  private static AuditEvent membership(AuthenticatedUser admin, UUID userId, String action) {
    return AuditEvent.by(admin).on("user", userId).success(action);
  }

  private static MailMessage welcomeMail(String to, String organisationName, String link) {
    String text =
        "Guten Tag,\n\n"
            + organisationName
            + " hat für Sie einen Zugang zu Konsil eingerichtet. Bitte legen Sie Ihr Passwort"
            + " über diesen Link fest:\n\n"
            + link
            + "\n\nDer Link gilt einmal und läuft ab.\n\n---\n\nHello,\n\n"
            + organisationName
            + " has set up a Konsil account for you. Please choose your password here:\n\n"
            + link
            + "\n\nThe link works once and expires.\n";
    return new MailMessage(to, "Konsil: Zugang einrichten / Set up your account", text);
  }

  private static MailMessage passwordLinkMail(String to, String link) {
    String text =
        "Guten Tag,\n\nüber diesen Link legen Sie ein neues Passwort für Konsil fest:\n\n"
            + link
            + "\n\nDer Link gilt einmal und läuft ab; frühere Links gelten nicht mehr. Wenn Sie"
            + " kein neues Passwort wollten, wenden Sie sich an Ihre Administration.\n\n---\n\n"
            + "Hello,\n\nchoose a new Konsil password here:\n\n"
            + link
            + "\n\nThe link works once and expires; earlier links no longer work. If you did not"
            + " ask for a new password, tell your administrator.\n";
    return new MailMessage(to, "Konsil: Neues Passwort / New password", text);
  }

  /** A fax number in E.164, so that invitations find the organisation by it. */
  private static String faxOrNull(String fax) {
    if (fax == null || fax.isBlank()) {
      return null;
    }
    try {
      return org.konsil.fax.FaxNumber.parse(fax).e164();
    } catch (org.konsil.fax.FaxNumber.InvalidFaxNumberException e) {
      throw new ApiException(422, e.code(), "'fax': " + e.getMessage());
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
