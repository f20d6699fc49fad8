// Small DOM helpers. Text always goes in as text nodes, never as HTML, so nothing a user or a
// partner typed can run as script.

/** Creates an element: h('button', {class: 'primary', onclick: fn}, 'Senden'). */
/**
 * Whether this page runs in Konsil Desktop (the companion on the user's computer, which decrypts
 * end-to-end encrypted rooms): its copy of the page carries a marker the server's never does.
 */
export const inDesktopCompanion = document.querySelector('meta[name="konsil-desktop"]') !== null;

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'text') {
      el.textContent = value;
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A random UUID (version 4); also where crypto.randomUUID is missing (plain-HTTP origins). */
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Human file size. */
export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Opens a document fetched with the session's token, in a new tab, as a same-origin blob. */
export function openBlob(blob) {
  const url = URL.createObjectURL(blob);
  const win = window.open(url, '_blank');
  if (win) win.opener = null;
  else saveBlob(blob, 'dokument');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Saves a fetched document as a download. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name || 'download' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const LINK = /\bhttps?:\/\/[^\s<>"']+/gi;

/**
 * A text with its http(s) addresses as links that open in a new tab without access to this page.
 * Everything else stays text; an address the URL parser does not accept stays text too.
 */
export function linkified(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    let address = match[0].replace(/[.,;:!?)\]]+$/, '');
    let url;
    try {
      url = new URL(address);
    } catch (e) {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    parts.push(text.slice(last, match.index));
    parts.push(h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', class: 'link-out' }, address));
    last = match.index + address.length;
  }
  parts.push(text.slice(last));
  return parts;
}
