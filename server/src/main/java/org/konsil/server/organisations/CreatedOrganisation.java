package org.konsil.server.organisations;

import java.util.UUID;

/**
 * An organisation an operator created, its first admin, and the one-time link with which that admin
 * sets a password.
 */
public record CreatedOrganisation(Organisation organisation, UUID adminId, String passwordLink) {}
