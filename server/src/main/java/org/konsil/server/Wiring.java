package org.konsil.server;

import ca.uhn.fhir.context.FhirContext;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.konsil.fax.FaxTransport;
import org.konsil.fax.http.HttpFaxTransport;
import org.konsil.fax.smtp.SmtpFaxTransport;
import org.konsil.fax.spool.SpoolFaxTransport;
import org.konsil.server.accounts.AccessTokens;
import org.konsil.server.accounts.LoginService;
import org.konsil.server.accounts.PasswordHasher;
import org.konsil.server.accounts.PasswordService;
import org.konsil.server.accounts.ProfileService;
import org.konsil.server.accounts.SecondFactorService;
import org.konsil.server.accounts.SessionService;
import org.konsil.server.audit.AuditAnchors;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.AuditPruning;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.consent.ConsentDocuments;
import org.konsil.server.consent.ConsentService;
import org.konsil.server.consent.ConsentVersions;
import org.konsil.server.delivery.DeliveryService;
import org.konsil.server.devices.DeviceService;
import org.konsil.server.devices.KeyBackups;
import org.konsil.server.files.FileStore;
import org.konsil.server.http.ShutdownGate;
import org.konsil.server.invitations.InvitationService;
import org.konsil.server.invitations.RegistrationService;
import org.konsil.server.live.LiveEvents;
import org.konsil.server.mailbox.MailboxKeys;
import org.konsil.server.mailbox.MailboxMessages;
import org.konsil.server.mailbox.MailboxRecovery;
import org.konsil.server.mailbox.PatientAccounts;
import org.konsil.server.messaging.AttachmentService;
import org.konsil.server.messaging.MessageHistory;
import org.konsil.server.messaging.MessageWriter;
import org.konsil.server.messaging.MessagingService;
import org.konsil.server.messaging.SystemNotices;
import org.konsil.server.messaging.WebSocketGateway;
import org.konsil.server.notifications.FaxOutbox;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.notifications.MailSender;
import org.konsil.server.notifications.Presence;
import org.konsil.server.notifications.SmsOutbox;
import org.konsil.server.notifications.SmtpMailSender;
import org.konsil.server.notifications.SpoolMailSender;
import org.konsil.server.notifications.UnreadNotifier;
import org.konsil.server.notifications.sms.SmsTransport;
import org.konsil.server.notifications.sms.http.HttpSmsTransport;
import org.konsil.server.notifications.sms.spool.SpoolSmsTransport;
import org.konsil.server.organisations.MemberAdministration;
import org.konsil.server.organisations.OrganisationService;
import org.konsil.server.outreach.AppointmentReminders;
import org.konsil.server.outreach.Appointments;
import org.konsil.server.outreach.CampaignSender;
import org.konsil.server.outreach.Campaigns;
import org.konsil.server.outreach.ContactPermissions;
import org.konsil.server.outreach.OptOuts;
import org.konsil.server.outreach.OutreachProfiles;
import org.konsil.server.patients.PatientService;
import org.konsil.server.records.RecordsService;
import org.konsil.server.rooms.ReadMarkers;
import org.konsil.server.rooms.RegistrationDecisions;
import org.konsil.server.rooms.RoomCreation;
import org.konsil.server.rooms.RoomMembership;
import org.konsil.server.rooms.RoomService;
import org.konsil.server.search.SearchService;

/**
 * Builds every service with its constructor and deploys the HTTP verticles, each with its own
 * {@link ApiRouter} over these services.
 */
public final class Wiring {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Wiring.class);

  private final Vertx vertx;
  private final Pool pool;
  private final KonsilConfig config;
  private final Clock clock;
  private final PrometheusMeterRegistry metrics;
  private final PasswordService passwords;
  private final SessionService sessions;
  private final SecondFactorService secondFactors;
  private final LoginService logins;
  private final ProfileService profiles;
  private final OrganisationService organisations;
  private final RoomService rooms;
  private final RoomCreation roomCreation;
  private final RoomMembership roomMembership;
  private final RegistrationDecisions registrationDecisions;
  private final AuditLog audit;
  private final AuditAnchors auditAnchors;
  private final AuditPruning auditPruning;
  private final PatientService patients;
  private final MemberAdministration memberAdministration;
  private final SearchService search;
  private final FileStore files;
  private final ConsentService consents;
  private final ConsentVersions consentVersions;
  private final ConsentDocuments consentDocuments;
  private final MessagingService messaging;
  private final MessageHistory history;
  private final AttachmentService attachments;
  private final RecordsService records;
  private final MailOutbox mailOutbox;
  private final AtomicInteger openSockets;
  private final FaxOutbox faxOutbox;
  private final SmsOutbox smsOutbox;
  private final DeliveryService deliveries;
  private final Presence presence = new Presence();
  private final ShutdownGate shutdownGate = new ShutdownGate();
  private final UnreadNotifier notifier;
  private final InvitationService invitations;
  private final RegistrationService registrations;
  private final DeviceService devices;
  private final KeyBackups keyBackups;
  private final MailboxKeys mailboxKeys;
  private final PatientAccounts mailboxAccounts;
  private final MailboxMessages mailboxMessages;
  private final ContactPermissions contactPermissions;
  private final MailboxRecovery mailboxRecovery;
  private final Campaigns campaigns;
  private final OptOuts optOuts;
  private final CampaignSender campaignSender;
  private final Appointments appointments;
  private final OutreachProfiles outreachProfiles;
  private final AppointmentReminders appointmentReminders;
  private final List<HttpVerticle> verticles = new CopyOnWriteArrayList<>();
  private String deploymentId;

  public Wiring(
      Vertx vertx,
      Pool pool,
      Pool generic,
      Clock clock,
      KonsilConfig config,
      PrometheusMeterRegistry metrics,
      byte[] tokenSecret) {
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.clock = clock;
    this.metrics = metrics;
    LiveEvents live = new LiveEvents(vertx.eventBus());
    MailSender mailSender =
        config.smtp().isPresent()
            ? new SmtpMailSender(vertx, config.smtp().get(), config.mailFrom())
            : new SpoolMailSender(vertx, config.mailSpoolDir(), config.mailFrom(), clock);
    this.mailOutbox = new MailOutbox(vertx, pool, clock, mailSender, config.outboxGiveUp());
    this.smsOutbox =
        new SmsOutbox(vertx, pool, clock, smsTransport(vertx, config), config.outboxGiveUp());
    this.audit =
        new AuditLog(
            vertx, pool, clock, config.auditKey(), config.auditKeyFile(), config.auditAnchorFile());
    this.auditAnchors =
        new AuditAnchors(
            vertx, pool, clock, config.auditAnchorFile(), config.auditAnchorInterval());
    this.auditPruning = new AuditPruning(vertx, pool, clock, audit);
    AccessTokens tokens = new AccessTokens(vertx, tokenSecret, clock);
    this.passwords =
        new PasswordService(
            vertx,
            pool,
            clock,
            config,
            new PasswordHasher(config.argon2MemoryKib(), config.argon2Iterations()),
            live);
    this.sessions = new SessionService(pool, clock, config, tokens, live, audit);
    this.secondFactors = new SecondFactorService(pool, clock);
    this.logins =
        new LoginService(
            vertx, pool, clock, config, tokens, passwords, secondFactors, sessions, audit);
    this.profiles = new ProfileService(pool);
    this.organisations =
        new OrganisationService(pool, clock, passwords, sessions, mailOutbox, live, audit);
    this.patients = new PatientService(pool, clock, audit);
    this.memberAdministration = new MemberAdministration(pool, audit);
    this.search = new SearchService(pool, audit);
    this.files = new FileStore(vertx, config.dataDir().resolve("files"));
    this.consents =
        new ConsentService(pool, clock, patients, files, audit, new SystemNotices(live));
    this.consentVersions =
        new ConsentVersions(pool, clock, patients, files, audit, organisations, consents);
    this.consentDocuments =
        new ConsentDocuments(vertx, pool, clock, patients, files, audit, organisations);
    this.faxOutbox =
        new FaxOutbox(vertx, pool, clock, faxTransport(vertx, config), config.outboxGiveUp());
    this.invitations =
        new InvitationService(pool, clock, config, mailOutbox, faxOutbox, organisations, audit);
    this.registrations =
        new RegistrationService(
            pool, clock, config, mailOutbox, passwords, organisations, audit, live::toOrganisation);
    this.rooms = new RoomService(pool, audit);
    this.roomMembership =
        new RoomMembership(pool, clock, organisations, patients, consents, audit, live, rooms);
    this.roomCreation = new RoomCreation(pool, clock, patients, audit, invitations, roomMembership);
    this.registrationDecisions =
        new RegistrationDecisions(pool, clock, audit, invitations, rooms, roomMembership);
    // one writer for what users send, text and attachments alike
    MessageWriter writer =
        new MessageWriter(vertx, pool, generic, clock, rooms, invitations, live, metrics);
    this.messaging =
        new MessagingService(
            writer, new ReadMarkers(pool, clock, rooms), live, clock, pool, rooms, audit);
    this.history = new MessageHistory(vertx, pool, clock, rooms, audit);
    this.attachments = new AttachmentService(writer, pool, clock, files, audit);
    this.deliveries =
        new DeliveryService(
            vertx,
            pool,
            clock,
            audit,
            patients,
            files,
            mailOutbox,
            smsOutbox,
            config.dataDir().resolve("deliveries"),
            config.argon2MemoryKib(),
            config.argon2Iterations(),
            config.publicUrl(),
            Math.min(config.attachmentMaxBytes(), 25L * 1_048_576));
    this.records =
        new RecordsService(
            vertx,
            pool,
            clock,
            rooms,
            audit,
            files::path,
            FhirContext.forR4(),
            config.publicUrl(),
            config.dataDir().resolve("exports"),
            patients);
    if (config.benchWithoutDatabase()) {
      LOG.warn(
          "KONSIL_BENCH_WITHOUT_DATABASE is set: text messages are NOT stored (benchmark only)");
      messaging.benchWithoutDatabase();
    }
    this.contactPermissions = new ContactPermissions(pool, clock, patients, files, audit);
    this.campaigns =
        new Campaigns(vertx, pool, clock, audit, contactPermissions, campaignChannels(config));
    this.optOuts =
        new OptOuts(pool, clock, patients, contactPermissions, campaigns, config.publicUrl());
    this.campaignSender =
        new CampaignSender(
            vertx,
            pool,
            clock,
            campaigns,
            contactPermissions,
            mailOutbox,
            smsOutbox,
            optOuts,
            config.campaignRatePerSecond());
    this.appointments = new Appointments(pool, clock, audit, campaigns);
    this.outreachProfiles = new OutreachProfiles(pool, clock, patients, audit);
    this.appointmentReminders =
        new AppointmentReminders(
            vertx,
            pool,
            clock,
            campaigns,
            appointments,
            contactPermissions,
            mailOutbox,
            smsOutbox,
            optOuts,
            java.time.Duration.ofMinutes(1));
    this.devices = new DeviceService(vertx, pool, clock, config.keyDirectory(), audit, live);
    this.keyBackups = new KeyBackups(pool, clock, audit);
    this.mailboxKeys = new MailboxKeys(pool, clock, audit);
    this.mailboxAccounts =
        new PatientAccounts(
            vertx, pool, clock, config, patients, mailOutbox, audit, mailboxKeys, tokenSecret);
    this.mailboxRecovery =
        new MailboxRecovery(vertx, pool, clock, config, mailboxAccounts, mailOutbox, audit);
    this.mailboxMessages =
        new MailboxMessages(
            pool, clock, patients, mailboxKeys, mailOutbox, audit, config.publicUrl());
    this.openSockets = metrics.gauge("konsil.websocket.connections", new AtomicInteger());
    this.notifier =
        new UnreadNotifier(
            vertx,
            pool,
            clock,
            mailOutbox,
            presence,
            config.notifyDelay(),
            config.notifyInterval(),
            config.publicUrl());
  }

  /** Starts once the audit key is known to be the one that sealed the trail; fails otherwise. */
  public Future<Void> start() {
    return audit.open().compose(keyChecked -> startServing());
  }

  private Future<Void> startServing() {
    mailOutbox.start(Duration.ofSeconds(1));
    faxOutbox.start(Duration.ofSeconds(1));
    smsOutbox.start(Duration.ofSeconds(1));
    deliveries.startSweep(Duration.ofMinutes(10));
    notifier.start(Duration.ofSeconds(15));
    campaignSender.start();
    appointmentReminders.start();
    auditAnchors.start();
    records.retentionJob().start();
    ApiRouter router = new ApiRouter(this, config);
    return presence
        .start(vertx, pool)
        .compose(
            registered ->
                vertx.deployVerticle(
                    () -> {
                      HttpVerticle verticle =
                          new HttpVerticle(config, router::build, this::gateway);
                      verticles.add(verticle);
                      return verticle;
                    },
                    new DeploymentOptions().setInstances(config.eventLoopInstances())))
        .map(
            id -> {
              deploymentId = id;
              return null;
            });
  }

  /**
   * Stops in order: new requests answer 503, running ones answer, no new messages, the ones being
   * stored commit, every socket is closed with 1001 after its last acks, and only then the servers
   * close (the database closes after this, in KonsilNode).
   */
  public Future<Void> stop() {
    mailOutbox.stop();
    faxOutbox.stop();
    smsOutbox.stop();
    deliveries.stopSweep();
    notifier.stop();
    campaignSender.stop();
    appointmentReminders.stop();
    records.retentionJob().stop();
    if (deploymentId == null) {
      return auditAnchors.stop();
    }
    // New requests answer 503; the running ones answer before anything below them closes.
    return shutdownGate
        .close()
        .timeout(config.shutdownGrace().toMillis() + 1, java.util.concurrent.TimeUnit.MILLISECONDS)
        .otherwiseEmpty()
        .compose(answered -> messaging.drain(config.shutdownGrace()))
        .compose(
            drained -> Future.join(verticles.stream().map(HttpVerticle::closeSockets).toList()))
        .transform(
            closed -> {
              LOG.info("sockets closed; stopping the servers");
              return vertx
                  .undeploy(deploymentId)
                  .eventually(presence::stop)
                  // after the last request, so that the anchor names the final head of the chain
                  .eventually(auditAnchors::stop);
            });
  }

  public LoginService logins() {
    return logins;
  }

  public PasswordService passwords() {
    return passwords;
  }

  public OrganisationService organisations() {
    return organisations;
  }

  public MemberAdministration memberAdministration() {
    return memberAdministration;
  }

  public RoomService rooms() {
    return rooms;
  }

  public RoomCreation roomCreation() {
    return roomCreation;
  }

  public MessagingService messaging() {
    return messaging;
  }

  public RecordsService records() {
    return records;
  }

  public AuditLog audit() {
    return audit;
  }

  /** Removing audit events after six years: for the operator's command, never run by the server. */
  public AuditPruning auditPruning() {
    return auditPruning;
  }

  public AuditAnchors auditAnchors() {
    return auditAnchors;
  }

  public MailboxKeys mailboxKeys() {
    return mailboxKeys;
  }

  public PatientAccounts mailboxAccounts() {
    return mailboxAccounts;
  }

  public MailboxRecovery mailboxRecovery() {
    return mailboxRecovery;
  }

  public MailboxMessages mailboxMessages() {
    return mailboxMessages;
  }

  public PatientService patients() {
    return patients;
  }

  public SearchService search() {
    return search;
  }

  public ConsentService consents() {
    return consents;
  }

  public ConsentVersions consentVersions() {
    return consentVersions;
  }

  public ConsentDocuments consentDocuments() {
    return consentDocuments;
  }

  public UnreadNotifier notifier() {
    return notifier;
  }

  public Presence presence() {
    return presence;
  }

  public FaxOutbox faxOutbox() {
    return faxOutbox;
  }

  public DeliveryService deliveries() {
    return deliveries;
  }

  /** The SMS outbox every feature sends SMS through. */
  public SmsOutbox smsOutbox() {
    return smsOutbox;
  }

  /** The SMS transport the configuration names: a spool folder or an HTTP gateway. */
  private static SmsTransport smsTransport(Vertx vertx, KonsilConfig config) {
    KonsilConfig.SmsSettings sms = config.sms();
    if (sms.transport().equals("http")) {
      return new HttpSmsTransport(
          WebClient.create(vertx),
          sms.httpUrl().orElseThrow(),
          sms.httpToken().orElseThrow(),
          30_000);
    }
    return new SpoolSmsTransport(vertx, config.smsSpoolDir());
  }

  /**
   * The fax transport the configuration names: a spool folder, an HTTP provider or e-mail-to-fax.
   */
  private static FaxTransport faxTransport(Vertx vertx, KonsilConfig config) {
    KonsilConfig.FaxSettings fax = config.fax();
    return switch (fax.transport()) {
      case "http" ->
          new HttpFaxTransport(
              WebClient.create(vertx),
              fax.httpUrl().orElseThrow(),
              fax.httpToken().orElseThrow(),
              30_000);
      case "smtp" ->
          new SmtpFaxTransport(
              MailClient.createShared(vertx, smtpConfig(config), "konsil-fax-smtp"),
              config.mailFrom(),
              fax.smtpDomain().orElseThrow());
      default -> new SpoolFaxTransport(vertx, config.faxSpoolDir());
    };
  }

  private static MailConfig smtpConfig(KonsilConfig config) {
    KonsilConfig.SmtpSettings smtp =
        config
            .smtp()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "KONSIL_FAX_TRANSPORT=smtp needs KONSIL_SMTP_HOST"));
    return SmtpMailSender.mailConfig(smtp);
  }

  public MailOutbox mailOutbox() {
    return mailOutbox;
  }

  private WebSocketGateway gateway(Vertx vertx) {
    return new WebSocketGateway(
        vertx, sessions, rooms, messaging, history, config, clock, openSockets, presence);
  }

  // What the router of each HTTP verticle needs (see ApiRouter).

  Pool pool() {
    return pool;
  }

  PrometheusMeterRegistry metrics() {
    return metrics;
  }

  ShutdownGate shutdownGate() {
    return shutdownGate;
  }

  SessionService sessions() {
    return sessions;
  }

  SecondFactorService secondFactors() {
    return secondFactors;
  }

  ProfileService profiles() {
    return profiles;
  }

  RoomMembership roomMembership() {
    return roomMembership;
  }

  RegistrationDecisions registrationDecisions() {
    return registrationDecisions;
  }

  MessageHistory history() {
    return history;
  }

  AttachmentService attachments() {
    return attachments;
  }

  FileStore files() {
    return files;
  }

  InvitationService invitations() {
    return invitations;
  }

  RegistrationService registrations() {
    return registrations;
  }

  DeviceService devices() {
    return devices;
  }

  KeyBackups keyBackups() {
    return keyBackups;
  }

  public ContactPermissions contactPermissions() {
    return contactPermissions;
  }

  public Campaigns campaigns() {
    return campaigns;
  }

  public OptOuts optOuts() {
    return optOuts;
  }

  public CampaignSender campaignSender() {
    return campaignSender;
  }

  public Appointments appointments() {
    return appointments;
  }

  public OutreachProfiles outreachProfiles() {
    return outreachProfiles;
  }

  public AppointmentReminders appointmentReminders() {
    return appointmentReminders;
  }

  /**
   * The channels of messages to many patients that reach someone: e-mail only through a real SMTP
   * server and SMS only through a gateway (a spool folder reaches no patient), letters always (they
   * are printed).
   */
  private static java.util.Set<String> campaignChannels(KonsilConfig config) {
    java.util.Set<String> channels = new java.util.HashSet<>();
    channels.add("letter");
    if (config.smtp().isPresent()) {
      channels.add("email");
    }
    if ("http".equals(config.sms().transport())) {
      channels.add("sms");
    }
    return channels;
  }
}
