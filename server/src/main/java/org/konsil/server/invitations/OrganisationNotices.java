package org.konsil.server.invitations;

import java.util.UUID;

/**
 * Pushes a frame at once to the connected users of one organisation (the inviting one, when a
 * partner registered and waits for its confirmation); {@code Wiring} plugs in the live events.
 */
@FunctionalInterface
public interface OrganisationNotices {

  void push(UUID organisation, String frame);
}
