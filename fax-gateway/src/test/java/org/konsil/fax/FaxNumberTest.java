package org.konsil.fax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FaxNumberTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "040 53798 1542|+4940537981542",
        "(0 40) 53 79 81-542|+4940537981542",
        "+49 40 537981542|+4940537981542",
        "+49 (0)40 5379 81542|+4940537981542",
        "0049 40 537981542|+4940537981542",
        "040/537981542|+4940537981542",
        "089.12345678|+498912345678",
        "+43 1 5321234|+4315321234",
      })
  void germanWaysOfWritingBecomeE164(String written, String e164) {
    assertEquals(e164, FaxNumber.parse(written).e164());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "fax me",
        "537981542",
        "0",
        "040 12",
        "+49 0 40 1234567",
        "1234+5678",
        "+1 234 567 890 123 456"
      })
  void malformedNumbersAreRefused(String written) {
    FaxNumber.InvalidFaxNumberException refused =
        assertThrows(FaxNumber.InvalidFaxNumberException.class, () -> FaxNumber.parse(written));
    assertEquals("invalid_fax_number", refused.code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"0171 1234567", "+49 160 1234567", "0900 1234567", "0137 1234567"})
  void numbersThatCannotReceiveFaxesAreRefused(String written) {
    assertEquals(
        "not_a_fax_number",
        assertThrows(FaxNumber.InvalidFaxNumberException.class, () -> FaxNumber.parse(written))
            .code());
  }

  @Test
  void digitsDropThePlus() {
    assertEquals("4940537981542", FaxNumber.parse("040 53798 1542").digits());
  }
}
