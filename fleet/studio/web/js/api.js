// The one place that talks to the server: every request carries the bearer token from sessionStorage
// (gone when the tab closes), never in a URL.
const TOKEN_KEY = 'kiln-studio-token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An HTTP error from the API, with the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Listeners for a 401 on any request (the token was revoked): the app shows the sign-in form. */
const unauthorized = new Set();
export const onUnauthorized = (fn) => unauthorized.add(fn);

/**
 * `path` starts with /fleet/v1 or /registry/v1. Returns the parsed JSON, or throws ApiError.
 * `secret` overrides the stored token (signing in tries a token before keeping it).
 */
export async function api(path, { method = 'GET', body, secret } = {}) {
  const t = secret ?? token.get();
  const headers = { accept: 'application/json' };
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach the server (${err.message})`);
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const message = (json && (json.error || json.message)) || `HTTP ${res.status}`;
    if (res.status === 401 && secret === undefined) for (const fn of unauthorized) fn(message);
    throw new ApiError(res.status, message);
  }
  return json;
}

/** A query string from the defined, non-empty values of `params`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
