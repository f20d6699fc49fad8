package org.konsil.server.audit;

import io.vertx.core.Future;
import java.util.UUID;

/**
 * Writes a refused access to the trail of the organisation that tried and, when the target (a room,
 * a patient, a file) belongs to another organisation, to that organisation's trail too, so that its
 * administrators see who probes their data.
 */
public final class Refusals {

  private Refusals() {}

  /**
   * Records the refusal in the actor's trail and answers when that is done; the target
   * organisation's copy (same action, object and details) is written after it without being waited
   * for, so that the prober's answer takes no longer for another organisation's object than for a
   * made-up id. A null target (nothing found) writes the actor's trail only.
   */
  public static Future<Void> record(
      AuditLog audit, AuditEvent.Builder event, String action, UUID targetOrganisation) {
    AuditEvent own = event.denied(action);
    Future<Void> recorded = audit.recordAlone(own);
    if (targetOrganisation != null && !targetOrganisation.equals(own.organisationId())) {
      AuditEvent copy = event.forOrganisation(targetOrganisation).denied(action);
      recorded.onComplete(done -> audit.recordAlone(copy));
    }
    return recorded;
  }
}
