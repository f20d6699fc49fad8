package org.konsil.fax;

/**
 * A fax number in E.164 form ({@code +4940537981542}), read from the ways people write German
 * numbers ("040 53798 1542", "(0 40) 53 79 81-542", "+49 (0)40 ...", "0049 ..."). Numbers that
 * cannot be fax numbers (mobile, premium-rate, too short or too long) are refused.
 */
public record FaxNumber(String e164) {

  /** Why a number was refused; {@link #code()} is stable for APIs. */
  public static final class InvalidFaxNumberException extends IllegalArgumentException {
    private final String code;

    InvalidFaxNumberException(String code, String message) {
      super(message);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  public FaxNumber {
    if (e164 == null || !e164.matches("\\+[1-9]\\d{6,14}")) {
      throw new InvalidFaxNumberException("invalid_fax_number", "Not a number in E.164 form.");
    }
  }

  /** Reads a number as written; numbers without a country code are taken as German. */
  public static FaxNumber parse(String written) {
    if (written == null || written.isBlank()) {
      throw invalid("Enter a fax number.");
    }
    String text = written.trim().replace("(0)", "");
    if (!text.matches("[+0-9 ()/.\\-]+")) {
      throw invalid("A fax number holds only digits, spaces and + ( ) / - .");
    }
    if (text.indexOf('+') > 0 || text.chars().filter(c -> c == '+').count() > 1) {
      throw invalid("A '+' may only stand at the start.");
    }
    String digits = text.replaceAll("[^0-9]", "");
    String international;
    if (text.startsWith("+")) {
      international = digits;
    } else if (digits.startsWith("00")) {
      international = digits.substring(2);
    } else if (digits.startsWith("0")) {
      international = "49" + digits.substring(1);
    } else {
      throw invalid("Include the area code (for example 040 ...).");
    }
    if (international.length() < 8
        || international.length() > 15
        || international.startsWith("0")) {
      throw invalid("The number is too short or too long.");
    }
    if (international.startsWith("49")) {
      String national = international.substring(2);
      if (national.startsWith("0") || national.length() < 6) {
        throw invalid("After +49 comes the area code without its leading 0.");
      }
      if (national.matches("1[5-7].*")) {
        throw new InvalidFaxNumberException(
            "not_a_fax_number", "Mobile numbers cannot receive faxes.");
      }
      if (national.matches("(900|137|11).*")) {
        throw new InvalidFaxNumberException(
            "not_a_fax_number", "Premium-rate, mass-call and short numbers cannot receive faxes.");
      }
    }
    return new FaxNumber("+" + international);
  }

  /** The digits without '+', as e-mail-to-fax gateways expect them in the address. */
  public String digits() {
    return e164.substring(1);
  }

  @Override
  public String toString() {
    return e164;
  }

  private static InvalidFaxNumberException invalid(String message) {
    return new InvalidFaxNumberException("invalid_fax_number", message);
  }
}
