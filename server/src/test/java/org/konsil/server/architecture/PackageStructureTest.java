package org.konsil.server.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's packages depend on each other one way only: features call the packages below them
 * (live events, the authenticated user, http helpers, config) and never back up; only the root
 * package (wiring, node, main) sees everything.
 */
class PackageStructureTest {

  private static final String SERVER = "org.konsil.server";

  /** Packages every feature may use; they use no feature. */
  private static final String[] FOUNDATION = {
    SERVER + ".config..",
    SERVER + ".http..",
    SERVER + ".identity..",
    SERVER + ".live..",
    SERVER + ".pdf.."
  };

  private static final String[] FEATURES = {
    SERVER + ".accounts..",
    SERVER + ".audit..",
    SERVER + ".cluster..",
    SERVER + ".consent..",
    SERVER + ".delivery..",
    SERVER + ".devices..",
    SERVER + ".demo..",
    SERVER + ".files..",
    SERVER + ".invitations..",
    SERVER + ".mailbox..",
    SERVER + ".messaging..",
    SERVER + ".notifications..",
    SERVER + ".organisations..",
    SERVER + ".outreach..",
    SERVER + ".patients..",
    SERVER + ".records..",
    SERVER + ".rooms..",
    SERVER + ".search.."
  };

  static JavaClasses server;

  @BeforeAll
  static void importServer() {
    server =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(SERVER);
  }

  static ArchRule noPackageCycles(String root) {
    return slices().matching(root + ".(*)..").should().beFreeOfCycles();
  }

  @Test
  void theServersClassesAreFound() {
    // a rule over no classes passes without checking anything
    assertTrue(server.size() > 100, "imported " + server.size() + " classes");
    assertTrue(server.contain(SERVER + ".Wiring"));
  }

  @Test
  void noPackageCycle() {
    noPackageCycles(SERVER).check(server);
  }

  @Test
  void onlyTheRootPackageSeesTheWholeServer() {
    noClasses()
        .that()
        .resideInAPackage(SERVER + ".*..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(SERVER)
        .check(server);
  }

  @Test
  void theFoundationUsesNoFeature() {
    noClasses()
        .that()
        .resideInAnyPackage(FOUNDATION)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(FEATURES)
        .check(server);
  }

  @Test
  void theCycleRuleFindsADeliberateCycle() {
    JavaClasses cyclic =
        new ClassFileImporter().importPackages(getClass().getPackageName() + ".cyclic");
    assertTrue(cyclic.size() == 2, "the two classes of the deliberate cycle");
    AssertionError found =
        assertThrows(
            AssertionError.class,
            () -> noPackageCycles(getClass().getPackageName() + ".cyclic").check(cyclic));
    assertTrue(found.getMessage().contains("Cycle detected"), found.getMessage());
  }
}
