package org.konsil.server;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.AuditPruning;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.demo.DemoData;
import org.konsil.server.http.ApiException;
import org.konsil.server.organisations.CreateOrganisationRequest;

/**
 * The command line: {@code java -jar konsil.jar} serves, {@code --demo} serves with demo data,
 * {@code create-organisation ...} creates an organisation with its first admin and prints the
 * admin's set-password link.
 */
public final class Main {

  private static final String USAGE =
      String.join(
          "\n",
          "usage:",
          "  java -jar konsil.jar                 start Konsil (settings from KONSIL_* variables)",
          "  java -jar konsil.jar --demo          start Konsil with two demo organisations",
          "  java -jar konsil.jar verify-audit     check the audit trail's keyed chain and anchors",
          "  java -jar konsil.jar prune-audit --before YYYY-MM-DD",
          "         remove audit events older than the six years they are kept (as the schema"
              + " owner)",
          "  java -jar konsil.jar create-organisation --kind KIND --name NAME",
          "         --admin-email EMAIL --admin-name NAME",
          "         [--street S] [--postal-code P] [--city C] [--email E] [--fax F]",
          "      KIND: practice, clinic, rehab, care_service, care_home, pharmacy, therapy,"
              + " insurer, other");

  private Main() {}

  public static void main(String[] args) {
    try {
      int status = run(args);
      if (status != 0) {
        System.exit(status);
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("konsil: " + e.getMessage());
      System.exit(2);
    }
  }

  private static int run(String[] args) {
    if (args.length == 0 || (args.length == 1 && args[0].equals("--demo"))) {
      serve(args.length == 1);
      return 0;
    }
    if (args[0].equals("create-organisation")) {
      return createOrganisation(options(args));
    }
    if (args.length == 1 && args[0].equals("verify-audit")) {
      return verifyAudit();
    }
    if (args[0].equals("prune-audit")) {
      return pruneAudit(options(args));
    }
    System.err.println(USAGE);
    return args[0].equals("help") || args[0].equals("--help") ? 0 : 2;
  }

  private static void serve(boolean demo) {
    KonsilConfig config = KonsilConfig.fromEnvironment();
    KonsilNode node = KonsilNode.start(config, Clock.systemUTC());
    stopOnSignals(node);
    System.out.println(
        "Konsil listens on " + config.publicUrl() + " (health: /health, metrics: /metrics)");
    if (demo) {
      try {
        System.out.println(
            demoData(node.wiring()).seed(config.publicUrl()).await(60, TimeUnit.SECONDS));
      } catch (Exception e) {
        System.err.println("konsil: demo data could not be created: " + e.getMessage());
      }
    }
  }

  /**
   * SIGTERM and SIGINT stop Konsil in order (KonsilNode.close) and end the process with status 0: a
   * requested stop that went well is not a failure for the init system. Any other end of the JVM
   * still closes the node through a shutdown hook.
   */
  private static void stopOnSignals(KonsilNode node) {
    java.util.concurrent.atomic.AtomicBoolean stopping =
        new java.util.concurrent.atomic.AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "konsil-shutdown"));
    for (String name : new String[] {"TERM", "INT"}) {
      sun.misc.Signal.handle(
          new sun.misc.Signal(name),
          signal -> {
            if (stopping.compareAndSet(false, true)) {
              new Thread(
                      () -> {
                        node.close();
                        System.exit(0);
                      },
                      "konsil-stop")
                  .start();
            }
          });
    }
  }

  private static int createOrganisation(Map<String, String> options) {
    CreateOrganisationRequest request;
    try {
      request =
          new CreateOrganisationRequest(
              options.get("kind"),
              options.get("name"),
              options.get("street"),
              options.get("postal-code"),
              options.get("city"),
              options.get("email"),
              options.get("fax"),
              options.get("admin-email"),
              options.get("admin-name"));
    } catch (ApiException e) {
      System.err.println(
          "konsil: "
              + e.detail()
                  .replace("'adminEmail'", "--admin-email")
                  .replace("'adminName'", "--admin-name")
                  .replace("'", "--"));
      System.err.println(USAGE);
      return 2;
    }
    KonsilConfig config = KonsilConfig.fromEnvironment();
    try (KonsilNode node = KonsilNode.openForCommand(config, Clock.systemUTC())) {
      node.wiring().audit().open().await(60, TimeUnit.SECONDS);
      var created =
          node.wiring().organisations().createWithAdmin(request).await(60, TimeUnit.SECONDS);
      System.out.println(
          "Created organisation "
              + created.organisation().name()
              + " ("
              + created.organisation().id()
              + ").");
      System.out.println("The admin sets a password with this one-time link:");
      System.out.println("  " + created.passwordLink());
      return 0;
    } catch (ApiException e) {
      System.err.println("konsil: " + e.detail());
      return 1;
    } catch (java.util.concurrent.TimeoutException e) {
      System.err.println("konsil: the database did not answer in time");
      return 1;
    }
  }

  /**
   * Removes the audit events that happened before the given day (six years ago or earlier) after a
   * checkpoint that keeps the rest verifiable; exit 0 when done or nothing was due, 2 on a bad day,
   * 1 when the trail is broken (nothing is removed then).
   */
  private static int pruneAudit(Map<String, String> options) {
    String day = options.get("before");
    if (day == null) {
      System.err.println("konsil: prune-audit needs --before YYYY-MM-DD");
      System.err.println(USAGE);
      return 2;
    }
    java.time.LocalDate before;
    try {
      before = java.time.LocalDate.parse(day);
    } catch (java.time.format.DateTimeParseException e) {
      System.err.println("konsil: --before must be a day as YYYY-MM-DD, not " + day);
      return 2;
    }
    KonsilConfig config = KonsilConfig.fromEnvironment();
    try (KonsilNode node = KonsilNode.openForCommand(config, Clock.systemUTC())) {
      AuditLog audit = node.wiring().audit();
      audit.open().await(60, TimeUnit.SECONDS);
      AuditPruning pruning = node.wiring().auditPruning();
      if (before.isAfter(pruning.latestAllowed())) {
        System.err.println(
            "konsil: audit events are kept six years; the newest day to prune before is "
                + pruning.latestAllowed());
        return 2;
      }
      AuditPruning.Pruned pruned;
      try {
        pruned = pruning.prune(before, node.owner()).await(600, TimeUnit.SECONDS);
      } catch (IllegalStateException e) {
        System.err.println("konsil: " + e.getMessage());
        return 1;
      }
      if (pruned.throughId() == null) {
        System.out.println("No audit event before " + before + " is left to remove.");
      } else {
        System.out.println(
            "Removed "
                + pruned.removed()
                + " audit events up to event "
                + pruned.throughId()
                + " (before "
                + before
                + "); a checkpoint event keeps the rest of the trail verifiable.");
      }
      return 0;
    } catch (Exception e) {
      System.err.println("konsil: could not prune the audit trail: " + e.getMessage());
      return 1;
    }
  }

  /**
   * Walks the audit chain and checks it against the anchor file; exit 0 when intact, 1 naming each
   * problem and its event otherwise.
   */
  private static int verifyAudit() {
    KonsilConfig config = KonsilConfig.fromEnvironment();
    try (KonsilNode node = KonsilNode.openForCommand(config, Clock.systemUTC())) {
      AuditLog.Verification result = node.wiring().audit().verify().await(600, TimeUnit.SECONDS);
      if (result.intact()) {
        System.out.println("The audit trail is intact: " + result.checked() + " events checked.");
      } else {
        boolean first = true;
        for (AuditLog.Problem problem : result.problems()) {
          String where =
              problem.eventId() == null ? "in the anchor file" : "at event " + problem.eventId();
          System.out.println(
              (first ? "The audit trail is broken " : "Also broken ")
                  + where
                  + ": "
                  + problem.description()
                  + ".");
          first = false;
        }
        if (result.problemCount() > result.problems().size()) {
          System.out.println(
              "... and " + (result.problemCount() - result.problems().size()) + " more problems.");
        }
        System.out.println(result.checked() + " events checked.");
      }
      if (result.prunedThroughId() != null) {
        System.out.println(
            "Events up to "
                + result.prunedThroughId()
                + " were removed after their six years; the chain goes on from the checkpoint"
                + " of that pruning.");
      }
      if (result.legacyEvents() > 0) {
        System.out.println(
            result.legacyEvents()
                + " events predate the audit key (plain SHA-256)"
                + (result.keyedFromId() == null
                    ? "; no keyed event yet."
                    : "; the keyed chain starts at event "
                        + result.keyedFromId()
                        + ", which seals them."));
      }
      if (result.anchorFileFound()) {
        System.out.println(
            "Anchors checked against the chain: "
                + result.anchorsChecked()
                + " ("
                + node.wiring().audit().anchorFile()
                + ").");
      } else {
        System.out.println(
            "No anchor file at "
                + node.wiring().audit().anchorFile()
                + ": set KONSIL_AUDIT_ANCHOR_FILE to the server's anchor file.");
      }
      return result.intact() ? 0 : 1;
    } catch (java.util.concurrent.TimeoutException e) {
      System.err.println("konsil: the database did not answer in time");
      return 1;
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "expected --option value pairs, got " + args[i] + "\n" + USAGE);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }

  static DemoData demoData(Wiring wiring) {
    return new DemoData(
        wiring.logins(),
        wiring.passwords(),
        wiring.organisations(),
        wiring.patients(),
        wiring.consentVersions(),
        wiring.consentDocuments(),
        wiring.roomCreation(),
        wiring.messaging());
  }
}
