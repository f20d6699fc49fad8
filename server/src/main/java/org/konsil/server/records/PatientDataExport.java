package org.konsil.server.records;

import ca.uhn.fhir.context.FhirContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.konsil.server.audit.AuditEvent;
import org.konsil.server.audit.AuditLog;
import org.konsil.server.files.PrivateFiles;
import org.konsil.server.identity.AuthenticatedUser;
import org.konsil.server.patients.PatientService;
import org.konsil.server.records.RecordRows.FileRow;
import org.konsil.server.records.RecordRows.PatientRow;

/**
 * Everything Konsil holds about one patient (GDPR Art. 15 and 20) as a ZIP: {@code
 * patient.fhir.json}, one FHIR Bundle with the patient, every consent version and every room about
 * the patient, whose attachments point into {@code files/}, and the original documents there. Made
 * into a private file under the data folder (memory stays flat), sent, and deleted.
 */
public final class PatientDataExport {

  /** A finished archive, to be sent and then deleted. */
  public record Archive(Path path, String fileName) {}

  private final Vertx vertx;
  private final Clock clock;
  private final PatientService patients;
  private final AuditLog audit;
  private final RecordsStore store;
  private final RoomRecord roomRecord;
  private final FhirContext fhir;
  private final String publicUrl;
  private final Function<UUID, Path> files;
  private final Path folder;

  PatientDataExport(
      Vertx vertx,
      Clock clock,
      PatientService patients,
      AuditLog audit,
      RecordsStore store,
      RoomRecord roomRecord,
      FhirContext fhir,
      String publicUrl,
      Function<UUID, Path> files,
      Path folder) {
    this.vertx = vertx;
    this.clock = clock;
    this.patients = patients;
    this.audit = audit;
    this.store = store;
    this.roomRecord = roomRecord;
    this.fhir = fhir;
    this.publicUrl = publicUrl;
    this.files = files;
    this.folder = folder;
  }

  /** The archive, for an administrator of the patient's organisation; others get 404 (audited). */
  public Future<Archive> make(AuthenticatedUser user, UUID patientId) {
    user.requireAdmin();
    return patients
        .ownPatient(user, patientId)
        .compose(own -> store.patient(patientId))
        .compose(
            patient -> {
              Path path = folder.resolve("access-" + UUID.randomUUID() + ".zip");
              return blocking(() -> open(path))
                  .compose(
                      zip ->
                          write(patient, zip)
                              .eventually(() -> blocking(() -> close(zip)))
                              .onFailure(e -> vertx.fileSystem().delete(path.toString())))
                  .compose(
                      written ->
                          audit.recordAlone(
                              AuditEvent.by(user)
                                  .on("patient", patientId)
                                  .with("rooms", written.get(0))
                                  .with("files", written.get(1))
                                  .success("patient.data_exported")))
                  .map(done -> new Archive(path, "patient-" + patientId + ".zip"));
            });
  }

  /** Writes the bundle and the documents; answers the numbers of rooms and files. */
  private Future<List<Integer>> write(PatientRow patient, ZipOutputStream zip) {
    FhirRefs refs = FhirRefs.forArchive(publicUrl);
    BundleFormat format = new BundleFormat(fhir, UUID.randomUUID(), clock.instant());
    Function<Buffer, Future<Void>> out =
        chunk ->
            blocking(
                () -> {
                  zip.write(chunk.getBytes());
                  return null;
                });
    Set<String> written = new HashSet<>();
    return blocking(
            () -> {
              zip.putNextEntry(new ZipEntry("patient.fhir.json"));
              return null;
            })
        .compose(entry -> out.apply(format.head()))
        .compose(done -> store.organisation(patient.organisation()))
        .compose(owner -> roomRecord.writePatient(patient, owner, refs, format, out, written))
        .compose(done -> store.patientRooms(patient.id()))
        .compose(rooms -> rooms(rooms, 0, refs, format, out, written).map(rooms.size()))
        .compose(rooms -> out.apply(format.tail()).map(rooms))
        .compose(
            rooms ->
                store
                    .patientFiles(patient.id())
                    .compose(documents -> blocking(() -> copy(documents, zip)))
                    .map(copied -> List.of(rooms, copied)));
  }

  private Future<Void> rooms(
      List<UUID> rooms,
      int index,
      FhirRefs refs,
      BundleFormat format,
      Function<Buffer, Future<Void>> out,
      Set<String> written) {
    if (index == rooms.size()) {
      return Future.succeededFuture();
    }
    return store
        .room(rooms.get(index))
        .compose(room -> roomRecord.write(room, refs, format, out, written))
        .compose(done -> rooms(rooms, index + 1, refs, format, out, written));
  }

  /** Blocking. */
  private ZipOutputStream open(Path path) throws IOException {
    PrivateFiles.folder(folder);
    PrivateFiles.createFile(path);
    OutputStream file = Files.newOutputStream(path);
    return new ZipOutputStream(file);
  }

  /** Copies the documents into {@code files/}; answers how many. Blocking. */
  private int copy(List<FileRow> documents, ZipOutputStream zip) throws IOException {
    zip.closeEntry();
    int copied = 0;
    for (FileRow document : documents) {
      Path source = files.apply(document.id());
      try (InputStream in = Files.newInputStream(source)) {
        zip.putNextEntry(new ZipEntry(FhirRefs.archivePath(document)));
        in.transferTo(zip);
        zip.closeEntry();
        copied++;
      } catch (NoSuchFileException e) {
        // gone from the file store: the bundle still describes it, with its size and hash
      }
    }
    return copied;
  }

  private Void close(ZipOutputStream zip) {
    try {
      zip.close();
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work, true);
  }
}
