package org.konsil.server.architecture.cyclic.a;

import org.konsil.server.architecture.cyclic.b.Lower;

/** Half of a deliberate package cycle: shows that {@code PackageStructureTest} can fail. */
public final class Upper {
  public Lower lower() {
    return new Lower();
  }
}
