package org.konsil.server.accounts;

import java.time.OffsetDateTime;

/** A single-use ticket for opening a WebSocket, so that no token appears in a URL. */
public record WsTicket(String ticket, OffsetDateTime expiresAt) {

  /** Without the ticket, so that a log line never carries it. */
  @Override
  public String toString() {
    return "WsTicket[expiresAt=" + expiresAt + "]";
  }
}
