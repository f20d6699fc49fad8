package org.konsil.server.records;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Resource;
import org.konsil.server.records.RecordRows.ConsentRow;
import org.konsil.server.records.RecordRows.OrganisationRow;
import org.konsil.server.records.RecordRows.PatientRow;
import org.konsil.server.records.RecordRows.RoomRow;
import org.konsil.server.records.RecordRows.SenderRow;

/**
 * Writes one room's record as FHIR resources: its organisations, patient, senders and consents,
 * then its messages and audit events page by page, each page read, turned into resources and
 * written before the next is read, so memory stays flat however long the room is.
 */
final class RoomRecord {

  static final int PAGE = 500;

  private final Vertx vertx;
  private final RecordsStore store;
  private final FileDigests digests;

  RoomRecord(Vertx vertx, RecordsStore store, FileDigests digests) {
    this.vertx = vertx;
    this.store = store;
    this.digests = digests;
  }

  /**
   * Writes the room's resources in the format to the output; resources whose type and id are in
   * {@code written} already are left out (and added to it), so that an export of many rooms names
   * each organisation, patient and person once.
   */
  Future<Void> write(
      RoomRow room,
      FhirRefs refs,
      RecordFormat format,
      Function<Buffer, Future<Void>> out,
      Set<String> written) {
    Future<List<OrganisationRow>> organisations = store.organisations(room);
    Future<List<SenderRow>> senders = store.senders(room.id());
    Future<List<ConsentRow>> consents =
        room.patient() == null
            ? Future.succeededFuture(List.of())
            : store.consents(room.patient().id());
    return Future.all(organisations, senders, consents)
        .compose(
            loaded -> {
              List<UUID> members =
                  organisations.result().stream().map(OrganisationRow::id).toList();
              Map<UUID, SenderRow> byUser =
                  senders.result().stream()
                      .collect(Collectors.toMap(SenderRow::userId, sender -> sender));
              FhirMessages messages = new FhirMessages(room, members, byUser, refs, digests);
              return blocking(
                      () ->
                          format.entries(
                              fresh(
                                  shared(
                                      room,
                                      organisations.result(),
                                      senders.result(),
                                      consents.result(),
                                      refs),
                                  written)))
                  .compose(out)
                  .compose(done -> messages(room, messages, format, out, 0))
                  .compose(done -> audit(room, format, out, 0));
            });
  }

  /**
   * Writes a patient's own resources (the organisation, the patient, every consent version), for an
   * export about the patient that must hold them also when the patient is in no room.
   */
  Future<Void> writePatient(
      PatientRow patient,
      OrganisationRow organisation,
      FhirRefs refs,
      RecordFormat format,
      Function<Buffer, Future<Void>> out,
      Set<String> written) {
    return store
        .consents(patient.id())
        .compose(
            consents ->
                blocking(
                    () -> {
                      List<Resource> resources = new ArrayList<>();
                      resources.add(FhirPeople.organisation(organisation));
                      resources.add(FhirPeople.patient(patient, refs));
                      consents.forEach(
                          row -> resources.add(FhirConsents.consent(row, patient, refs, digests)));
                      return format.entries(fresh(resources, written));
                    }))
        .compose(out);
  }

  private List<Resource> shared(
      RoomRow room,
      List<OrganisationRow> organisations,
      List<SenderRow> senders,
      List<ConsentRow> consents,
      FhirRefs refs) {
    List<Resource> resources = new ArrayList<>();
    organisations.forEach(row -> resources.add(FhirPeople.organisation(row)));
    if (room.patient() != null) {
      resources.add(FhirPeople.patient(room.patient(), refs));
    }
    for (SenderRow sender : senders) {
      resources.add(FhirPeople.practitioner(sender));
      resources.add(FhirPeople.role(sender, refs));
    }
    consents.forEach(
        row -> resources.add(FhirConsents.consent(row, room.patient(), refs, digests)));
    return resources;
  }

  private static List<Resource> fresh(List<Resource> resources, Set<String> written) {
    return resources.stream()
        .filter(r -> written.add(r.fhirType() + "/" + r.getIdElement().getIdPart()))
        .toList();
  }

  private Future<Void> messages(
      RoomRow room,
      FhirMessages messages,
      RecordFormat format,
      Function<Buffer, Future<Void>> out,
      long afterSeq) {
    return store
        .messages(room.id(), afterSeq, PAGE)
        .compose(
            page -> {
              if (page.isEmpty()) {
                return Future.succeededFuture();
              }
              return blocking(
                      () -> format.entries(page.stream().map(messages::communication).toList()))
                  .compose(out)
                  .compose(
                      written ->
                          page.size() < PAGE
                              ? Future.succeededFuture()
                              : messages(
                                  room, messages, format, out, page.get(page.size() - 1).seq()));
            });
  }

  private Future<Void> audit(
      RoomRow room, RecordFormat format, Function<Buffer, Future<Void>> out, long afterId) {
    return store
        .audit(room, afterId, PAGE)
        .compose(
            page -> {
              if (page.isEmpty()) {
                return Future.succeededFuture();
              }
              return blocking(() -> format.entries(page.stream().map(FhirAudit::event).toList()))
                  .compose(out)
                  .compose(
                      written ->
                          page.size() < PAGE
                              ? Future.succeededFuture()
                              : audit(room, format, out, page.get(page.size() - 1).id()));
            });
  }

  /** Encoding and hashing are CPU and disk work: off the event loop, one page at a time. */
  private <T> Future<T> blocking(java.util.concurrent.Callable<T> work) {
    return vertx.executeBlocking(work, true);
  }
}
