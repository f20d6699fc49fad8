package org.konsil.bench;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.konsil.server.KonsilNode;
import org.konsil.server.config.KonsilConfig;
import org.konsil.server.organisations.CreateOrganisationRequest;

/**
 * Creates the benchmark's organisations and users through Konsil's own services, against the
 * database the nodes use: one organisation per room, its users are the room's members.
 */
final class Seeder {

  static final String PASSWORD = "benchmark password";

  /** An organisation with its users' e-mail addresses; the first one is its admin. */
  record Org(UUID id, List<String> emails) {}

  private Seeder() {}

  static List<Org> seed(Map<String, String> env, String prefix, int organisations, int members) {
    long started = System.nanoTime();
    try (KonsilNode node = KonsilNode.openForCommand(KonsilConfig.from(env), Clock.systemUTC())) {
      var services = node.wiring();
      List<Org> orgs = new ArrayList<>();
      int batch = 16;
      for (int from = 0; from < organisations; from += batch) {
        List<Future<Org>> pending = new ArrayList<>();
        for (int i = from; i < Math.min(organisations, from + batch); i++) {
          String domain = prefix + "-org" + i + ".bench";
          String admin = "user0@" + domain;
          pending.add(
              services
                  .organisations()
                  .createWithAdmin(
                      new CreateOrganisationRequest(
                          "practice",
                          "Bench " + prefix + " " + i,
                          null,
                          null,
                          "Benchstadt",
                          null,
                          null,
                          admin,
                          "Bench admin " + i))
                  .compose(
                      created -> {
                        UUID id = created.organisation().id();
                        List<String> emails = new ArrayList<>(List.of(admin));
                        Future<Void> chain = setPassword(services, created.passwordLink());
                        for (int m = 1; m < members; m++) {
                          String email = "user" + m + "@" + domain;
                          emails.add(email);
                          chain =
                              chain
                                  .compose(
                                      done ->
                                          services
                                              .organisations()
                                              .addUserWithLink(id, email, "Bench user", "member"))
                                  .compose(link -> setPassword(services, link));
                        }
                        return chain.map(done -> new Org(id, emails));
                      }));
        }
        orgs.addAll(Future.all(pending).await(300, TimeUnit.SECONDS).list());
      }
      System.out.printf(
          "seeded %d organisations with %d users each in %.1f s%n",
          organisations, members, (System.nanoTime() - started) / 1e9);
      return orgs;
    } catch (Exception e) {
      throw new IllegalStateException("seeding failed: " + e.getMessage(), e);
    }
  }

  private static Future<Void> setPassword(org.konsil.server.Wiring services, String link) {
    String token = link.substring(link.indexOf("#token=") + "#token=".length());
    return services.passwords().setPassword(token, PASSWORD);
  }
}
