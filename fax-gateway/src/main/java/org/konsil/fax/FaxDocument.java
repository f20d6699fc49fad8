package org.konsil.fax;

/**
 * A fax ready to send: the same page as PDF (for providers and e-mail-to-fax) and as TIFF class F
 * (for fax machines), and a key that stays the same across attempts, so that a provider can
 * recognise a repeat.
 */
public record FaxDocument(String idempotencyKey, FaxNumber to, byte[] pdf, byte[] tiff) {}
