package org.konsil.fax;

/** Where a fax stands. */
public enum FaxStatus {
  QUEUED,
  SENDING,
  DELIVERED,
  FAILED
}
