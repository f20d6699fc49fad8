package org.konsil.server.outreach;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.konsil.server.testkit.KonsilServer;
import org.konsil.server.testkit.KonsilServer.Session;
import org.konsil.server.testkit.TestDatabase;

/**
 * Many patients of one organisation written straight into the database (as a practice's import
 * would have them), with contact details and permission histories, so that a campaign test need not
 * make hundreds of requests first. Every patient is born on 1941-03-07 with the insurance number
 * A123456789, which no bulk message may ever show.
 */
final class Cohort {

  static final String BIRTH_DATE = "1941-03-07";
  static final String INSURANCE = "A123456789";

  /** One patient to write: the e-mail address, mobile and postcode may be null. */
  record Person(UUID id, String familyName, String email, String mobile, String postcode) {}

  private final KonsilServer server;
  private final Session owner;
  private final UUID organisation;
  private final UUID form;

  Cohort(KonsilServer server, Session owner, UUID organisation) {
    this.server = server;
    this.owner = owner;
    this.organisation = organisation;
    this.form = UUID.randomUUID();
    TestDatabase.execute(
        server.database(),
        "INSERT INTO stored_files (id, media_type, size_bytes, sha256, created_by, created_at)"
            + " VALUES ('"
            + form
            + "', 'application/pdf', 1, '\\x00', '"
            + owner.userId()
            + "', now())");
  }

  /** Writes the patients. */
  void insert(List<Person> people) {
    StringBuilder sql =
        new StringBuilder(
            "INSERT INTO patients (id, organisation_id, family_name, given_name, birth_date,"
                + " insurance_number, created_by, created_at, email, mobile, salutation, street,"
                + " postcode, city) VALUES ");
    for (int i = 0; i < people.size(); i++) {
      Person p = people.get(i);
      sql.append(i == 0 ? "" : ",")
          .append("('")
          .append(p.id())
          .append("','")
          .append(organisation)
          .append("','")
          .append(p.familyName())
          .append("','Erika','")
          .append(BIRTH_DATE)
          .append("','")
          .append(INSURANCE)
          .append("','")
          .append(owner.userId())
          .append("', now(),")
          .append(text(p.email()))
          .append(",")
          .append(text(p.mobile()))
          .append(",'Frau',")
          .append(p.postcode() == null ? "NULL" : "'Lindenallee 5'")
          .append(",")
          .append(text(p.postcode()))
          .append(",")
          .append(p.postcode() == null ? "NULL" : "'Berlin'")
          .append(")");
    }
    TestDatabase.execute(server.database(), sql.toString());
  }

  /** Adds a history entry for each patient: a grant with the signed form, or a withdrawal. */
  void permission(List<UUID> patients, String channel, String purpose, String kind) {
    if (patients.isEmpty()) {
      return;
    }
    StringBuilder sql =
        new StringBuilder(
            "INSERT INTO contact_permissions (id, patient_id, channel, purpose, kind,"
                + " effective_date, source, file_id, recorded_by, recorded_at) VALUES ");
    for (int i = 0; i < patients.size(); i++) {
      boolean grant = "granted".equals(kind);
      sql.append(i == 0 ? "" : ",")
          .append("('")
          .append(UUID.randomUUID())
          .append("','")
          .append(patients.get(i))
          .append("','")
          .append(channel)
          .append("','")
          .append(purpose)
          .append("','")
          .append(kind)
          .append("', current_date, '")
          .append(grant ? "signed_form" : "staff")
          .append("',")
          .append(grant ? "'" + form + "'" : "NULL")
          .append(",'")
          .append(owner.userId())
          .append("', clock_timestamp())");
    }
    TestDatabase.execute(server.database(), sql.toString());
  }

  static List<Person> people(String tag, int count, String domain) {
    List<Person> people = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      people.add(
          new Person(
              UUID.randomUUID(),
              tag + i,
              domain == null ? null : tag.toLowerCase() + i + "@" + domain,
              null,
              "10115"));
    }
    return people;
  }

  static List<UUID> ids(List<Person> people) {
    return people.stream().map(Person::id).toList();
  }

  private static String text(String value) {
    return value == null ? "NULL" : "'" + value.replace("'", "''") + "'";
  }
}
