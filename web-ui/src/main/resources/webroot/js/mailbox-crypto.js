// The patient mailbox's cryptography in WebCrypto, exactly as docs/patient-mailbox.md describes it
// (the tests check it against the Java implementation). Keys are raw 32-byte values; private keys
// travel only as JWK inside this page and wrapped (AES-256-GCM) or sealed (X25519 + HKDF + AES-GCM)
// outside it.

const subtle = crypto.subtle;
const enc = new TextEncoder();
const dec = new TextDecoder();
export const ITERATIONS = 600000;

export function b64(bytes) {
  let text = '';
  const view = new Uint8Array(bytes);
  for (let i = 0; i < view.length; i += 0x8000) {
    text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

export function unb64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function b64url(bytes) {
  return b64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64url(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/');
  return unb64(padded + '==='.slice((padded.length + 3) % 4));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function random(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

async function hkdf(ikm, salt, info) {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: enc.encode(info) }, key, 256));
}

/** The login secret (sent) and the wrapping key (kept) from a password. */
export async function derive(password, salt, iterations) {
  const base = await subtle.importKey('raw', enc.encode(password), 'PBKDF2', false, ['deriveBits']);
  const master = new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256));
  return {
    loginSecret: await hkdf(master, new Uint8Array(0), 'konsil-mailbox-v1 login'),
    wrappingKey: await hkdf(master, new Uint8Array(0), 'konsil-mailbox-v1 wrap'),
  };
}

async function aesKey(raw) {
  return subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** iv || AES-256-GCM(key, iv, plaintext, aad). */
export async function encrypt(rawKey, plaintext, aad) {
  const iv = random(12);
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(aad) }, await aesKey(rawKey), plaintext);
  return concat(iv, new Uint8Array(ct));
}

export async function decrypt(rawKey, data, aad) {
  const pt = await subtle.decrypt({ name: 'AES-GCM', iv: data.slice(0, 12), additionalData: enc.encode(aad) }, await aesKey(rawKey), data.slice(12));
  return new Uint8Array(pt);
}

async function rawPublic(key) {
  return new Uint8Array(await subtle.exportKey('raw', key));
}

async function rawPrivate(key) {
  return unb64url((await subtle.exportKey('jwk', key)).d);
}

function importPrivate(curve, d, x) {
  const usages = curve === 'X25519' ? ['deriveBits'] : ['sign'];
  return subtle.importKey('jwk', { kty: 'OKP', crv: curve, d: b64url(d), x: b64url(x) }, { name: curve }, false, usages);
}

/** Fresh key pairs: X25519 (and Ed25519 unless only encryption is needed), raw values. */
export async function generateKeys(withSigning = true) {
  const x = await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
  const keys = { xPrivate: await rawPrivate(x.privateKey), xPublic: await rawPublic(x.publicKey) };
  if (withSigning) {
    const ed = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    keys.edPrivate = await rawPrivate(ed.privateKey);
    keys.edPublic = await rawPublic(ed.publicKey);
  }
  return keys;
}

/** Keys from their private parts (32 bytes X25519, then 32 bytes Ed25519 if present) and publics. */
export function keysFrom(privateBytes, xPublic, edPublic) {
  const keys = { xPrivate: privateBytes.slice(0, 32), xPublic };
  if (privateBytes.length >= 64) {
    keys.edPrivate = privateBytes.slice(32, 64);
    keys.edPublic = edPublic;
  }
  return keys;
}

export function privateBytes(keys) {
  return keys.edPrivate ? concat(keys.xPrivate, keys.edPrivate) : keys.xPrivate;
}

export function wrapKeys(wrappingKey, bytes) {
  return encrypt(wrappingKey, bytes, 'konsil-mailbox-v1 keys');
}

export function unwrapKeys(wrappingKey, wrapped) {
  return decrypt(wrappingKey, wrapped, 'konsil-mailbox-v1 keys');
}

async function x25519(privateRaw, privatePublic, peerPublic) {
  const own = await importPrivate('X25519', privateRaw, privatePublic);
  const peer = await subtle.importKey('raw', peerPublic, { name: 'X25519' }, false, []);
  return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: peer }, own, 256));
}

/** e.public || iv || AES-GCM(HKDF(X25519(e, recipient), e.public || recipient), plaintext). */
export async function seal(recipientPublic, plaintext, label) {
  const e = await generateKeys(false);
  const shared = await x25519(e.xPrivate, e.xPublic, recipientPublic);
  const key = await hkdf(shared, concat(e.xPublic, recipientPublic), `konsil-mailbox-v1 seal ${label}`);
  return concat(e.xPublic, await encrypt(key, plaintext, label));
}

export async function open(keys, sealed, label) {
  const ePublic = sealed.slice(0, 32);
  const shared = await x25519(keys.xPrivate, keys.xPublic, ePublic);
  const key = await hkdf(shared, concat(ePublic, keys.xPublic), `konsil-mailbox-v1 seal ${label}`);
  return decrypt(key, sealed.slice(32), label);
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function transcript(mailboxId, messageId, direction, envelope, attachments) {
  let text = `konsil-mailbox-v1 message\n${mailboxId}\n${messageId}\n${direction}\n${await sha256Hex(envelope)}`;
  for (const attachment of attachments) text += `\n${await sha256Hex(attachment)}`;
  return enc.encode(text);
}

/**
 * Encrypts and signs a message: draft = {subject, body, files: [{name, type, bytes}]}; answers the
 * request body of the send routes.
 */
export async function sealMessage({ mailboxId, messageId, direction, draft, patientX, practiceX, signer }) {
  const contentKey = random(32);
  const list = draft.files.map((f) => ({ name: f.name, type: f.type, size: f.bytes.length }));
  const envelope = await encrypt(contentKey, enc.encode(JSON.stringify({ subject: draft.subject, body: draft.body, attachments: list })),
    `konsil-mailbox-v1 envelope ${messageId}`);
  const attachments = [];
  for (let i = 0; i < draft.files.length; i++) {
    attachments.push(await encrypt(contentKey, draft.files[i].bytes, `konsil-mailbox-v1 attachment ${messageId} ${i}`));
  }
  const signingKey = await importPrivate('Ed25519', signer.edPrivate, signer.edPublic);
  const signature = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, signingKey,
    await transcript(mailboxId, messageId, direction, envelope, attachments)));
  return {
    id: messageId,
    envelope: b64(envelope),
    attachments: attachments.map(b64),
    keyForPatient: b64(await seal(patientX, contentKey, 'content-key')),
    keyForPractice: b64(await seal(practiceX, contentKey, 'content-key')),
    signature: b64(signature),
  };
}

/**
 * Opens a listed message with the reader's keys and checks the signature with the sender's
 * Ed25519 key; attachments are fetched (ciphertext) by fetchAttachment(i) only when asked for.
 */
export async function openMessage(message, readerKeys, senderEdPublic, fetchAttachment) {
  const envelopeBytes = unb64(message.envelope);
  const contentKey = await open(readerKeys, unb64(message.key), 'content-key');
  const envelope = JSON.parse(dec.decode(await decrypt(contentKey, envelopeBytes, `konsil-mailbox-v1 envelope ${message.id}`)));
  const ciphertexts = [];
  for (let i = 0; i < envelope.attachments.length; i++) ciphertexts.push(await fetchAttachment(i));
  const verifier = await subtle.importKey('raw', senderEdPublic, { name: 'Ed25519' }, false, ['verify']);
  const verified = await subtle.verify({ name: 'Ed25519' }, verifier, unb64(message.signature),
    await transcript(message.mailboxId, message.id, message.direction, envelopeBytes, ciphertexts));
  const files = [];
  for (let i = 0; i < ciphertexts.length; i++) {
    files.push({ ...envelope.attachments[i], bytes: await decrypt(contentKey, ciphertexts[i], `konsil-mailbox-v1 attachment ${message.id} ${i}`) });
  }
  return { subject: envelope.subject, body: envelope.body, files, verified };
}

/** A short fingerprint of public keys to compare by eye. */
export async function fingerprint(...keys) {
  const hex = await sha256Hex(concat(...keys));
  return hex.slice(0, 20).match(/.{4}/g).join(' ');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A recovery code: 26 characters of Crockford's base32 (130 bits) in groups of four. */
export function newRecoveryCode() {
  const bytes = random(26);
  let code = '';
  for (let i = 0; i < 26; i++) {
    if (i > 0 && i % 4 === 0) code += '-';
    code += CROCKFORD[bytes[i] & 31];
  }
  return code;
}

/** The secret the server checks (sent) and the key that wraps the private keys (kept). */
export async function deriveRecovery(code) {
  const normalized = enc.encode(code.toUpperCase().replace(/[^0-9A-Z]/g, ''));
  return {
    recoverySecret: await hkdf(normalized, new Uint8Array(0), 'konsil-mailbox-v1 recovery login'),
    recoveryKey: await hkdf(normalized, new Uint8Array(0), 'konsil-mailbox-v1 recovery wrap'),
  };
}

export function wrapForRecovery(key, bytes) {
  return encrypt(key, bytes, 'konsil-mailbox-v1 recovery keys');
}

export function unwrapForRecovery(key, wrapped) {
  return decrypt(key, wrapped, 'konsil-mailbox-v1 recovery keys');
}
