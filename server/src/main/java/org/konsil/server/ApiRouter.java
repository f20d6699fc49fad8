package org.konsil.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.konsil.server.accounts.AccountRoutes;
import org.konsil.server.accounts.Authenticator;
import org.konsil.server.audit.AuditRoutes;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.consent.ConsentRoutes;
import org.konsil.server.delivery.DeliveryRoutes;
import org.konsil.server.devices.DeviceRoutes;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.ControlCharacters;
import org.konsil.server.http.Problems;
import org.konsil.server.http.RouteTable;
import org.konsil.server.http.SecurityHeaders;
import org.konsil.server.http.WebClientFiles;
import org.konsil.server.invitations.InvitationRoutes;
import org.konsil.server.mailbox.PatientMailboxRoutes;
import org.konsil.server.mailbox.StaffMailboxRoutes;
import org.konsil.server.messaging.AttachmentRoutes;
import org.konsil.server.messaging.MessageRoutes;
import org.konsil.server.notifications.FaxCallbackRoutes;
import org.konsil.server.organisations.OrganisationRoutes;
import org.konsil.server.outreach.AppointmentRoutes;
import org.konsil.server.outreach.CampaignRoutes;
import org.konsil.server.outreach.ContactPermissionRoutes;
import org.konsil.server.outreach.OutreachProfileRoutes;
import org.konsil.server.patients.PatientRoutes;
import org.konsil.server.records.RecordsRoutes;
import org.konsil.server.rooms.RoomInvitationRoutes;
import org.konsil.server.rooms.RoomRoutes;
import org.konsil.server.search.SearchRoutes;

/**
 * The HTTP router of one event loop: security headers and the shutdown gate, health and metrics,
 * the browser client's files, and below /api/v1 the body, authentication and every feature's
 * routes, over the services {@link Wiring} built.
 */
final class ApiRouter {

  private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

  /** Paths of the browser client that mails, letters and bookmarks point to. */
  private static final List<String> WEB_PAGES =
      List.of("/", "/register", "/set-password", "/mailbox", "/download", "/opt-out");

  private final Wiring services;
  private final KonsilConfig config;
  private final WebClientFiles webClient = WebClientFiles.load();

  ApiRouter(Wiring services, KonsilConfig config) {
    this.services = services;
    this.config = config;
  }

  /** A new router for one HTTP verticle; the services behind it are shared. */
  Router build(Vertx vertx) {
    Router root = Router.router(vertx);
    root.route().handler(SecurityHeaders::apply);
    root.route().handler(services.shutdownGate()::handle);
    HealthChecks checks =
        HealthChecks.create(vertx)
            .register(
                "database",
                2_000,
                promise ->
                    services
                        .pool()
                        .query("SELECT 1")
                        .execute()
                        .onComplete(
                            result ->
                                promise.complete(result.succeeded() ? Status.OK() : Status.KO())));
    root.get("/health").handler(HealthCheckHandler.createWithHealthChecks(checks));
    root.get("/metrics").handler(PrometheusScrapingHandler.create(services.metrics()));
    // The browser client (module web-ui): its pages are one document; the paths that mails and
    // letters link to load it too.
    for (String page : WEB_PAGES) {
      root.get(page).handler(ctx -> ctx.reroute("/index.html"));
    }
    Router api = Router.router(vertx);
    RouteTable apiRoutes = new RouteTable(api, "/api/v1");
    // before the body is read: a refused upload stores nothing
    api.route().handler(ControlCharacters::refuse);
    api.route().handler(apiRoutes::refuseUnknownQuery);
    BodyHandler bodies =
        BodyHandler.create()
            .setBodyLimit(config.httpMaxBodyBytes())
            .setHandleFileUploads(false)
            .setDeleteUploadedFilesOnEnd(true);
    // Documents are streamed to the file store by their routes, never held in memory here.
    api.route()
        .handler(
            ctx -> {
              String method = ctx.request().method().name();
              String path = ctx.request().path();
              if (ConsentRoutes.streamsBody(method, path)
                  || ContactPermissionRoutes.streamsBody(method, path)
                  || DeliveryRoutes.streamsBody(method, path)) {
                // held back until the route, after authentication, streams it to the file store
                ctx.request().pause();
                ctx.next();
              } else {
                bodies.handle(ctx);
              }
            });
    api.route().handler(ApiRouter::requireJsonBody);
    Authenticator authenticator = new Authenticator(services.sessions());
    api.route().handler(authenticator::handle);
    mountFeatures(api);
    // below /api/v1 nothing falls through to the web client's files: 404, or 405 with Allow
    api.route().handler(apiRoutes::notFound);
    root.route("/api/v1/*").subRouter(api);
    // the page and the files under hashed names (cached for good); the plain names still answer
    root.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(webClient::handle);
    root.route("/*")
        .method(HttpMethod.GET)
        .method(HttpMethod.HEAD)
        .handler(
            StaticHandler.create("webroot")
                .setCachingEnabled(false)
                .setDirectoryListing(false)
                .setIncludeHidden(false)
                .setDefaultContentEncoding("UTF-8"));

    root.route().failureHandler(Problems::handle);
    api.route().failureHandler(Problems::handle);
    root.errorHandler(404, Problems::handle);
    RouteTable rootRoutes = new RouteTable(root, "");
    root.errorHandler(
        405,
        ctx -> {
          rootRoutes.allowHeader(ctx);
          Problems.handle(ctx);
        });
    return root;
  }

  /** Every feature's sub-routes below /api/v1, after authentication. */
  private void mountFeatures(Router api) {
    new AccountRoutes(
            services.logins(),
            services.sessions(),
            services.passwords(),
            services.secondFactors(),
            services.profiles(),
            config.sessionTtl(),
            config.publicUrl())
        .mount(api);
    new OrganisationRoutes(services.organisations(), services.memberAdministration()).mount(api);
    new RoomRoutes(services.rooms(), services.roomCreation(), services.roomMembership()).mount(api);
    new MessageRoutes(services.messaging(), services.history()).mount(api);
    new PatientRoutes(services.patients()).mount(api);
    new SearchRoutes(services.search()).mount(api);
    new ConsentRoutes(services.consentVersions(), services.consentDocuments(), services.consents())
        .mount(api);
    new AttachmentRoutes(
            services.attachments(), services.rooms(), services.files(), config.attachmentMaxBytes())
        .mount(api);
    new AuditRoutes(services.audit()).mount(api);
    new RecordsRoutes(services.records()).mount(api);
    new RoomInvitationRoutes(
            services.invitations(), services.rooms(), services.registrationDecisions())
        .mount(api);
    new InvitationRoutes(services.invitations(), services.registrations()).mount(api);
    new DeviceRoutes(services.devices(), services.keyBackups()).mount(api);
    new PatientMailboxRoutes(
            services.mailboxAccounts(),
            services.mailboxMessages(),
            services.mailboxKeys(),
            services.mailboxRecovery(),
            config.httpMaxBodyBytes())
        .mount(api);
    new StaffMailboxRoutes(
            services.mailboxAccounts(),
            services.mailboxMessages(),
            services.mailboxKeys(),
            config.httpMaxBodyBytes())
        .mount(api);
    new ContactPermissionRoutes(services.contactPermissions()).mount(api);
    new DeliveryRoutes(services.deliveries()).mount(api);
    new CampaignRoutes(services.campaigns(), services.optOuts()).mount(api);
    new AppointmentRoutes(services.appointments()).mount(api);
    new OutreachProfileRoutes(services.outreachProfiles()).mount(api);
    config
        .fax()
        .callbackSecret()
        .ifPresent(secret -> new FaxCallbackRoutes(services.faxOutbox(), secret).mount(api));
  }

  private static void requireJsonBody(RoutingContext ctx) {
    if (BODY_METHODS.contains(ctx.request().method().name())
        && ctx.body() != null
        && ctx.body().length() > 0) {
      String type = ctx.request().getHeader("Content-Type");
      if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
        ctx.fail(
            new ApiException(415, "unsupported_media_type", "Send the body as application/json."));
        return;
      }
    }
    ctx.next();
  }
}
