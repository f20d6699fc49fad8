// The REST client. The access token lives only in this module's memory; the refresh token is an
// HttpOnly cookie that page scripts cannot read (asked for with the Konsil-Session header).

const BASE = '/api/v1';
const COOKIE_SESSION = { 'Konsil-Session': 'cookie' };

let accessToken = null;
let userId = null;
let sessionEndedListener = () => {};

/** A problem answered by the API (RFC 9457), or network_error when Konsil was not reached. */
export class ProblemError extends Error {
  constructor(status, code, detail, retryAfter) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Called once when the session cannot be renewed any more (logged out elsewhere, expired). */
export function onSessionEnded(listener) {
  sessionEndedListener = listener;
}

export function hasSession() {
  return accessToken !== null;
}

/** The current access token, for the WebSocket's auth and for uploads with progress. */
export function token() {
  return accessToken;
}

async function problemOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch (e) {
    // not problem+json (a proxy's page, say)
  }
  const code = body.code || (response.status >= 500 ? 'unavailable' : 'internal_error');
  const problem = new ProblemError(response.status, code, body.detail, response.headers.get('Retry-After'));
  // the problem's extension members (a CSV's errors by line, the macro a template may not use)
  problem.body = body;
  return problem;
}

async function send(method, path, options) {
  const headers = { ...(options.headers || {}) };
  if (accessToken && !options.anonymous) headers.Authorization = `Bearer ${accessToken}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  let url = BASE + path;
  if (options.query) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query)) {
      if (value !== undefined && value !== null && value !== '') query.set(key, value);
    }
    if ([...query].length) url += `?${query}`;
  }
  try {
    return await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ProblemError(0, 'network_error', String(e));
  }
}

/**
 * One API call. Answers the parsed JSON (null for 204), or the Response itself with
 * {raw: true}. An expired access token is renewed once and the call repeated.
 */
export async function call(method, path, options = {}) {
  let response = await send(method, path, options);
  if (response.status === 401 && accessToken && !options.anonymous) {
    const problem = await problemOf(response);
    if (problem.code !== 'invalid_token') throw problem;
    if (!(await refresh())) {
      sessionEndedListener(problem.code);
      throw problem;
    }
    response = await send(method, path, options);
  }
  if (!response.ok) throw await problemOf(response);
  if (options.raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response;
}

export const get = (path, query) => call('GET', path, { query });
export const post = (path, json, query) => call('POST', path, { json, query });
export const patch = (path, json) => call('PATCH', path, { json });
export const put = (path, json) => call('PUT', path, { json });

/** A document behind the API (consent, attachment, template) as a Blob. */
export async function blob(path, query) {
  const response = await call('GET', path, { query, raw: true });
  return response.blob();
}

/** Step one of a login: answers the user, or {challenge} when a second factor is needed. */
export async function login(email, password) {
  const answer = await call('POST', '/auth/login', {
    json: { email, password },
    headers: COOKIE_SESSION,
    anonymous: true,
  });
  return take(answer);
}

export async function secondFactor(challenge, code, recoveryCode) {
  const json = code ? { challenge, code } : { challenge, recoveryCode };
  const answer = await call('POST', '/auth/second-factor', {
    json,
    headers: COOKIE_SESSION,
    anonymous: true,
  });
  return take(answer);
}

function take(answer) {
  if (answer.status === 'second_factor_required') return { challenge: answer.challenge };
  accessToken = answer.accessToken;
  userId = answer.user.id;
  return { user: answer.user };
}

let refreshing = null;

/**
 * Swaps the refresh cookie for a new access token; answers the user, or null when there is no
 * session. Tabs take turns (Web Locks), because the cookie rotates and a token used twice ends
 * the session.
 */
export function refresh() {
  if (!refreshing) {
    const attempt = async () => {
      try {
        const answer = await call('POST', '/auth/refresh', {
          json: {},
          headers: COOKIE_SESSION,
          anonymous: true,
        });
        if (userId !== null && answer.user.id !== userId) {
          // Someone else logged in in another tab of this browser: this page's data is not theirs.
          accessToken = null;
          sessionEndedListener('session_ended');
          return null;
        }
        accessToken = answer.accessToken;
        userId = answer.user.id;
        return answer.user;
      } catch (e) {
        if (e.code === 'network_error' || e.status >= 500) throw e;
        accessToken = null;
        return null;
      }
    };
    const locked = navigator.locks
      ? navigator.locks.request('konsil-refresh', attempt)
      : attempt();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Ends the session on the server and drops the cookie and the token here. */
export async function logout() {
  try {
    if (accessToken) await call('POST', '/auth/logout', {});
  } finally {
    accessToken = null;
    userId = null;
  }
}

/**
 * Uploads a file as the raw request body with progress (fetch has no upload progress).
 * Answers the parsed JSON.
 */
export function upload(path, query, file, onProgress) {
  return new Promise((resolve, reject) => {
    const attempt = (retried) => {
      const request = new XMLHttpRequest();
      request.open('POST', `${BASE}${path}?${new URLSearchParams(query)}`);
      request.setRequestHeader('Authorization', `Bearer ${accessToken}`);
      request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      request.upload.onprogress = (event) => {
        if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
      };
      request.onerror = () => reject(new ProblemError(0, 'network_error', 'upload failed'));
      request.onload = async () => {
        let body = {};
        try {
          body = JSON.parse(request.responseText || '{}');
        } catch (e) {
          // not JSON
        }
        let renewed = false;
        if (request.status === 401 && body.code === 'invalid_token' && !retried) {
          try {
            renewed = Boolean(await refresh());
          } catch (e) {
            reject(e);
            return;
          }
        }
        if (renewed) {
          attempt(true);
        } else if (request.status >= 200 && request.status < 300) {
          resolve(body);
        } else {
          reject(new ProblemError(request.status, body.code || 'internal_error', body.detail));
        }
      };
      request.send(file);
    };
    attempt(false);
  });
}
