// The REST API client (docs/api.md). Authentication is the HttpOnly `ferry_session` cookie the
// server sets at login: the UI never sees or stores a token. Every request that changes
// something carries `X-Requested-With: ferry`, the server's CSRF guard.

export class ApiError extends Error {
  constructor(status, reason, message) {
    super(message);
    this.status = status;   // HTTP status, 0 when the server could not be reached
    this.reason = reason;   // the body's "error" (NotFound, Forbidden, ...)
  }
}

const listeners = new Set();
// fn(error) is called for every 401, so the app can show the login page.
export function onUnauthorized(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Tells the app the session is gone (as a 401 answer does).
export function signalUnauthorized(error) {
  for (const fn of listeners) fn(error);
}

const enc = encodeURIComponent;

export async function request(method, path, body, { signal, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Requested-With'] = 'ferry';
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Unavailable', `cannot reach the Ferry server (${e && e.message ? e.message : e})`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = data && typeof data.message === 'string' && data.message
      ? data.message
      : `${method} ${path}: HTTP ${response.status} ${response.statusText}`.trim();
    const error = new ApiError(response.status, data && data.error ? String(data.error) : response.statusText, message);
    if (response.status === 429) {
      const after = response.headers.get('Retry-After');
      if (after) error.message += ` (retry after ${after} s)`;
    }
    if (response.status === 401 && !quiet401) signalUnauthorized(error);
    throw error;
  }
  if (text && data === null) throw new ApiError(response.status, 'BadResponse', `${method} ${path}: the answer is not JSON`);
  return data === null ? {} : data;
}

export const api = {
  version: () => request('GET', '/api/version'),
  login: (username, password) => request('POST', '/api/v1/session', { username, password }, { quiet401: true }),
  logout: () => request('DELETE', '/api/v1/session', undefined, { quiet401: true }),
  userinfo: () => request('GET', '/api/v1/session/userinfo', undefined, { quiet401: true }),
  // object may contain '/', e.g. "default/web": each part is encoded on its own.
  canI: (resource, action, object) =>
    request('GET', `/api/v1/account/can-i/${enc(resource)}/${enc(action)}/${object.split('/').map(enc).join('/')}`),

  listApplications: (params = {}) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
    const qs = q.toString();
    return request('GET', `/api/v1/applications${qs ? `?${qs}` : ''}`);
  },
  getApplication: (name, refresh) =>
    request('GET', `/api/v1/applications/${enc(name)}${refresh ? `?refresh=${enc(refresh)}` : ''}`),
  deleteApplication: (name, cascade) => request('DELETE', `/api/v1/applications/${enc(name)}?cascade=${cascade ? 'true' : 'false'}`),
  sync: (name, body, wait = false) =>
    request('POST', `/api/v1/applications/${enc(name)}/sync${wait ? '?wait=true&timeout=60' : ''}`, body),
  refresh: (name, type) => request('POST', `/api/v1/applications/${enc(name)}/refresh?type=${enc(type)}`),
  diff: (name, all) => request('GET', `/api/v1/applications/${enc(name)}/diff${all ? '?all=true' : ''}`),
  plan: (name, prune) => request('GET', `/api/v1/applications/${enc(name)}/plan?prune=${prune ? 'true' : 'false'}`),
  history: (name, cont) =>
    request('GET', `/api/v1/applications/${enc(name)}/history?limit=50${cont ? `&continue=${enc(cont)}` : ''}`),
  historyEntry: (name, id) => request('GET', `/api/v1/applications/${enc(name)}/history/${enc(id)}`),
  rollback: (name, id, prune) => request('POST', `/api/v1/applications/${enc(name)}/rollback`, { id, prune }),
  resourceTree: (name) => request('GET', `/api/v1/applications/${enc(name)}/resource-tree`),
  events: (name) => request('GET', `/api/v1/applications/${enc(name)}/events?limit=100`),
  revisionMetadata: (name, revision) =>
    request('GET', `/api/v1/applications/${enc(name)}/revisions/${enc(revision)}/metadata`),
};

// Every item of a paged list (`limit` + `metadata.continue`).
export async function listAll(fetchPage, limit = 500) {
  const items = [];
  let cont = '';
  for (let page = 0; page < 1000; page++) {
    const answer = await fetchPage({ limit, continue: cont });
    if (Array.isArray(answer.items)) items.push(...answer.items);
    cont = answer.metadata && answer.metadata.continue ? answer.metadata.continue : '';
    if (!cont) break;
  }
  return items;
}
