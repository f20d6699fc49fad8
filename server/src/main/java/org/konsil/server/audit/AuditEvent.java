package org.konsil.server.audit;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.konsil.server.identity.AuthenticatedUser;

/**
 * One entry of the audit trail: who did what to which object, for which organisation's log, with
 * what outcome. Details carry ids and codes only, never names, birth dates or message text.
 */
public record AuditEvent(
    UUID actorUserId,
    UUID actorOrganisationId,
    UUID organisationId,
    String action,
    String outcome,
    String objectType,
    UUID objectId,
    JsonObject details) {

  public static Builder by(AuthenticatedUser actor) {
    return new Builder(actor.userId(), actor.organisationId());
  }

  public static Builder by(UUID userId, UUID organisationId) {
    return new Builder(userId, organisationId);
  }

  /**
   * Builds an event step by step; the organisation whose log it goes to defaults to the actor's.
   */
  public static final class Builder {
    private final UUID actorUserId;
    private final UUID actorOrganisationId;
    private UUID organisationId;
    private String objectType;
    private UUID objectId;
    private final JsonObject details = new JsonObject();

    private Builder(UUID actorUserId, UUID actorOrganisationId) {
      this.actorUserId = actorUserId;
      this.actorOrganisationId = actorOrganisationId;
      this.organisationId = actorOrganisationId;
    }

    public Builder on(String type, UUID id) {
      this.objectType = type;
      this.objectId = id;
      return this;
    }

    /** The organisation whose administrators see the event (the data's owner). */
    public Builder forOrganisation(UUID organisation) {
      this.organisationId = organisation;
      return this;
    }

    public Builder with(String key, Object value) {
      details.put(key, value instanceof UUID id ? id.toString() : value);
      return this;
    }

    public AuditEvent success(String action) {
      return build(action, "success");
    }

    public AuditEvent denied(String action) {
      return build(action, "denied");
    }

    private AuditEvent build(String action, String outcome) {
      return new AuditEvent(
          actorUserId,
          actorOrganisationId,
          organisationId,
          action,
          outcome,
          objectType,
          objectId,
          details.copy());
    }
  }
}
