package org.konsil.server.delivery;

/**
 * What the sender chose for a delivery, checked for form by the routes: the recipient ({@code
 * patient} or {@code third_party} with {@code email}), the kind of document, the verification
 * ({@code birth_date}, {@code insurance_number}, {@code sms_code} or {@code none}), a value typed
 * for this delivery only (else the record's), a mobile number typed for this delivery (else the
 * patient's), the file name, and whether the sender confirmed the warning about no verification.
 */
public record SendRequest(
    String recipient,
    String email,
    String documentKind,
    String verification,
    String typedValue,
    String typedMobile,
    String fileName,
    boolean confirmUnverified) {}
