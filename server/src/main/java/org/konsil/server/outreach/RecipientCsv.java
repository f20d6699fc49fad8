package org.konsil.server.outreach;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.konsil.server.http.ApiException;
import org.konsil.server.http.Times;

/**
 * Patient ids from a CSV (one per line, the first column; an optional header line), and the
 * recipient list as CSV for export. A CSV with any bad line is refused as a whole with every error
 * by line: {@code malformed}, {@code unknown_patient} (also for another organisation's patient,
 * worded exactly the same) or {@code duplicate}.
 */
final class RecipientCsv {

  private record Line(int number, UUID id) {}

  private final List<Line> lines;
  private final List<JsonObject> errors;

  private RecipientCsv(List<Line> lines, List<JsonObject> errors) {
    this.lines = lines;
    this.errors = errors;
  }

  static RecipientCsv parse(String text, int maxLines) {
    List<Line> lines = new ArrayList<>();
    List<JsonObject> errors = new ArrayList<>();
    String[] rows = text.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1);
    int count = 0;
    for (int i = 0; i < rows.length; i++) {
      String row = rows[i].strip();
      if (row.isEmpty()) {
        continue;
      }
      String first = row.split("[,;\t]", -1)[0].strip();
      if (first.length() >= 2 && first.startsWith("\"") && first.endsWith("\"")) {
        first = first.substring(1, first.length() - 1).strip();
      }
      if (count == 0
          && lines.isEmpty()
          && errors.isEmpty()
          && first.matches("(?i)[a-z _-]{1,40}")) {
        continue; // a header line such as "patient_id"
      }
      count++;
      if (count > maxLines) {
        throw ApiException.validation("The CSV may hold at most " + maxLines + " patient ids.");
      }
      try {
        if (first.length() != 36) {
          throw new IllegalArgumentException();
        }
        lines.add(new Line(i + 1, UUID.fromString(first)));
      } catch (IllegalArgumentException e) {
        errors.add(error(i + 1, "malformed", "This is not a patient id."));
      }
    }
    if (lines.isEmpty() && errors.isEmpty()) {
      throw ApiException.validation("The CSV holds no patient id.");
    }
    return new RecipientCsv(lines, errors);
  }

  /**
   * The ids to add, after checking each against the organisation's patients and the list; refuses
   * with {@code csv_invalid} and every line's error when any line is bad.
   */
  Future<List<UUID>> resolve(Function<List<UUID>, Future<List<UUID>>> own, Set<UUID> listed) {
    List<UUID> ids = lines.stream().map(Line::id).distinct().toList();
    return own.apply(ids)
        .map(
            ownIds -> {
              Set<UUID> known = new HashSet<>(ownIds);
              Set<UUID> seen = new HashSet<>();
              List<UUID> add = new ArrayList<>();
              for (Line line : lines) {
                if (!known.contains(line.id())) {
                  errors.add(error(line.number(), "unknown_patient", "No such patient."));
                } else if (listed.contains(line.id()) || !seen.add(line.id())) {
                  errors.add(
                      error(line.number(), "duplicate", "This patient is already on the list."));
                } else {
                  add.add(line.id());
                }
              }
              if (!errors.isEmpty()) {
                List<JsonObject> sorted = new ArrayList<>(errors);
                sorted.sort((a, b) -> Integer.compare(a.getInteger("line"), b.getInteger("line")));
                throw new ApiException(
                    422,
                    "csv_invalid",
                    errors.size() + " line(s) of the CSV are wrong; nothing was added.",
                    null,
                    new JsonObject().put("errors", new JsonArray(sorted)));
              }
              return add;
            });
  }

  private static JsonObject error(int line, String code, String detail) {
    return new JsonObject().put("line", line).put("code", code).put("detail", detail);
  }

  /** The recipients as CSV, every field quoted, formula-like starts defused. */
  static String export(List<Recipient> recipients) {
    StringBuilder out =
        new StringBuilder(
            "patient_id,family_name,given_name,state,reason,address,delivery,updated_at\r\n");
    for (Recipient r : recipients) {
      out.append(
              String.join(
                  ",",
                  field(r.patientId().toString()),
                  field(r.familyName()),
                  field(r.givenName()),
                  field(r.state()),
                  field(r.reason()),
                  field(r.address() == null ? null : r.address().replace('\n', ',')),
                  field(r.delivery()),
                  field(Times.iso(r.updatedAt()))))
          .append("\r\n");
    }
    return out.toString();
  }

  private static String field(String value) {
    if (value == null) {
      return "";
    }
    String safe = value.matches("^[=+\\-@\t\r].*") ? "'" + value : value;
    return "\"" + safe.replace("\"", "\"\"") + "\"";
  }
}
