package org.konsil.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DatabaseSettingsTest {

  @Test
  void readsAllPartsOfAPostgresUrl() {
    DatabaseSettings s =
        DatabaseSettings.fromUrl("postgresql://konsil:p%40ss@db.internal:6543/care");
    assertEquals("db.internal", s.host());
    assertEquals(6543, s.port());
    assertEquals("care", s.database());
    assertEquals("konsil", s.user());
    assertEquals("p@ss", s.password());
    assertEquals("jdbc:postgresql://db.internal:6543/care", s.jdbcUrl());
  }

  @Test
  void fillsInDefaultsAndAcceptsTheJdbcForm() {
    DatabaseSettings s = DatabaseSettings.fromUrl("jdbc:postgresql://localhost/konsil");
    assertEquals(5432, s.port());
    assertEquals("postgres", s.user());
    assertEquals("", s.password());
  }

  @Test
  void neverPrintsThePassword() {
    assertFalse(
        DatabaseSettings.fromUrl("postgresql://u:topsecret@h/d").toString().contains("topsecret"));
  }

  @Test
  void refusesOtherSchemes() {
    assertThrows(IllegalArgumentException.class, () -> DatabaseSettings.fromUrl("mysql://h/d"));
  }
}
