package org.konsil.server.delivery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.konsil.server.accounts.Secrets;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.audit.Refusals;
import org.konsil.server.files.FileStore;
import org.konsil.server.files.MediaType;
import org.konsil.server.files.PrivateFiles;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.notifications.MailOutbox;
import org.konsil.server.notifications.SmsOutbox;
import org.konsil.server.patients.Patient;
import org.konsil.server.patients.PatientService;

/**
 * Secure file delivery from a patient's page (docs/secure-delivery.md): a practice user sends one
 * document to the patient or a third party; the e-mail carries a link with a secret, the file lies
 * encrypted under a key that only that secret together with the verification value yields. Wrong
 * values count toward a lockout of the link (five tries), and the sender is told. Everything is
 * audited; users of other organisations see nothing of it (404).
 */
public final class DeliveryService {

  /** Wrong values a link takes before it is locked. */
  static final int MAX_TRIES = 5;

  static final Set<MediaType> DOCUMENT_TYPES =
      Set.of(MediaType.PDF, MediaType.PNG, MediaType.JPEG, MediaType.DICOM);

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A refusal of a link that opens nothing any more, and why. */
  static ApiException linkRefusal(String state) {
    return switch (state) {
      case "withdrawn" ->
          new ApiException(
              410, "delivery_withdrawn", "This link was replaced by a new one; use the newest.");
      case "downloaded" ->
          new ApiException(
              410, "delivery_downloaded", "The document behind this link was downloaded already.");
      case "locked" ->
          new ApiException(
              423,
              "delivery_locked",
              "This link is locked after too many wrong entries; the sender can send a new one.");
      case "expired" ->
          new ApiException(
              410, "delivery_expired", "This link has expired; the sender can send a new one.");
      default -> ApiException.notFound("No such link.");
    };
  }

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final AuditLog audit;
  private final PatientService patients;
  private final FileStore files;
  private final MailOutbox mail;
  private final SmsOutbox sms;
  private final DeliveryStore store;
  private final Path folder;
  private final DeliveryCrypto.Cost cost;
  private final String publicUrl;
  private final long maxBytes;

  public DeliveryService(
      Vertx vertx,
      Pool pool,
      Clock clock,
      AuditLog audit,
      PatientService patients,
      FileStore files,
      MailOutbox mail,
      SmsOutbox sms,
      Path folder,
      int argon2MemoryKib,
      int argon2Iterations,
      String publicUrl,
      long maxBytes) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.audit = audit;
    this.patients = patients;
    this.files = files;
    this.mail = mail;
    this.sms = sms;
    this.store = new DeliveryStore(pool);
    this.folder = folder;
    this.cost = new DeliveryCrypto.Cost(argon2MemoryKib, argon2Iterations);
    this.publicUrl = publicUrl;
    this.maxBytes = maxBytes;
  }

  public long maxBytes() {
    return maxBytes;
  }

  java.time.Instant clockNow() {
    return clock.instant();
  }

  // ---- the sender's side ----

  /**
   * Sends a document to the patient or a third party; answers the delivery as its sender sees it.
   */
  public Future<Delivery> send(
      AuthenticatedUser user, UUID patientId, SendRequest request, byte[] document) {
    return patients
        .ownPatient(user, patientId)
        .compose(
            patient ->
                store
                    .settings(user.organisationId())
                    .compose(
                        settings -> {
                          Plan plan = plan(patient, settings, request, null);
                          return seal(user, patient, plan, document, null);
                        }));
  }

  /**
   * A new link for a delivery that was not downloaded (locked, expired or still open): the old link
   * opens nothing any more. The server cannot open the old file (it never held the key), so the
   * sender gives the document again; a value typed for the first delivery is typed again.
   */
  public Future<Delivery> reissue(
      AuthenticatedUser user, UUID deliveryId, String typedValue, byte[] document) {
    return own(user, deliveryId, "delivery.reissued")
        .compose(
            old -> {
              if (old.downloadedAt() != null || old.withdrawnAt() != null) {
                return Future.failedFuture(linkRefusal(old.state(clock.instant())));
              }
              return patients
                  .ownPatient(user, old.patientId())
                  .compose(
                      patient ->
                          store
                              .settings(user.organisationId())
                              .compose(
                                  settings -> {
                                    if ("typed".equals(old.valueSource())
                                        && (typedValue == null || typedValue.isBlank())) {
                                      throw new ApiException(
                                          422,
                                          "verification_value_required",
                                          "The first delivery used a value typed for it: type it"
                                              + " again as 'value'.");
                                    }
                                    SendRequest again =
                                        new SendRequest(
                                            old.recipient(),
                                            old.email(),
                                            old.documentKind(),
                                            old.verification(),
                                            "typed".equals(old.valueSource()) ? typedValue : null,
                                            old.smsNumber(),
                                            old.fileName(),
                                            true);
                                    Plan plan = plan(patient, settings, again, old);
                                    return seal(user, patient, plan, document, old);
                                  }));
            });
  }

  /** The patient's deliveries, newest first, for the patient's organisation only. */
  public Future<List<Delivery>> list(AuthenticatedUser user, UUID patientId) {
    return patients.ownPatient(user, patientId).compose(patient -> store.byPatient(patientId));
  }

  public Future<DeliverySettings> settings(AuthenticatedUser user) {
    return store.settings(user.organisationId());
  }

  public Future<DeliverySettings> changeSettings(
      AuthenticatedUser user, DeliverySettings settings) {
    user.requireAdmin();
    return pool.withTransaction(
            tx ->
                store
                    .saveSettings(
                        tx, user.organisationId(), settings, user.userId(), Times.now(clock))
                    .compose(
                        done ->
                            audit.record(
                                tx,
                                AuditEvent.by(user)
                                    .on("organisation", user.organisationId())
                                    .with("verifiedLinkDays", settings.verifiedLinkDays())
                                    .with("smsLinkDays", settings.smsLinkDays())
                                    .with(
                                        "allowUnverifiedInvoices",
                                        settings.allowUnverifiedInvoices())
                                    .success("delivery.settings_changed"))))
        .map(settings);
  }

  /** Everything a delivery is made of, decided before anything is stored. */
  private record Plan(
      String email,
      String verification,
      String value,
      String valueSource,
      String smsNumber,
      String smsCode,
      Duration lifetime,
      SendRequest request) {}

  private Plan plan(Patient patient, DeliverySettings settings, SendRequest r, Delivery old) {
    String email;
    if (r.recipient().equals("patient") && old == null) {
      if (patient.email() == null) {
        throw ApiException.conflict(
            "patient_without_email",
            "The patient has no e-mail address on record; add one or send to a third party.");
      }
      email = patient.email();
    } else {
      email = r.email();
    }
    String value = null;
    String source = null;
    String number = null;
    String code = null;
    Duration lifetime = Duration.ofDays(settings.verifiedLinkDays());
    switch (r.verification()) {
      case "birth_date" -> {
        if (r.typedValue() != null) {
          value = typed(r);
          source = "typed";
        } else {
          value = patient.birthDate().toString();
          source = "record";
        }
      }
      case "insurance_number" -> {
        if (r.typedValue() != null) {
          value = typed(r);
          source = "typed";
        } else if (patient.insuranceNumber() != null) {
          value = VerificationValue.normalise("insurance_number", patient.insuranceNumber());
          source = "record";
        } else {
          throw ApiException.conflict(
              "patient_without_insurance_number",
              "The patient has no insurance number on record; type it in as 'value'.");
        }
      }
      case "sms_code" -> {
        number = r.typedMobile() != null ? r.typedMobile() : patient.mobile();
        if (number == null) {
          throw ApiException.conflict(
              "patient_without_mobile",
              "The patient has no mobile number on record; add one or type it in as 'mobile'.");
        }
        code = String.format("%06d", RANDOM.nextInt(1_000_000));
        value = code;
        lifetime = Duration.ofDays(settings.smsLinkDays());
      }
      default -> {
        // "none": only invoices, only where the organisation allows it, only when confirmed
        if (!r.documentKind().equals("invoice")) {
          throw ApiException.forbidden(
              "verification_required", "Only invoices may be sent without verification.");
        }
        if (!settings.allowUnverifiedInvoices()) {
          throw ApiException.forbidden(
              "unverified_not_allowed",
              "Your organisation does not allow sending invoices without verification.");
        }
        if (!r.confirmUnverified()) {
          throw new ApiException(
              422,
              "confirmation_required",
              "Sending without verification needs 'confirmUnverified=true': anyone with the"
                  + " e-mail can open the document.");
        }
        value = "";
      }
    }
    return new Plan(email, r.verification(), value, source, number, code, lifetime, r);
  }

  private static String typed(SendRequest r) {
    String value = VerificationValue.normalise(r.verification(), r.typedValue());
    if (value == null) {
      throw ApiException.validation(
          r.verification().equals("birth_date")
              ? "'value' must be a birth date like 1950-04-23 or 23.04.1950."
              : "'value' must be an insurance number of 5 to 30 letters and digits.");
    }
    return value;
  }

  /** Checks the document, seals it, writes the row, the mail, the SMS and the audit event. */
  private Future<Delivery> seal(
      AuthenticatedUser user, Patient patient, Plan plan, byte[] document, Delivery old) {
    UUID id = UUID.randomUUID();
    String secret = Secrets.newToken();
    byte[] salt = Secrets.randomBytes(DeliveryCrypto.SALT_BYTES);
    byte[] nonce = Secrets.randomBytes(DeliveryCrypto.NONCE_BYTES);
    Path file = folder.resolve(id.toString());
    OffsetDateTime now = Times.now(clock);
    OffsetDateTime expires = Times.at(clock.instant().plus(plan.lifetime()));
    Map<String, Object> row = new HashMap<>();
    row.put("id", id);
    row.put("org", user.organisationId());
    row.put("patient", patient.id());
    row.put("by", user.userId());
    row.put("now", now);
    row.put("recipient", plan.request().recipient());
    row.put("email", plan.email());
    row.put("kind", plan.request().documentKind());
    row.put("verification", plan.verification());
    row.put("source", plan.valueSource());
    row.put("sms", plan.smsNumber());
    row.put("hash", Buffer.buffer(Secrets.hash(secret)));
    row.put("salt", Buffer.buffer(salt));
    row.put("memory", cost.memoryKib());
    row.put("iterations", cost.iterations());
    row.put("nonce", Buffer.buffer(nonce));
    row.put("size", (long) document.length);
    row.put("name", plan.request().fileName());
    row.put("expires", expires);
    row.put("reissueOf", old == null ? null : old.id());
    return files
        .checkInMemory(document, DOCUMENT_TYPES, maxBytes)
        .compose(
            type ->
                vertx.executeBlocking(
                    () -> {
                      byte[] key = DeliveryCrypto.key(id, secret, plan.value(), salt, cost);
                      PrivateFiles.folder(folder);
                      PrivateFiles.write(file, DeliveryCrypto.seal(id, key, nonce, document));
                      row.put("type", type.mime());
                      return type;
                    }))
        .compose(type -> store.organisationName(user.organisationId()))
        .compose(
            organisation ->
                pool.withTransaction(
                    tx -> record(tx, user, patient, plan, row, secret, organisation, old)))
        .recover(failure -> discard(file).compose(done -> Future.failedFuture(failure)))
        .compose(done -> store.byId(id));
  }

  /** The row, the old link withdrawn, the mail, the SMS and the audit event, in one transaction. */
  private Future<Void> record(
      io.vertx.sqlclient.SqlClient tx,
      AuthenticatedUser user,
      Patient patient,
      Plan plan,
      Map<String, Object> row,
      String secret,
      String organisation,
      Delivery old) {
    UUID id = (UUID) row.get("id");
    OffsetDateTime expires = (OffsetDateTime) row.get("expires");
    Future<Void> withdrawn =
        old == null
            ? Future.succeededFuture()
            : store
                .withdraw(tx, old.id(), (OffsetDateTime) row.get("now"))
                .compose(
                    done ->
                        done
                            ? Future.<Void>succeededFuture()
                            : Future.failedFuture(linkRefusal("downloaded")));
    Future<Long> smsId =
        withdrawn
            .compose(done -> store.insert(tx, row))
            .compose(
                done ->
                    plan.smsNumber() == null
                        ? Future.succeededFuture(null)
                        : sms.enqueue(
                            tx,
                            user.organisationId(),
                            plan.smsNumber(),
                            DeliveryTexts.codeSms(organisation, plan.smsCode()),
                            "delivery_code"));
    return smsId
        .compose(
            sent ->
                mail.enqueueTracked(
                        tx,
                        DeliveryTexts.linkMail(
                            plan.email(),
                            organisation,
                            publicUrl + "/download#" + secret,
                            plan.verification(),
                            expires))
                    .compose(mailId -> store.setOutbox(tx, id, mailId, sent)))
        .compose(
            done ->
                audit.record(
                    tx,
                    AuditEvent.by(user)
                        .on("delivery", id)
                        .with("patient", patient.id())
                        .with("recipient", plan.request().recipient())
                        .with("verification", plan.verification())
                        .with("documentKind", plan.request().documentKind())
                        .with("reissueOf", old == null ? null : old.id())
                        .success(old == null ? "delivery.created" : "delivery.reissued")));
  }

  private Future<Void> discard(Path file) {
    return vertx.executeBlocking(
        () -> {
          Files.deleteIfExists(file);
          return null;
        });
  }

  /** The delivery if it belongs to the user's organisation; anything else is 404 (audited). */
  private Future<Delivery> own(AuthenticatedUser user, UUID deliveryId, String action) {
    return store
        .byId(deliveryId)
        .compose(
            delivery -> {
              if (delivery != null && delivery.organisationId().equals(user.organisationId())) {
                return Future.succeededFuture(delivery);
              }
              return Refusals.record(
                      audit,
                      AuditEvent.by(user).on("delivery", deliveryId),
                      action,
                      delivery == null ? null : delivery.organisationId())
                  .transform(
                      done -> Future.failedFuture(ApiException.notFound("No such delivery.")));
            });
  }

  // ---- the sealed files ----

  private long sweepTimer = -1;

  /** Removes, every interval, the sealed files that can never be opened any more. */
  public void startSweep(Duration interval) {
    sweepTimer = vertx.setPeriodic(interval.toMillis(), id -> sweep());
  }

  public void stopSweep() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
  }

  /**
   * Deletes the sealed files of deliveries that were downloaded, locked, replaced or expired (their
   * key is gone with the link, they only take space), and files without a row that are older than
   * an hour (a send that failed after writing its file); answers how many it deleted.
   */
  public Future<Integer> sweep() {
    return vertx
        .executeBlocking(
            () -> {
              if (!Files.isDirectory(folder)) {
                return java.util.Map.<UUID, java.time.Instant>of();
              }
              java.util.Map<UUID, java.time.Instant> found = new java.util.HashMap<>();
              try (var files = Files.list(folder)) {
                for (Path file : files.toList()) {
                  try {
                    found.put(
                        UUID.fromString(file.getFileName().toString()),
                        Files.getLastModifiedTime(file).toInstant());
                  } catch (IllegalArgumentException notOurs) {
                    // not a delivery's file: left alone
                  }
                }
              }
              return found;
            })
        .compose(
            found -> {
              if (found.isEmpty()) {
                return Future.succeededFuture(0);
              }
              List<UUID> ids = List.copyOf(found.keySet());
              return store
                  .doneWith(ids, Times.now(clock))
                  .compose(
                      done ->
                          store
                              .known(ids)
                              .map(
                                  known -> {
                                    java.util.Set<UUID> remove = new java.util.HashSet<>(done);
                                    java.time.Instant hourAgo =
                                        java.time.Instant.now().minus(Duration.ofHours(1));
                                    found.forEach(
                                        (id, written) -> {
                                          if (!known.contains(id) && written.isBefore(hourAgo)) {
                                            remove.add(id);
                                          }
                                        });
                                    return remove;
                                  }))
                  .compose(
                      remove ->
                          vertx.executeBlocking(
                              () -> {
                                int deleted = 0;
                                for (UUID id : remove) {
                                  if (Files.deleteIfExists(folder.resolve(id.toString()))) {
                                    deleted++;
                                  }
                                }
                                return deleted;
                              }));
            });
  }

  // ---- the recipient's side (no login) ----

  /** What the download page shows before the value is typed: who sent it, what it asks for. */
  public Future<JsonObject> open(String token) {
    return find(token)
        .map(
            found ->
                new JsonObject()
                    .put("organisation", found.key().organisationName())
                    .put("verification", found.delivery().verification())
                    .put("expiresAt", Times.iso(found.delivery().expiresAt()))
                    .put("attemptsLeft", MAX_TRIES - found.delivery().failedAttempts()));
  }

  /** A document opened with the right value, once. */
  public record Opened(String mediaType, String fileName, byte[] bytes) {}

  /**
   * Opens the document with the value: a wrong one takes one of the five tries (the fifth locks the
   * link and tells the sender); the right one marks the link downloaded and removes the file.
   */
  public Future<Opened> download(String token, String typedValue) {
    return find(token)
        .compose(
            found -> {
              Delivery delivery = found.delivery();
              UUID id = delivery.id();
              String value = VerificationValue.normalise(delivery.verification(), typedValue);
              return pool.withTransaction(tx -> store.takeTry(tx, id, Times.now(clock), MAX_TRIES))
                  .compose(
                      taken -> {
                        if (taken == null) {
                          // the state changed since it was read, or all tries are in use
                          return store
                              .byId(id)
                              .compose(
                                  now -> {
                                    String state = now.state(clock.instant());
                                    return Future.failedFuture(
                                        linkRefusal(state.equals("open") ? "locked" : state));
                                  });
                        }
                        return (value == null
                                ? Future.<byte[]>succeededFuture(null)
                                : vertx.executeBlocking(
                                    () -> {
                                      byte[] key =
                                          DeliveryCrypto.key(
                                              id,
                                              token,
                                              value,
                                              found.key().salt(),
                                              found.key().cost());
                                      Path file = folder.resolve(id.toString());
                                      if (!Files.exists(file)) {
                                        return null;
                                      }
                                      return DeliveryCrypto.open(
                                          id, key, found.key().nonce(), Files.readAllBytes(file));
                                    }))
                            .compose(
                                plain ->
                                    plain == null
                                        ? wrong(delivery, taken)
                                        : opened(delivery, plain));
                      });
            });
  }

  private Future<Opened> opened(Delivery delivery, byte[] plain) {
    UUID id = delivery.id();
    return pool.withTransaction(
            tx ->
                store
                    .downloaded(tx, id, Times.now(clock))
                    .compose(
                        done -> {
                          if (!done) {
                            return Future.failedFuture(linkRefusal("downloaded"));
                          }
                          return audit.record(
                              tx,
                              AuditEvent.by(null, null)
                                  .forOrganisation(delivery.organisationId())
                                  .on("delivery", id)
                                  .with("patient", delivery.patientId())
                                  .success("delivery.downloaded"));
                        }))
        .compose(done -> discard(folder.resolve(id.toString())))
        .map(done -> new Opened(delivery.mediaType(), delivery.fileName(), plain));
  }

  private <T> Future<T> wrong(Delivery delivery, int taken) {
    UUID id = delivery.id();
    boolean last = taken >= MAX_TRIES;
    return pool.withTransaction(
            tx ->
                audit
                    .record(
                        tx,
                        AuditEvent.by(null, null)
                            .forOrganisation(delivery.organisationId())
                            .on("delivery", id)
                            .with("try", taken)
                            .denied("delivery.verification_failed"))
                    .compose(
                        done ->
                            !last
                                ? Future.succeededFuture()
                                : store
                                    .lock(tx, id, Times.now(clock))
                                    .compose(
                                        locked ->
                                            audit.record(
                                                tx,
                                                AuditEvent.by(null, null)
                                                    .forOrganisation(delivery.organisationId())
                                                    .on("delivery", id)
                                                    .with("patient", delivery.patientId())
                                                    .success("delivery.locked")))
                                    .compose(done2 -> store.senderEmail(delivery.createdBy()))
                                    .compose(
                                        sender ->
                                            sender == null
                                                ? Future.succeededFuture()
                                                : mail.enqueue(
                                                    tx,
                                                    DeliveryTexts.lockedMail(sender, publicUrl)))))
        .transform(
            done -> {
              if (done.failed()) {
                return Future.failedFuture(done.cause());
              }
              if (last) {
                return Future.failedFuture(linkRefusal("locked"));
              }
              int left = MAX_TRIES - taken;
              return Future.failedFuture(
                  new ApiException(
                      403,
                      "wrong_verification",
                      "That is not the value this document was sealed with; "
                          + left
                          + " tries left.",
                      null,
                      new JsonObject().put("attemptsLeft", left)));
            });
  }

  private record Found(Delivery delivery, DeliveryStore.KeyMaterial key) {}

  /** The delivery behind a link's secret, if it can still be opened; else the reason it cannot. */
  private Future<Found> find(String token) {
    if (token == null || !token.matches("[A-Za-z0-9_-]{43}")) {
      return Future.failedFuture(ApiException.notFound("No such link."));
    }
    return store
        .keyMaterial(Secrets.hash(token))
        .compose(
            material -> {
              if (material == null) {
                return Future.failedFuture(ApiException.notFound("No such link."));
              }
              return store
                  .byId(material.id())
                  .compose(
                      delivery -> {
                        String state = delivery.state(clock.instant());
                        if (!state.equals("open")) {
                          return Future.failedFuture(linkRefusal(state));
                        }
                        return Future.succeededFuture(new Found(delivery, material));
                      });
            });
  }
}
