package org.konsil.server.architecture.cyclic.b;

import org.konsil.server.architecture.cyclic.a.Upper;

/** The other half of the deliberate package cycle. */
public final class Lower {
  public Upper upper() {
    return new Upper();
  }
}
