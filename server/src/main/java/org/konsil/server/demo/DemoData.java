package org.konsil.server.demo;

import io.vertx.core.Future;
import java.util.List;
import java.util.UUID;
import org.konsil.server.accounts.LoginResult;
import org.konsil.server.accounts.LoginService;
import org.konsil.server.accounts.PasswordService;
import org.konsil.server.consent.ConsentDocuments;
import org.konsil.server.consent.ConsentVersions;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.messaging.MessagingService;
import org.konsil.server.organisations.CreateOrganisationRequest;
import org.konsil.server.organisations.CreatedOrganisation;
import org.konsil.server.organisations.OrganisationService;
import org.konsil.server.patients.PatientService;
import org.konsil.server.rooms.RoomCreation;

/**
 * Seeds two organisations of different kinds with users, a general room, and a patient with a
 * consent on record and a room about her, so that a newcomer sees something real. Runs once; a
 * second start with {@code --demo} finds the data and leaves it.
 */
public final class DemoData {

  public static final String PASSWORD = "konsil-demo-2026";
  static final String PRACTICE_ADMIN = "anna.berger@praxis-am-markt.example";
  static final String PRACTICE_MEMBER = "jonas.keller@praxis-am-markt.example";
  static final String CARE_HOME_ADMIN = "maria.schulz@lindenhof.example";
  static final String CARE_HOME_MEMBER = "tom.weber@lindenhof.example";

  private final LoginService logins;
  private final PasswordService passwords;
  private final OrganisationService organisations;
  private final PatientService patients;
  private final ConsentVersions consentVersions;
  private final ConsentDocuments consentDocuments;
  private final RoomCreation rooms;
  private final MessagingService messaging;

  public DemoData(
      LoginService logins,
      PasswordService passwords,
      OrganisationService organisations,
      PatientService patients,
      ConsentVersions consentVersions,
      ConsentDocuments consentDocuments,
      RoomCreation rooms,
      MessagingService messaging) {
    this.logins = logins;
    this.passwords = passwords;
    this.organisations = organisations;
    this.patients = patients;
    this.consentVersions = consentVersions;
    this.consentDocuments = consentDocuments;
    this.rooms = rooms;
    this.messaging = messaging;
  }

  /** Seeds when missing; answers the text that tells a person how to log in. */
  public Future<String> seed(String publicUrl) {
    return organisations
        .directory("Hausarztpraxis am Markt", "practice", 1)
        .compose(found -> found.isEmpty() ? create() : Future.succeededFuture())
        .map(done -> instructions(publicUrl));
  }

  private Future<Void> create() {
    return organisations
        .createWithAdmin(
            new CreateOrganisationRequest(
                "practice",
                "Hausarztpraxis am Markt",
                "Marktplatz 3",
                "20095",
                "Hamburg",
                "praxis@praxis-am-markt.example",
                "040 5379 81542",
                PRACTICE_ADMIN,
                "Dr. Anna Berger"))
        .compose(
            practice ->
                organisations
                    .createWithAdmin(
                        new CreateOrganisationRequest(
                            "care_home",
                            "Pflegeheim Lindenhof",
                            "Lindenallee 12",
                            "22301",
                            "Hamburg",
                            "pflege@lindenhof.example",
                            "040 2718 2818",
                            CARE_HOME_ADMIN,
                            "Maria Schulz"))
                    .compose(
                        careHome ->
                            setPassword(practice.passwordLink())
                                .compose(v -> setPassword(careHome.passwordLink()))
                                .compose(v -> member(practice, PRACTICE_MEMBER, "Jonas Keller"))
                                .compose(v -> member(careHome, CARE_HOME_MEMBER, "Tom Weber"))
                                .compose(v -> room(careHome))
                                .compose(v -> patientRoom(careHome))));
  }

  private Future<Void> member(CreatedOrganisation created, String email, String name) {
    UUID organisationId = created.organisation().id();
    return organisations
        .addUserWithLink(organisationId, email, name, "member")
        .compose(this::setPassword);
  }

  private Future<Void> room(CreatedOrganisation careHome) {
    UUID careHomeId = careHome.organisation().id();
    return login(PRACTICE_ADMIN)
        .compose(
            anna ->
                rooms
                    .createGeneral(anna, "Abstimmung Hausbesuche Lindenhof", List.of(careHomeId))
                    .compose(
                        room ->
                            messaging
                                .send(
                                    anna,
                                    room.id(),
                                    UUID.randomUUID(),
                                    "Guten Morgen! Ich komme am Donnerstag gegen 10 Uhr zu den"
                                        + " Hausbesuchen. Passt das?")
                                .compose(
                                    ack ->
                                        login(CARE_HOME_ADMIN)
                                            .compose(
                                                maria ->
                                                    messaging.send(
                                                        maria,
                                                        room.id(),
                                                        UUID.randomUUID(),
                                                        "Donnerstag 10 Uhr passt gut, wir"
                                                            + " bereiten alles vor."))))
                    .mapEmpty());
  }

  /**
   * A patient of the practice with a consent on record for the care home and a room about her. The
   * filled-in consent form stands in for the signed scan.
   */
  private Future<Void> patientRoom(CreatedOrganisation careHome) {
    UUID careHomeId = careHome.organisation().id();
    return login(PRACTICE_ADMIN)
        .compose(
            anna ->
                patients
                    .create(
                        anna,
                        "Musterfrau",
                        "Erika",
                        java.time.LocalDate.of(1941, 3, 7),
                        null,
                        null,
                        null,
                        org.konsil.server.patients.PostalAddress.NONE)
                    .compose(
                        patient ->
                            consentDocuments
                                .template(anna, patient.id(), List.of(careHomeId), "de")
                                .compose(
                                    form ->
                                        consentVersions.upload(
                                            anna, patient.id(), List.of(careHomeId), form))
                                .compose(
                                    consent ->
                                        rooms.createForPatient(
                                            anna,
                                            patient.id(),
                                            "Wundversorgung Frau Musterfrau",
                                            List.of(careHomeId),
                                            false))
                                .compose(
                                    room ->
                                        messaging.send(
                                            anna,
                                            room.id(),
                                            UUID.randomUUID(),
                                            "Die Wunde am linken Unterschenkel heilt gut. Bitte"
                                                + " weiter alle zwei Tage den Verband wechseln.")))
                    .mapEmpty());
  }

  private Future<AuthenticatedUser> login(String email) {
    return logins
        .login(email, PASSWORD, "127.0.0.1")
        .map(
            result -> {
              if (result instanceof LoginResult.Authenticated session) {
                return session.user();
              }
              throw new IllegalStateException("a demo user has no second factor");
            });
  }

  private Future<Void> setPassword(String link) {
    String token = link.substring(link.indexOf("#token=") + "#token=".length());
    return passwords.setPassword(token, PASSWORD);
  }

  private static String instructions(String publicUrl) {
    return String.join(
        "\n",
        "Demo data is ready at " + publicUrl + " (password for every demo user: " + PASSWORD + ")",
        "  " + PRACTICE_ADMIN + "  admin of Hausarztpraxis am Markt (practice)",
        "  " + PRACTICE_MEMBER + " member of Hausarztpraxis am Markt",
        "  " + CARE_HOME_ADMIN + "       admin of Pflegeheim Lindenhof (care home)",
        "  " + CARE_HOME_MEMBER + "          member of Pflegeheim Lindenhof",
        "They share a general room and a room about the patient Erika Musterfrau, whose consent"
            + " (the filled-in form) is on record.",
        "Open "
            + publicUrl
            + " in a browser and log in as one of them; log in as someone of the other"
            + " organisation in a second browser (or a private window) to chat.",
        "The API: curl -s -X POST "
            + publicUrl
            + "/api/v1/auth/login -H 'Content-Type: application/json'"
            + " -d '{\"email\":\""
            + PRACTICE_ADMIN
            + "\",\"password\":\""
            + PASSWORD
            + "\"}'");
  }
}
