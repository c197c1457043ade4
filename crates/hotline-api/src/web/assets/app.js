// smarpay Hotline · Agenten-Portal. Plain JavaScript over the service's own /api.
// Customer data is only ever put into the page with textContent and never written to the
// browser console (HL-42). The shared helpers ($, api, toast, field errors) are /payops.js.
'use strict';

web.onUnauthenticated = () => showLogin();

const state = { agent: null, csrf: '', links: {}, lookup: null, b2cRequestId: null, b2bRequestId: null,
  selected: null, searchTimer: null, searchSeq: 0, tenantProblem: '' };

// ── Anmeldung ─────────────────────────────────────────────────────────────────
function showLogin() {
  state.agent = null;
  show('app-view', false); show('login-view', true);
  $('login-username').focus();
}

function enter(me) {
  state.agent = me.agent; state.csrf = me.csrf_token || ''; web.csrf = state.csrf; state.links = me.links || {};
  const admin = me.agent.role === 'admin';
  document.body.classList.toggle('is-admin', admin);
  $('role-badge').textContent = admin ? '🔴 Admin' : '🔵 Standard';
  $('role-badge').className = 'badge ' + (admin ? 'admin' : 'standard');
  $('agent-name').textContent = me.agent.display_name;
  document.querySelectorAll('.admin-only').forEach((el) => { el.hidden = !admin; });
  document.querySelectorAll('.standard-only').forEach((el) => { el.hidden = admin; });
  $('link-dashboard').href = state.links.pixi_sync_dashboard || '#';
  $('link-errors').href = state.links.pixi_sync_errors || '#';
  if (me.problem_types) fillProblemTypes(me.problem_types, me.tenant_problem);
  const today = me.today || new Date().toISOString().slice(0, 10);
  document.querySelector('#b2c-form [name=payment_date]').value ||= today;
  document.querySelector('#overview-form [name=date]').value ||= today;
  show('login-view', false); show('app-view', true);
  setB2cState('idle');
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  show('login-error', false);
  $('login-submit').disabled = true;
  try {
    const r = await api('POST', '/login', { username: $('login-username').value, password: $('login-password').value });
    $('login-password').value = '';
    const me = await api('GET', '/me');
    enter(me);
    toast('Willkommen, ' + r.agent.display_name, 'success');
  } catch (e) {
    $('login-error').textContent = e.message;
    show('login-error', true);
  } finally {
    $('login-submit').disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('POST', '/logout', {}); } catch (e) { /* the session is gone either way */ }
  showLogin();
});

// ── Tabs ──────────────────────────────────────────────────────────────────────
document.querySelectorAll('.tabs [data-tab]').forEach((b) => b.addEventListener('click', () => switchTab(b.dataset.tab)));
function switchTab(name) {
  document.querySelectorAll('.tabs [data-tab]').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('main.tab').forEach((m) => { m.hidden = m.id !== 'tab-' + name; });
  if (name === 'overview' && !$('overview-summary').dataset.loaded) loadOverview();
  if (name === 'audit') loadAudit();
  if (name === 'agents') loadAgents();
}

// ── B2C ───────────────────────────────────────────────────────────────────────
function setB2cState(s) {
  $('b2c-result').dataset.state = s;
  const conclusive = s === 'found' || s === 'expired' || s === 'notfound';
  show('b2c-ticket-area', conclusive);
  if (!conclusive) { show('refund-box', false); }
}

async function searchCode() {
  const form = $('b2c-form');
  clearFieldErrors(form);
  state.lookup = null; state.b2cRequestId = newId();
  show('b2c-ticket-done', false); $('b2c-ticket').disabled = false; show('new-code', false);
  setB2cState('searching');
  try {
    const r = await api('POST', '/b2c/lookup', formData(form));
    state.lookup = r;
    renderLookup(r);
  } catch (e) {
    if (e.status === 422) {
      showFieldErrors(form, e.fields);
      setB2cState('idle');
      toast('⚠️ Bitte Angaben prüfen (' + e.fields.length + ' Feld(er))', 'error');
    } else {
      $('b2c-error').textContent = e.message;
      setB2cState('error');
      toast('PGW-Fehler: ' + e.message, 'error');
    }
  }
}

function money(m) { return m ? m.text : '–'; }

// A payment's status in German; one PGW did not name to us is shown as it came.
function statusLabel(p) {
  const known = { completed: 'abgeschlossen', failed: 'fehlgeschlagen', cancelled: 'abgebrochen' };
  return known[p.status] || ('unbekannt (' + p.pgw_status + ')');
}

function renderLookup(r) {
  const p = r.payment;
  if (r.outcome === 'found') {
    $('found-code').textContent = p.code.code;
    $('found-valid').textContent = p.code.valid_until.local;
    $('found-tx').textContent = '#' + p.transaction_id;
    $('found-when').textContent = p.local_date + ' ' + p.local_time;
    $('found-amount').textContent = 'CHF ' + money(p.amount);
    $('found-device').textContent = p.device_b_code;
    $('found-mobile').textContent = p.mobile;
  } else if (r.outcome === 'expired') {
    $('expired-on').textContent = (p.code.expired_on || p.code.valid_until).local;
    $('expired-device').textContent = p.device_b_code;
    $('expired-amount').textContent = money(p.amount);
    $('expired-internal').textContent = p.device_internal_id || '–';
    $('expired-code').textContent = p.code.code;
    $('expired-tx').textContent = p.transaction_id;
  } else {
    const ul = $('checklist');
    ul.replaceChildren(...r.checklist.map((c) => { const li = document.createElement('li'); li.textContent = c; return li; }));
    $('notfound-failed').textContent = r.failed_payments > 0
      ? r.failed_payments + ' fehlgeschlagene oder abgebrochene Zahlung(en) gefunden — dafür wurde kein Code ausgegeben.' : '';
    show('notfound-failed', r.failed_payments > 0);
    const odd = r.unknown_status || [];
    $('notfound-unknown').textContent = odd.length > 0
      ? odd.length + ' Zahlung(en) mit unbekanntem PGW-Status (' + odd.map((p) => '#' + p.transaction_id + ' ' + statusLabel(p)).join(', ')
        + ') — bitte im PGW prüfen, bevor dem Mieter gesagt wird, es sei nichts bezahlt worden.' : '';
    show('notfound-unknown', odd.length > 0);
  }
  if (r.refund) { $('refund-text').textContent = r.refund.instructions; }
  show('refund-box', !!r.refund);
  setB2cState(r.outcome === 'not_found' ? 'notfound' : r.outcome);
}

$('b2c-form').addEventListener('submit', (ev) => { ev.preventDefault(); searchCode(); });
$('b2c-retry').addEventListener('click', searchCode);

$('b2c-ticket').addEventListener('click', async () => {
  if (!state.lookup) return;
  $('b2c-ticket').disabled = true;
  try {
    const t = await api('POST', '/b2c/ticket', { request_id: state.b2cRequestId, lookup_id: state.lookup.lookup_id });
    $('b2c-ticket-done').textContent = '✅ Ticket #' + t.id + ' erstellt';
    show('b2c-ticket-done', true);
    toast('✅ Ticket #' + t.id + ' erstellt', 'success');
  } catch (e) {
    $('b2c-ticket').disabled = false;
    if (e.reason === 'TICKET_REFUSED') state.b2cRequestId = newId();
    toast('Ticket-Fehler: ' + e.message, 'error');
  }
});

// Neuen Code generieren (Admin, mit Passwort)
$('generate-open').addEventListener('click', () => {
  const p = state.lookup && state.lookup.payment;
  if (!p) return;
  $('gen-device').textContent = p.device_b_code;
  $('gen-internal').textContent = p.device_internal_id || '–';
  $('gen-amount').textContent = money(p.amount);
  $('gen-password').value = '';
  show('generate-modal', true);
  $('gen-password').focus();
});
$('gen-cancel').addEventListener('click', () => show('generate-modal', false));
$('gen-confirm').addEventListener('click', async () => {
  const p = state.lookup && state.lookup.payment;
  if (!p) return;
  $('gen-confirm').disabled = true;
  try {
    const g = await api('POST', '/b2c/generate', { transaction_id: p.transaction_id, password: $('gen-password').value });
    $('gen-password').value = '';
    show('generate-modal', false);
    $('new-code-value').textContent = g.code;
    $('new-code-valid').textContent = g.valid_until.local;
    show('new-code', true);
    toast(g.replayed ? '✅ Code wurde bereits ersetzt: ' + g.code : '✅ Neuer Code generiert', 'success');
  } catch (e) {
    $('gen-password').value = '';
    toast('Code-Generierung: ' + e.message, 'error');
    if (e.reason !== 'STEP_UP_FAILED') show('generate-modal', false);
  } finally {
    $('gen-confirm').disabled = false;
  }
});

// ── B2B ───────────────────────────────────────────────────────────────────────
function fillProblemTypes(types, tenant) {
  state.tenantProblem = tenant;
  const sel = document.querySelector('#b2b-form [name=problem_type]');
  if (sel.options.length > 1) return;
  types.forEach((t) => { const o = document.createElement('option'); o.value = t; o.textContent = t; sel.appendChild(o); });
}

$('b2b-q').addEventListener('input', () => {
  clearTimeout(state.searchTimer);
  const q = $('b2b-q').value.trim();
  show('b2b-none', false);
  if (q.length < 2) { $('b2b-customers').replaceChildren(); return; }
  state.searchTimer = setTimeout(() => searchCustomers(q), 400);
});

async function searchCustomers(q) {
  const seq = ++state.searchSeq;
  show('b2b-searching', true);
  try {
    const r = await api('GET', '/b2b/customers?q=' + encodeURIComponent(q));
    if (seq !== state.searchSeq) return;
    const ul = $('b2b-customers');
    ul.replaceChildren(...r.items.map((c) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button'; b.dataset.testid = 'b2b-customer';
      const name = document.createElement('b'); name.textContent = c.name;
      const info = document.createElement('span'); info.className = 'muted'; info.textContent = ' ' + [c.number, c.address].filter(Boolean).join(' · ');
      b.append(name, info);
      b.addEventListener('click', () => selectCustomer(c));
      li.appendChild(b);
      return li;
    }));
    show('b2b-none', r.items.length === 0);
  } catch (e) {
    toast('smallinvoice: ' + e.message, 'error');
  } finally {
    if (seq === state.searchSeq) show('b2b-searching', false);
  }
}

async function selectCustomer(c) {
  state.selected = c; state.b2bRequestId = newId();
  $('b2b-sel-name').textContent = c.name;
  $('b2b-sel-info').textContent = [c.number && ('Kunden-Nr. ' + c.number), c.email, c.address].filter(Boolean).join(' · ');
  show('b2b-selected', true); show('b2b-pick-hint', false);
  document.querySelector('#b2b-form [name=management_email]').value = c.email || '';
  show('b2b-ticket-done', false);
  const tbody = $('b2b-invoices').querySelector('tbody');
  tbody.replaceChildren(); show('b2b-invoices', false); show('b2b-inv-none', false); show('b2b-inv-loading', true);
  try {
    const r = await api('GET', '/b2b/customers/' + c.id + '/invoices');
    if (state.selected !== c) return;
    tbody.replaceChildren(...r.items.map((i) => row([i.number, i.date, 'CHF ' + money(i.total), i.status_label])));
    show('b2b-invoices', r.items.length > 0); show('b2b-inv-none', r.items.length === 0);
  } catch (e) {
    toast('Rechnungen: ' + e.message, 'error');
  } finally {
    show('b2b-inv-loading', false);
  }
}

function row(cells) {
  const tr = document.createElement('tr');
  cells.forEach((c) => { const td = document.createElement('td'); td.textContent = c == null ? '–' : String(c); tr.appendChild(td); });
  return tr;
}

document.querySelector('#b2b-form [name=problem_type]').addEventListener('change', (ev) => {
  show('b2b-b2c-hint', ev.target.value === state.tenantProblem);
});
$('b2b-to-b2c').addEventListener('click', () => switchTab('b2c'));

$('b2b-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const errs = $('b2b-errors');
  errs.replaceChildren(); show(errs, false); show('b2b-ticket-done', false);
  const body = formData($('b2b-form'));
  body.customer_id = state.selected ? state.selected.id : 0;
  body.request_id = state.b2bRequestId || (state.b2bRequestId = newId());
  if (body.problem_type && body.problem_type === state.tenantProblem) {
    show('b2b-b2c-hint', true);
    toast('ℹ️ Bitte zum B2C-Tab wechseln und den Mieter-Prozess durchführen.', 'error');
    return;
  }
  $('b2b-submit').disabled = true;
  try {
    const t = await api('POST', '/b2b/ticket', body);
    const done = $('b2b-ticket-done');
    done.replaceChildren();
    const text = document.createElement('span'); text.textContent = '✅ Ticket #' + t.id + ' erstellt ';
    done.appendChild(text);
    if (t.url) { const a = document.createElement('a'); a.href = t.url; a.target = '_blank'; a.rel = 'noopener noreferrer'; a.textContent = 'öffnen'; done.appendChild(a); }
    show(done, true);
    toast('✅ Ticket #' + t.id + ' erstellt', 'success');
    state.b2bRequestId = newId();
  } catch (e) {
    if (e.status === 422) {
      errs.replaceChildren(...e.fields.map((f) => { const li = document.createElement('li'); li.textContent = f.reason; return li; }));
      show(errs, true);
      toast('⚠️ Pflichtfelder fehlen: ' + e.fields.map((f) => f.reason).join(' · '), 'error');
    } else {
      if (e.reason === 'TICKET_REFUSED') state.b2bRequestId = newId();
      toast('Ticket-Fehler: ' + e.message, 'error');
    }
  } finally {
    $('b2b-submit').disabled = false;
  }
});

// ── Tagesübersicht ────────────────────────────────────────────────────────────
async function loadOverview() {
  const date = document.querySelector('#overview-form [name=date]').value;
  show('overview-loading', true); show('overview-error', false);
  try {
    const r = await api('GET', '/overview?date=' + encodeURIComponent(date));
    $('overview-summary').dataset.loaded = '1';
    $('overview-count').textContent = r.count;
    $('overview-day').textContent = r.date_label;
    $('overview-total').textContent = 'CHF ' + money(r.total);
    $('overview-table').querySelector('tbody').replaceChildren(...r.items.map((p) => row([
      p.local_time, p.device_b_code, p.mobile, 'CHF ' + money(p.amount), p.payment_method,
      p.code ? p.code.code : '–', p.sub_merchant, statusLabel(p)])));
    $('overview-unknown').textContent = r.unknown_count > 0
      ? r.unknown_count + ' Zahlung(en) mit einem PGW-Status, den die Hotline nicht kennt — nicht im Total; bitte im PGW prüfen.' : '';
    show('overview-unknown', r.unknown_count > 0);
    show('overview-summary', true);
    show('overview-table', r.items.length > 0); show('overview-empty', r.items.length === 0);
  } catch (e) {
    $('overview-error').textContent = '⚠️ Fehler: ' + e.message;
    show('overview-error', true); show('overview-summary', false); show('overview-table', false); show('overview-empty', false);
    toast('Tagesübersicht: ' + e.message, 'error');
  } finally {
    show('overview-loading', false);
  }
}
$('overview-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadOverview(); });

// ── Auftrag ───────────────────────────────────────────────────────────────────
$('order-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const id = document.querySelector('#order-form [name=order_id]').value.trim();
  show('order-error', false); show('order-empty', false);
  try {
    const r = await api('GET', '/orders/' + encodeURIComponent(id) + '/timeline');
    $('timeline').replaceChildren(...r.events.map((e) => {
      const li = document.createElement('li');
      li.dataset.source = e.source;
      const when = document.createElement('span'); when.className = 'when'; when.textContent = e.occurred_at.local;
      const src = document.createElement('span'); src.className = 'source'; src.textContent = e.source;
      const type = document.createElement('code'); type.textContent = e.type;
      const sum = document.createElement('span'); sum.className = 'summary'; sum.textContent = e.summary;
      li.append(when, src, type, sum);
      return li;
    }));
    $('order-dashboard').href = r.links.pixi_sync_dashboard; show('order-dashboard', true);
    $('order-errors').href = r.links.pixi_sync_errors; show('order-errors', true);
    show('order-empty', r.events.length === 0);
  } catch (e) {
    $('order-error').textContent = '⚠️ ' + (e.fields.length ? e.fields.map((f) => f.reason).join(' · ') : e.message);
    show('order-error', true);
    toast('Auftrag: ' + e.message, 'error');
  }
});

// ── Audit ─────────────────────────────────────────────────────────────────────
async function loadAudit() {
  try {
    const r = await api('GET', '/audit?limit=200');
    $('audit-table').querySelector('tbody').replaceChildren(...r.items.map((e) => row([
      e.at.local, e.actor, e.action, e.target, e.outcome,
      Object.entries(e.details).map(([k, v]) => k + '=' + v).join(', ')])));
  } catch (e) {
    toast('Audit: ' + e.message, 'error');
  }
}
$('audit-load').addEventListener('click', loadAudit);

// ── Agenten (Admin) ───────────────────────────────────────────────────────────
function agentButton(label, testid, cls, action) {
  const b = document.createElement('button');
  b.type = 'button'; b.className = cls; b.textContent = label; b.dataset.testid = testid;
  b.addEventListener('click', action);
  return b;
}

async function agentAction(path, body, done) {
  try {
    await api('POST', path, body);
    toast('✅ ' + done, 'success');
  } catch (e) {
    toast('Agenten: ' + agentError(e), 'error');
  }
  loadAgents();
}

async function loadAgents() {
  try {
    const r = await api('GET', '/agents');
    $('agents-table').querySelector('tbody').replaceChildren(...r.items.map((a) => {
      const tr = row([a.username, a.display_name, a.role === 'admin' ? '🔴 Admin' : '🔵 Standard',
        a.active ? 'aktiv' : 'deaktiviert', null]);
      tr.dataset.testid = 'agent-row-' + a.username;
      tr.dataset.active = String(a.active);
      tr.dataset.role = a.role;
      const cell = tr.lastChild; cell.textContent = '';
      const path = '/agents/' + encodeURIComponent(a.username);
      if (a.username !== state.agent.username) {
        cell.appendChild(a.active
          ? agentButton('Deaktivieren', 'agent-deactivate-' + a.username, 'danger',
            () => agentAction(path + '/active', { active: false }, a.username + ' deaktiviert'))
          : agentButton('Aktivieren', 'agent-activate-' + a.username, 'secondary',
            () => agentAction(path + '/active', { active: true }, a.username + ' aktiviert')));
        const role = a.role === 'admin' ? 'standard' : 'admin';
        cell.appendChild(agentButton(role === 'admin' ? 'Zum Admin machen' : 'Zu Standard machen',
          'agent-role-' + a.username, 'secondary',
          () => agentAction(path + '/role', { role }, 'Rolle von ' + a.username + ' geändert')));
      }
      cell.appendChild(agentButton('Entsperren', 'agent-unlock-' + a.username, 'secondary',
        () => agentAction(path + '/unlock', {}, a.username + ' entsperrt')));
      return tr;
    }));
  } catch (e) {
    toast('Agenten: ' + e.message, 'error');
  }
}

function formBody(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// The server's field rules in German (its reasons are shared with the gRPC API).
const AGENT_FIELDS = {
  username: 'Benutzername: 3 bis 64 Zeichen (a–z, 0–9, «.», «_», «-»)',
  display_name: 'Anzeigename: 1 bis 100 Zeichen',
  role: 'Rolle: Standard oder Admin',
  password: 'Passwort: mindestens 12 Zeichen',
};
function agentError(e) {
  return e.fields ? e.fields.map((f) => AGENT_FIELDS[f.field] || f.reason).join(' · ') : e.message;
}

$('agent-create-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  try {
    const a = await api('POST', '/agents', formBody(form));
    form.reset();
    toast('✅ Agent ' + a.username + ' angelegt', 'success');
    loadAgents();
  } catch (e) {
    toast('Agent anlegen: ' + agentError(e), 'error');
  }
});

$('agent-password-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const b = formBody(form);
  try {
    await api('POST', '/agents/' + encodeURIComponent(b.username.trim()) + '/password', { password: b.password });
    form.reset();
    toast('✅ Passwort von ' + b.username.trim() + ' zurückgesetzt, alle Sitzungen beendet', 'success');
  } catch (e) {
    toast('Passwort zurücksetzen: ' + agentError(e), 'error');
  }
});

// ── Start ─────────────────────────────────────────────────────────────────────
(async () => {
  try { enter(await api('GET', '/me')); } catch (e) { showLogin(); }
})();
