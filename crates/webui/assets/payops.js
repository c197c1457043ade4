// payops web pages (hotline agent portal, pixi-sync console): the helpers every page shares.
// Plain JavaScript, no build step; loaded before the page's own script. Data from the server is
// only ever put into the page with textContent, never as HTML.
'use strict';

// What the page tells the helpers: the session's CSRF token (sent on every write) and what to
// do when the server says the session is gone.
const web = { csrf: '', onUnauthenticated: null };

const $ = (id) => document.getElementById(id);
const show = (el, on) => { (typeof el === 'string' ? $(el) : el).hidden = !on; };
const newId = () => (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + String(Math.random()).slice(2));

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || ('HTTP ' + status));
    this.status = status; this.reason = body && body.reason; this.fields = (body && body.fields) || [];
    this.body = body || {};
  }
}

// A call of the page's own JSON API under /api; writes carry the CSRF token.
async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (method !== 'GET') { headers['Content-Type'] = 'application/json'; headers['X-CSRF-Token'] = web.csrf; }
  let res;
  try {
    res = await fetch('/api' + path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { error: 'Keine Verbindung zum Server.', reason: 'NETWORK' });
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== '/login' && web.onUnauthenticated) { web.onUnauthenticated(); }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function toast(msg, type) {
  const t = document.createElement('div');
  t.className = 'toast ' + (type || 'success');
  t.setAttribute('role', type === 'error' ? 'alert' : 'status');
  t.textContent = msg;
  $('toasts').appendChild(t);
  setTimeout(() => t.remove(), 4500);
}

// The named fields of a form as trimmed strings (checkboxes as true/false).
function formData(form) {
  const out = {};
  new FormData(form).forEach((v, k) => { out[k] = String(v).trim(); });
  form.querySelectorAll('input[type=checkbox][name]').forEach((c) => { out[c.name] = c.checked; });
  return out;
}

function clearFieldErrors(form) {
  form.querySelectorAll('[data-error]').forEach((p) => { p.hidden = true; p.textContent = ''; });
  form.querySelectorAll('.invalid').forEach((i) => { i.classList.remove('invalid'); i.removeAttribute('aria-invalid'); });
}

// Shows each {field, reason} at its field: the text under it, the field marked invalid.
function showFieldErrors(form, fields) {
  fields.forEach((f) => {
    const p = form.querySelector('[data-error="' + f.field + '"]');
    if (p) { p.textContent = f.reason; p.hidden = false; }
    const input = form.querySelector('[name="' + f.field + '"]');
    if (input) { input.classList.add('invalid'); input.setAttribute('aria-invalid', 'true'); }
  });
}

// An element with text, for lists built from server data.
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
