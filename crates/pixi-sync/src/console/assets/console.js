// payops pixi-sync · Konsole. Plain JavaScript over the console's own /api (no build step);
// the shared helpers ($, api, toast, formData, field errors, el) are /payops.js. Every screen
// has its own URL; the page shows the screen the address names. Server data goes into the page
// as text only.
'use strict';

const app = { me: null, org: null, route: null, configs: null, apis: null, dashboardQuery: '', order: null };
web.onUnauthenticated = () => showLogin();

const can = (perm) => !!(app.me && app.me.user.permissions.includes(perm));
const orgUrl = (screen) => '/o/' + app.org + '/' + screen;
const text = (v) => (v === null || v === undefined || v === '' ? '–' : String(v));
const money = (m) => (m ? m.text : '–');
const when = (t) => (t ? t.text : '–');

const SCREENS = { 'pixi-api': 'pixi API', 'e-mail': 'E-Mail', konfiguration: 'Konfiguration', dashboard: 'Dashboard',
  bestellung: 'Bestellung', abgleich: 'Abgleich', konfigurationsfehler: 'Konfigurationsfehler', betrieb: 'Betrieb',
  benutzer: 'Benutzer', organisationen: 'Organisationen', suche: 'Bestellung suchen', unbekannt: 'Nicht gefunden' };

// ── Adressen ──────────────────────────────────────────────────────────────────
function parseRoute(path) {
  const p = path.replace(/\/+$/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (p.length === 0) return { screen: 'home' };
  if (p[0] === 'organisationen' && p.length === 1) return { screen: 'organisationen' };
  if (p[0] === 'bestellungen' && p.length === 1) return { screen: 'home' };
  if (p[0] === 'bestellungen' && p.length === 2) return { screen: 'suche', nr: p[1] };
  if (p[0] === 'o' && p.length >= 2) {
    const org = p[1];
    if (p.length === 2) return { screen: 'dashboard', org };
    const s = p[2];
    if (s === 'bestellung' && p.length === 5) return { screen: 'bestellung', org, api: p[3], nr: p[4] };
    if (s === 'konfiguration' && p.length === 4) return { screen: 'konfiguration', org, id: p[3] };
    if (SCREENS[s] && p.length === 3 && !['bestellung', 'organisationen', 'suche', 'unbekannt'].includes(s)) return { screen: s, org };
  }
  return { screen: 'unbekannt' };
}

function go(url, replace) {
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  route();
}

window.addEventListener('popstate', () => route());
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[href]');
  if (!a || a.target || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || a.origin !== location.origin) return;
  ev.preventDefault();
  go(a.getAttribute('href'));
});

// ── Anmeldung ─────────────────────────────────────────────────────────────────
function showLogin() {
  app.me = null;
  closeModal();
  show('app-view', false); show('login-view', true);
  $('login-username').focus();
}

function enter(me) {
  app.me = me; web.csrf = me.csrf_token || '';
  app.configs = null; app.apis = null;
  $('user-badge').textContent = me.user.role_label;
  $('user-badge').className = 'badge ' + (me.user.role === 'admin' ? 'admin' : 'standard');
  $('user-name').textContent = me.user.display_name + (me.user.every_tenant ? ' (alle Organisationen)' : '');
  document.querySelectorAll('.needs').forEach((e) => { e.hidden = !can(e.dataset.needs); });
  const sel = $('org-select');
  sel.replaceChildren(...me.orgs.map((o) => { const opt = el('option', o.name); opt.value = o.id; return opt; }));
  show('org-pick', me.orgs.length > 1);
  show('login-view', false); show('app-view', true);
  route();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  show('login-error', false);
  $('login-submit').disabled = true;
  try {
    const me = await api('POST', '/login', { username: $('login-username').value, password: $('login-password').value });
    $('login-password').value = '';
    enter(me);
    toast('Willkommen, ' + me.user.display_name, 'success');
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

$('org-select').addEventListener('change', () => {
  const r = app.route || {};
  const screen = r.screen && r.org && !['bestellung', 'konfiguration'].includes(r.screen) ? r.screen : 'dashboard';
  go('/o/' + $('org-select').value + '/' + screen);
});

// ── Seitenwechsel ─────────────────────────────────────────────────────────────
async function route() {
  if (!app.me) return;
  const r = parseRoute(location.pathname);
  app.route = r;
  if (r.screen === 'home') {
    const first = app.me.user.tenant_id || (app.me.orgs[0] && app.me.orgs[0].id);
    if (first) go('/o/' + first + '/dashboard', true);
    else go('/organisationen', true);
    return;
  }
  if (r.org && !app.me.orgs.some((o) => o.id === r.org)) {
    showScreen('unbekannt');
    return;
  }
  if (r.org && r.org !== app.org) { app.org = r.org; app.configs = null; app.apis = null; app.dashboardQuery = ''; }
  const org = app.me.orgs.find((o) => o.id === app.org);
  $('org-name').textContent = org && app.me.orgs.length <= 1 ? org.name : '';
  if (org) $('org-select').value = org.id;
  document.querySelectorAll('.side a[data-screen]').forEach((a) => {
    a.hidden = !app.org || (a.classList.contains('needs') && !can(a.dataset.needs));
    if (app.org) a.setAttribute('href', orgUrl(a.dataset.screen));
  });
  showScreen(r.screen);
  if (app.org && r.org) banners();
  const loader = LOADERS[r.screen];
  if (loader) {
    try { await loader(r); } catch (e) { failed(e); }
  }
}

function showScreen(name) {
  document.querySelectorAll('.screen').forEach((s) => { s.hidden = s.id !== 'screen-' + name; });
  const menu = name === 'bestellung' || name === 'suche' ? 'dashboard' : name;
  document.querySelectorAll('.side a').forEach((a) => a.classList.toggle('active', a.dataset.screen === menu));
  const orgLink = document.querySelector('.side a[href="/organisationen"]');
  if (orgLink) orgLink.classList.toggle('active', name === 'organisationen');
  document.title = SCREENS[name] + ' · payops pixi-sync';
}

function failed(e) {
  if (e.status === 401) return;
  toast(e.message, 'error');
}

// A form's failure: fields at their fields, anything else in `box` (or a toast).
function formFailed(form, e, box) {
  if (e.status === 422 && e.fields.length) {
    showFieldErrors(form, e.fields);
    const first = form.querySelector('.invalid');
    if (first) first.focus();
    toast('Bitte die markierten Felder prüfen.', 'error');
  } else if (box) {
    $(box).textContent = e.message; show(box, true);
  } else {
    failed(e);
  }
}

function row(cells) {
  const tr = document.createElement('tr');
  cells.forEach((c) => { const td = document.createElement('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = text(c); tr.appendChild(td); });
  return tr;
}

function link(href, label, testid) {
  const a = el('a', label);
  a.setAttribute('href', href);
  if (testid) a.dataset.testid = testid;
  return a;
}

function button(label, cls, onClick, testid) {
  const b = el('button', label, cls);
  b.type = 'button';
  if (testid) b.dataset.testid = testid;
  b.addEventListener('click', onClick);
  return b;
}

function mark(problem) {
  if (problem === 'error') { const m = el('span', '⛔ Fehler', 'mark error'); m.title = 'Ein Prozess ist fehlgeschlagen: bitte eingreifen.'; return m; }
  if (problem === 'hint') { const m = el('span', 'ℹ️ Hinweis', 'mark hint'); m.title = 'Eingreifen (noch) nicht notwendig.'; return m; }
  return el('span', '');
}

// Confirmation with an optional note; resolves to the note, or null when cancelled.
let modalDone = null;
function confirmAction(title, message, ok) {
  $('modal-title').textContent = title; $('modal-text').textContent = message; $('modal-ok').textContent = ok;
  $('modal-note').value = '';
  show('modal', true);
  $('modal-ok').focus();
  return new Promise((resolve) => { modalDone = resolve; });
}
function closeModal(value) {
  show('modal', false);
  if (modalDone) { const d = modalDone; modalDone = null; d(value === undefined ? null : value); }
}
$('modal-ok').addEventListener('click', () => closeModal($('modal-note').value.trim()));
$('modal-cancel').addEventListener('click', () => closeModal(null));
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !$('modal').hidden) closeModal(null); });

// ── Hinweise oben (Organisation steht, PUBLIC_BASE_URL fehlt) ────────────────
async function banners() {
  const box = $('banners');
  const items = [];
  try {
    const s = await api('GET', '/o/' + app.org + '/status');
    (s.tenant_incidents || []).forEach((i) => {
      const b = el('div', '', 'banner error');
      b.dataset.testid = 'banner-incident';
      b.appendChild(el('b', '⛔ ' + i.title + ' (' + i.id + ')'));
      b.appendChild(el('div', i.description));
      items.push(b);
    });
    if (s.public_base_url_missing) {
      const b = el('div', '⚠️ PUBLIC_BASE_URL ist nicht gesetzt: unzer kann die App nicht benachrichtigen (keine Webhooks). Zahlungseingänge bei Vorkasse werden erst beim nächsten Nachlesen gesehen – bis zu ' + s.funds_minutes + ' Minuten später. Bitte den Betrieb (payops) informieren.', 'banner warn');
      b.dataset.testid = 'banner-public-url';
      items.push(b);
    }
  } catch (e) { if (e.status === 401) return; }
  box.replaceChildren(...items);
}

// ── Organisationen ────────────────────────────────────────────────────────────
async function loadOrgs() {
  show('org-created', false);
  const r = await api('GET', '/orgs');
  $('orgs-rows').replaceChildren(...r.orgs.map((o) => row([link('/o/' + o.id + '/pixi-api', o.name, 'org-link'),
    o.pixi_api_count, o.has_smtp ? 'ja' : 'nein', when(o.created)])));
}

$('org-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = $('org-form');
  clearFieldErrors(form);
  try {
    const r = await api('POST', '/orgs', formData(form));
    form.reset();
    app.me = await api('GET', '/me');
    enter(app.me);
    $('org-created-link').textContent = r.error_page_url;
    $('org-created-open').setAttribute('href', '/o/' + r.org.id + '/pixi-api');
    show('org-created', true);
    toast('Organisation „' + r.org.name + '“ angelegt', 'success');
  } catch (e) { formFailed(form, e); }
});

// ── pixi API ──────────────────────────────────────────────────────────────────
async function pixiApis(force) {
  if (!app.apis || force) app.apis = (await api('GET', '/o/' + app.org + '/pixi-apis')).configs;
  return app.apis;
}

async function loadPixi() {
  show('pixi-form', false); show('preflight', false);
  const list = await pixiApis(true);
  $('pixi-rows').replaceChildren(...list.map((a) => {
    const actions = el('span', '', 'actions');
    if (can('pixi.config.write')) {
      actions.appendChild(button('Bearbeiten', 'link-button', () => editPixi(a), 'pixi-edit'));
      actions.appendChild(button(a.active ? 'Deaktivieren' : 'Aktivieren', 'link-button', () => toggleActive(a), 'pixi-toggle'));
    }
    if (can('pixi.preflight.run')) actions.appendChild(button('Verbindung testen', 'link-button', () => testPixi(a), 'pixi-test'));
    const status = el('span', a.active ? 'Aktiv' : 'Inaktiv', 'mark ' + (a.active ? 'ok' : 'hint'));
    return row([a.name, a.endpoint, a.user, a.timezone, status, actions]);
  }));
  show('pixi-empty', list.length === 0);
  const full = list.length >= 2;
  $('pixi-new').disabled = full;
  show('pixi-limit', full);
}

function pixiForm(a) {
  const f = $('pixi-form');
  f.reset(); clearFieldErrors(f); show('pixi-form-error', false);
  f.elements.id.value = a ? a.id : '';
  f.elements.name.value = a ? a.name : '';
  f.elements.endpoint.value = a ? a.endpoint : '';
  f.elements.user.value = a ? a.user : '';
  f.elements.timezone.value = a ? a.timezone : 'Europe/Berlin';
  f.elements.active.checked = a ? a.active : true;
  f.elements.password.placeholder = a && a.has_password ? 'gespeichert – leer lassen, um es zu behalten' : '';
  $('pixi-form-title').textContent = a ? 'pixi API Konfiguration „' + a.name + '“ bearbeiten' : 'Neue pixi API Konfiguration';
  show(f, true);
  f.elements.name.focus();
}
const editPixi = (a) => pixiForm(a);
$('pixi-new').addEventListener('click', () => pixiForm(null));
$('pixi-cancel').addEventListener('click', () => show('pixi-form', false));

async function savePixi(body) {
  const r = await api('POST', '/o/' + app.org + '/pixi-apis', body);
  toast('pixi API Konfiguration „' + r.config.name + '“ gespeichert' + (r.config.active ? ' (Zugangsdaten geprüft)' : ' (inaktiv)'), 'success');
  await loadPixi();
  return r;
}

$('pixi-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = $('pixi-form');
  clearFieldErrors(f); show('pixi-form-error', false);
  const btn = f.querySelector('[type=submit]'); btn.disabled = true;
  try { await savePixi(formData(f)); } catch (e) { formFailed(f, e, 'pixi-form-error'); } finally { btn.disabled = false; }
});

async function toggleActive(a) {
  try {
    await savePixi({ id: a.id, name: a.name, endpoint: a.endpoint, user: a.user, password: '', timezone: a.timezone, active: !a.active });
  } catch (e) { failed(e); }
}

async function testPixi(a) {
  show('preflight', true);
  $('preflight-target').textContent = 'alle aktiven pixi API Konfigurationen (zuletzt: „' + a.name + '“) und ihre unzer Schlüssel';
  $('preflight-summary').textContent = 'Prüfe …';
  $('preflight-rows').replaceChildren();
  try {
    const r = await api('POST', '/o/' + app.org + '/preflight', {});
    const fails = r.checks.filter((c) => c.verdict === 'FAIL').length;
    const warns = r.checks.filter((c) => c.verdict === 'WARN').length;
    $('preflight-summary').textContent = fails ? '❌ ' + fails + ' Prüfung(en) fehlgeschlagen' + (warns ? ', ' + warns + ' Warnung(en)' : '')
      : (warns ? '⚠️ Verbindung in Ordnung, ' + warns + ' Warnung(en): bitte ansehen' : '✅ Verbindung in Ordnung: alle Prüfungen bestanden');
    $('preflight-rows').replaceChildren(...r.checks.map((c) => {
      const v = el('span', { OK: 'OK', WARN: 'Warnung', FAIL: 'Fehler' }[c.verdict], 'verdict ' + c.verdict);
      const tr = row([c.check, v, c.detail, c.fix]);
      tr.dataset.verdict = c.verdict;
      return tr;
    }));
  } catch (e) {
    $('preflight-summary').textContent = '❌ ' + e.message;
  }
}

// ── E-Mail ────────────────────────────────────────────────────────────────────
async function loadSmtp() {
  const f = $('smtp-form');
  f.dataset.state = 'loading';
  f.reset(); clearFieldErrors(f); show('smtp-test-result', false);
  const r = await api('GET', '/o/' + app.org + '/smtp');
  const c = r.config;
  if (c) {
    ['host', 'user', 'sender', 'recipient'].forEach((k) => { f.elements[k].value = c[k] || ''; });
    f.elements.port.value = c.port; f.elements.tls_mode.value = c.tls_mode || 'starttls';
  } else {
    f.elements.port.value = '587'; f.elements.tls_mode.value = 'starttls';
  }
  f.elements.password.placeholder = c && c.has_password ? 'gespeichert – leer lassen, um es zu behalten' : '';
  show('smtp-password-stored', !!(c && c.has_password));
  f.querySelectorAll('input, select').forEach((i) => { i.disabled = !can('pixi.config.write'); });
  // Loaded: what is typed from now on is not overwritten (tests wait for this).
  f.dataset.state = 'ready';
}

$('smtp-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = $('smtp-form');
  clearFieldErrors(f); show('smtp-test-result', false);
  try {
    await api('POST', '/o/' + app.org + '/smtp', formData(f));
    toast('E-Mail Konfiguration gespeichert', 'success');
    await loadSmtp();
  } catch (e) { formFailed(f, e); }
});

$('smtp-test').addEventListener('click', async () => {
  const out = $('smtp-test-result');
  $('smtp-test').disabled = true;
  out.className = 'note'; out.textContent = 'Sende Test-E-Mail …'; show(out, true);
  try {
    const r = await api('POST', '/o/' + app.org + '/smtp/test', {});
    out.className = 'note good';
    out.textContent = '✅ Test-E-Mail an ' + r.recipient + ' gesendet (Betreff „' + r.subject + '“). Sobald sie ankommt, ist die Konfiguration erfolgreich abgeschlossen.';
  } catch (e) {
    out.className = 'warnbox';
    out.textContent = '❌ ' + e.message;
  } finally { $('smtp-test').disabled = false; }
});

// ── Konfigurations-Center ─────────────────────────────────────────────────────
const MODE_INFO = {
  standard: 'Standard: Die App prüft, ob eine Bestellung bereits im Online-Shop eingezogen wurde. Sollte das nicht der Fall sein, führt die App den Capture nach dem Bestellimport in pixi aus, sobald die App die Bestellung zum ersten Mal abgeholt hat. Bei Rechnungen prüft sie, dass die Summe aller pixi-Rechnungen den Bestellbetrag nicht übersteigt.',
  expert: 'Experte (erweitert): Der Capture wird nach Versand/Rechnungsstellung in pixi ausgeführt, genau über den Rechnungsbetrag. Allerdings gibt es weiterhin Zahlungsarten, bei denen der Capture bereits im Online-Shop stattfindet. Schlägt der Capture fehl, informiert dich die App.',
};
const modeNote = ' Bei Rechnungskauf-Zahlungsarten wie z. B. unzer Paylater Invoice hat diese Einstellung keine Auswirkung.';
$('cfg-form').elements.mode.addEventListener('change', () => { $('mode-info').textContent = MODE_INFO[$('cfg-form').elements.mode.value] + modeNote; });

async function configsOf(force) {
  if (!app.configs || force) {
    const r = await api('GET', '/o/' + app.org + '/configs');
    app.configs = r.configs;
    $('mandant-list').replaceChildren(...r.mandants.map((m) => { const o = el('option'); o.value = m; return o; }));
  }
  return app.configs;
}

function apiName(id) {
  const a = (app.apis || []).find((x) => x.id === id);
  return a ? a.name : '?';
}

function configLabel(c) { return apiName(c.pixi_api_id) + ' · Mandant ' + c.mandant + ' · ' + c.payment_method; }

function fillApis(select) {
  select.replaceChildren(el('option', '– pixi API wählen –'), ...app.apis.map((a) => {
    const o = el('option', a.name + (a.active ? '' : ' (inaktiv)')); o.value = a.id; return o;
  }));
  select.options[0].value = '';
}

async function fillMethods(apiId, select, errorBox) {
  select.replaceChildren(el('option', apiId ? 'Lade Zahlarten aus pixi …' : '– zuerst pixi API wählen –'));
  select.options[0].value = '';
  if (errorBox) show(errorBox, false);
  if (!apiId) return;
  try {
    const r = await api('GET', '/o/' + app.org + '/pixi-apis/' + apiId + '/methods');
    select.replaceChildren(el('option', '– Zahlart wählen –'), ...r.methods.map((m) => {
      const o = el('option', m.code + (m.text ? ' – ' + m.text : '')); o.value = m.code; o.dataset.xmlTag = m.xml_tag; return o;
    }));
    select.options[0].value = '';
  } catch (e) {
    select.replaceChildren(el('option', '– Zahlarten nicht verfügbar –')); select.options[0].value = '';
    if (errorBox) { $(errorBox).textContent = e.message; show(errorBox, true); }
  }
}

async function loadConfigs(r) {
  ['cfg-new-form', 'cfg-copy-form', 'cfg-form', 'cfg-saved'].forEach((id) => show(id, false));
  await pixiApis(true);
  const list = await configsOf(true);
  const pick = $('cfg-pick');
  pick.replaceChildren(el('option', list.length ? '– bestehende Konfiguration wählen –' : '– noch keine Konfiguration –'),
    ...list.map((c) => { const o = el('option', configLabel(c) + (c.effectively_active ? '' : ' (inaktiv)')); o.value = c.id; return o; }));
  pick.options[0].value = '';
  if (r && r.id) {
    pick.value = r.id;
    const got = await api('GET', '/o/' + app.org + '/configs/' + r.id);
    configForm(got.config, 'edit');
  }
}

$('cfg-pick').addEventListener('change', () => {
  const id = $('cfg-pick').value;
  if (id) go(orgUrl('konfiguration/' + id));
});

$('cfg-new').addEventListener('click', () => {
  ['cfg-copy-form', 'cfg-form', 'cfg-saved'].forEach((id) => show(id, false));
  const f = $('cfg-new-form');
  f.reset(); clearFieldErrors(f);
  fillApis(f.elements.pixi_api_id);
  fillMethods('', f.elements.payment_method, 'cfg-methods-error');
  show(f, true);
  f.elements.pixi_api_id.focus();
});
$('cfg-new-form').elements.pixi_api_id.addEventListener('change', () => {
  const f = $('cfg-new-form');
  fillMethods(f.elements.pixi_api_id.value, f.elements.payment_method, 'cfg-methods-error');
});

$('cfg-new-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = $('cfg-new-form');
  clearFieldErrors(f);
  const d = formData(f);
  const missing = [];
  if (!d.pixi_api_id) missing.push({ field: 'pixi_api_config_id', reason: 'Bitte die pixi API wählen.' });
  if (!d.mandant) missing.push({ field: 'mandant', reason: 'Pflichtfeld.' });
  if (!d.payment_method) missing.push({ field: 'payment_method', reason: 'Bitte eine Zahlart wählen.' });
  if (missing.length) { showFieldErrors(f, missing); return; }
  const opt = f.elements.payment_method.selectedOptions[0];
  configForm({ id: '', pixi_api_id: d.pixi_api_id, mandant: d.mandant, payment_method: d.payment_method, active: true,
    invoice_booking_event: '', return_booking_event: '', xml_tag: (opt && opt.dataset.xmlTag) || '', rounding_tolerance_minor: 0,
    unzer_public_key: '', has_private_key: false, mode: 'standard', processed_orders: 0 }, 'new');
  show(f, false);
});

$('cfg-copy').addEventListener('click', async () => {
  ['cfg-new-form', 'cfg-form', 'cfg-saved'].forEach((id) => show(id, false));
  const f = $('cfg-copy-form');
  f.reset(); clearFieldErrors(f); show('cfg-copy-error', false);
  const list = await configsOf();
  f.elements.source.replaceChildren(...list.map((c) => { const o = el('option', configLabel(c)); o.value = c.id; return o; }));
  if ($('cfg-pick').value) f.elements.source.value = $('cfg-pick').value;
  fillApis(f.elements.pixi_api_id);
  fillMethods('', f.elements.payment_method);
  show(f, true);
  f.elements.source.focus();
});
$('cfg-copy-form').elements.pixi_api_id.addEventListener('change', () => {
  const f = $('cfg-copy-form');
  fillMethods(f.elements.pixi_api_id.value, f.elements.payment_method);
});

$('cfg-copy-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = $('cfg-copy-form');
  clearFieldErrors(f); show('cfg-copy-error', false);
  try {
    const r = await api('POST', '/o/' + app.org + '/configs/copy', formData(f));
    show(f, false);
    configForm(r.draft, 'draft');
  } catch (e) {
    if (e.status === 422) e.fields.forEach((x) => { if (x.field === 'pixi_api_config_id') x.field = 'pixi_api_id'; });
    formFailed(f, e, 'cfg-copy-error');
  }
});

function configForm(c, kind) {
  const f = $('cfg-form');
  f.reset(); clearFieldErrors(f); show('cfg-form-error', false); show('cfg-saved', false);
  f.elements.id.value = kind === 'edit' ? c.id : '';
  f.elements.copy_from.value = kind === 'draft' ? c.copied_from : '';
  ['pixi_api_id', 'mandant', 'payment_method', 'invoice_booking_event', 'return_booking_event', 'xml_tag', 'unzer_public_key']
    .forEach((k) => { f.elements[k].value = c[k] || ''; });
  f.elements.rounding_tolerance_minor.value = String(c.rounding_tolerance_minor || 0);
  f.elements.active.checked = !!c.active;
  f.elements.mode.value = c.mode || 'standard';
  $('mode-info').textContent = MODE_INFO[f.elements.mode.value] + modeNote;
  f.elements.unzer_private_key.placeholder = c.has_private_key ? 'gespeichert – leer lassen, um ihn zu behalten' : 's-priv-… / p-priv-…';
  show('cfg-key-stored', !!c.has_private_key);
  $('cfg-title').textContent = { new: 'Neue Konfiguration: Konfigurations-Felder', edit: 'Konfiguration bearbeiten', draft: 'Kopie: Konfigurations-Felder' }[kind];
  $('cfg-key').textContent = configLabel(c);
  show('cfg-draft', kind === 'draft');
  show('cfg-edit-warning', kind === 'edit');
  if (kind === 'edit' && c.processed_orders > 0) {
    $('cfg-edit-warning').textContent = 'Vorsicht beim Bearbeiten von bestehenden Konfigurationen: Mit dieser Konfiguration wurden bereits ' + c.processed_orders + ' Bestellungen bearbeitet. Bestellungen, die bereits mit einer Konfiguration von der APP bearbeitet wurden, können nach dem Anpassen der Konfiguration einen Fehler hervorrufen, wenn diese nochmal von der APP bearbeitet werden müssen.';
  }
  f.querySelectorAll('input, select').forEach((i) => { i.disabled = !can('pixi.config.write'); });
  show(f, true);
  f.elements.invoice_booking_event.focus();
}

$('cfg-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = $('cfg-form');
  clearFieldErrors(f); show('cfg-form-error', false);
  const btn = f.querySelector('[type=submit]'); btn.disabled = true;
  try {
    const r = await api('POST', '/o/' + app.org + '/configs', formData(f));
    toast('Konfiguration gespeichert', 'success');
    await configsOf(true);
    history.replaceState(null, '', orgUrl('konfiguration/' + r.config.id));
    await loadConfigs({ id: r.config.id });
    const saved = $('cfg-saved');
    saved.textContent = '✅ Gespeichert: ' + configLabel(r.config) + (r.config.effectively_active ? ' – aktiv.' : ' – nicht aktiv (Konfiguration oder pixi API inaktiv).')
      + r.warnings.map((w) => ' ⚠️ ' + w.message).join('');
    show(saved, true);
  } catch (e) { formFailed(f, e, 'cfg-form-error'); } finally { btn.disabled = false; }
});

// ── Dashboard ─────────────────────────────────────────────────────────────────
async function loadDashboard() {
  const f = $('filter-form');
  clearFieldErrors(f);
  const q = new URLSearchParams(location.search);
  app.dashboardQuery = location.search;
  ['state', 'problem', 'from', 'to', 'nr'].forEach((k) => { f.elements[k].value = q.get(k) || ''; });
  const configs = await configsOf().catch(() => []);
  const methods = [...new Set(configs.map((c) => c.payment_method))].sort();
  f.elements.method.replaceChildren(el('option', 'Alle'), ...methods.map((m) => { const o = el('option', m); o.value = m; return o; }));
  f.elements.method.options[0].value = '';
  f.elements.method.value = q.get('method') || '';
  show('link-new', false);
  let r;
  try {
    r = await api('GET', '/o/' + app.org + '/orders' + location.search);
  } catch (e) {
    if (e.status === 422) { showFieldErrors(f, e.fields); toast('Bitte die Filter prüfen.', 'error'); return; }
    throw e;
  }
  $('order-rows').replaceChildren(...r.orders.map((o) => {
    const href = orgUrl('bestellung/' + o.pixi_api_id + '/' + o.order_nr);
    const nr = link(href, String(o.order_nr), 'order-link');
    const cell = el('span');
    cell.appendChild(nr);
    if (o.order_nr_external) cell.appendChild(el('small', ' Shop ' + o.order_nr_external, 'muted'));
    const tr = row([mark(o.problem), cell, o.payment_method, o.state_label, o.pixi_status, money(o.total), money(o.charged),
      money(o.refunded), o.last_action, when(o.updated)]);
    tr.className = o.problem;
    tr.dataset.orderNr = o.order_nr;
    tr.addEventListener('click', (ev) => { if (!ev.target.closest('a')) go(href); });
    return tr;
  }));
  show('orders-empty', r.orders.length === 0);
  const next = r.next_page;
  show('page-next', !!next);
  $('page-next').onclick = null;
  $('page-next').dataset.token = next || '';
  show('page-first', q.has('page'));
}

function filterQuery() {
  const d = formData($('filter-form'));
  const q = new URLSearchParams();
  Object.entries(d).forEach(([k, v]) => { if (v) q.set(k, v); });
  return q.toString();
}

$('filter-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = filterQuery();
  go(orgUrl('dashboard') + (q ? '?' + q : ''));
});
$('filter-reset').addEventListener('click', () => { $('filter-form').reset(); go(orgUrl('dashboard')); });
$('page-next').addEventListener('click', () => {
  const q = new URLSearchParams(location.search);
  q.set('page', $('page-next').dataset.token);
  go(orgUrl('dashboard') + '?' + q.toString());
});
$('page-first').addEventListener('click', () => {
  const q = new URLSearchParams(location.search);
  q.delete('page');
  const s = q.toString();
  go(orgUrl('dashboard') + (s ? '?' + s : ''));
});

$('link-rotate').addEventListener('click', async () => {
  const ok = await confirmAction('Neuer Link zur Fehler-Seite', 'Der bisherige Link funktioniert danach nicht mehr.', 'Neuen Link erzeugen');
  if (ok === null) return;
  try {
    const r = await api('POST', '/o/' + app.org + '/error-page-link', {});
    $('link-new-url').textContent = r.error_page_url;
    show('link-new', true);
  } catch (e) { failed(e); }
});

// ── Bestellung ────────────────────────────────────────────────────────────────
const KINDS = { charge: 'Einzug (Charge)', refund: 'Erstattung', reversal: 'Storno', shipment: 'Versandmeldung' };
const MOVE_STATUS = { pending: 'offen', succeeded: 'erfolgreich', failed: 'abgelehnt' };

async function loadOrder(r) {
  const d = await api('GET', '/o/' + app.org + '/orders/' + r.api + '/' + r.nr);
  app.order = d.order;
  const o = d.order;
  $('order-back').setAttribute('href', orgUrl('dashboard') + (app.dashboardQuery || ''));
  $('order-title').textContent = 'Bestellung ' + o.order_nr + (o.order_nr_external ? ' (Shop ' + o.order_nr_external + ')' : '');
  $('order-mark').replaceChildren(mark(o.problem), el('span', o.problem === 'hint' ? ' Eingreifen (noch) nicht notwendig.' : ''));
  const facts = [['Status', o.state_label], ['pixi-Status', o.pixi_status], ['Zahlart (pixi)', o.payment_method],
    ['unzer Zahlungstyp', o.payment_type], ['unzer Payment-ID (KK-ID)', o.payment_id], ['App-Modus', o.mode],
    ['Letzte Aktion', o.last_action], ['Zuerst gesehen', when(o.created)], ['Geändert', when(o.updated)]];
  $('order-facts').replaceChildren(...facts.map(([k, v]) => row([k, v])));
  const sums = [['Bestellbetrag', money(o.total)], ['Eingezogen bei unzer', money(o.charged)], ['Erstattet', money(o.refunded)],
    ['Autorisierung freigegeben', money(o.reversed)]];
  $('order-money').replaceChildren(...sums.map(([k, v]) => row([k, v])));
  $('order-incidents').replaceChildren(...(d.incidents.length ? d.incidents.map((i) => {
    const li = el('li', '', i.problem + (i.solved ? ' solved' : ''));
    li.dataset.testid = 'incident';
    li.appendChild(mark(i.problem));
    li.appendChild(el('b', ' ' + i.title + ' '));
    li.appendChild(el('code', i.id));
    li.appendChild(el('p', i.description));
    const meta = 'erstmals ' + when(i.first_seen) + ' · zuletzt ' + when(i.last_seen) + ' · ' + i.occurrences + '×'
      + (i.problem === 'error' ? (i.mailed ? ' · E-Mail ' + when(i.mailed) : ' · E-Mail noch nicht versendet') : ' · Hinweis (keine E-Mail)')
      + (i.solved ? ' · gelöst ' + when(i.solved) + ' von ' + i.solved_by : '');
    li.appendChild(el('small', meta, 'muted'));
    return li;
  }) : [el('li', 'Keine Probleme.', 'muted')]));
  $('order-documents').replaceChildren(...d.documents.map((x) => row([x.nr, x.kind === 'invoice' ? 'Rechnung' : 'Gutschrift',
    money(x.moved), x.shipped ? 'ja' : '–', x.booked ? 'ja' : 'nein', x.failed ? 'Fehler' : (x.booked ? 'erledigt' : 'in Arbeit')])));
  $('order-movements').replaceChildren(...d.movements.map((m) => row([KINDS[m.kind] || m.kind, m.document, money(m.amount),
    MOVE_STATUS[m.status] || m.status, m.transaction_id, when(m.created)])));
  $('order-history').replaceChildren(...d.history.map((h) => el('li', when(h.at) + ' – ' + h.action + (h.detail ? ': ' + h.detail : ''))));
  show('order-solved', o.problem !== 'none' && can('pixi.orders.resolve'));
  show('order-retry', can('pixi.orders.retry') && o.state !== 'completed');
}

$('order-solved').addEventListener('click', async () => {
  const r = app.route;
  const note = await confirmAction('Problem gelöst?', 'Der Button „Problem gelöst“ löscht die Fehler-Markierung der Bestellung und führt keine weitere Aktion in der App aus.', 'Problem gelöst');
  if (note === null) return;
  try {
    const res = await api('POST', '/o/' + app.org + '/orders/' + r.api + '/' + r.nr + '/solved', { note });
    toast('Markierung gelöscht (' + res.solved_incident_ids.length + ' Problem(e)). Die App führt keine weitere Aktion aus.', 'success');
    await loadOrder(r);
  } catch (e) { failed(e); }
});

$('order-retry').addEventListener('click', async () => {
  const r = app.route;
  const note = await confirmAction('Erneut versuchen?', 'Die App bearbeitet die Bestellung sofort erneut: was pixi abgelehnt hatte, wird noch einmal gesendet. Von unzer abgelehnte Geldbewegungen werden nicht wiederholt.', 'Erneut versuchen');
  if (note === null) return;
  try {
    const res = await api('POST', '/o/' + app.org + '/orders/' + r.api + '/' + r.nr + '/retry', { note });
    toast(res.reopened.length ? 'Wird erneut versucht: ' + res.reopened.join(', ') : 'Die Bestellung wird sofort erneut bearbeitet.', 'success');
    await loadOrder(r);
  } catch (e) { failed(e); }
});

// ── Suche nach Bestellnummer (Link aus dem Hotline-Portal) ────────────────────
async function loadLookup(r) {
  $('lookup-title').textContent = 'Bestellung ' + r.nr;
  show('lookup-empty', false);
  $('lookup-rows').replaceChildren();
  let d;
  try { d = await api('GET', '/orders/' + encodeURIComponent(r.nr)); } catch (e) {
    $('lookup-empty').textContent = e.message; show('lookup-empty', true); return;
  }
  if (d.orders.length === 1) {
    const o = d.orders[0];
    go('/o/' + o.tenant_id + '/bestellung/' + o.pixi_api_id + '/' + o.order_nr, true);
    return;
  }
  if (!d.orders.length) {
    $('lookup-empty').textContent = 'Keine von der App verarbeitete Bestellung ' + r.nr + ' gefunden.';
    show('lookup-empty', true);
    return;
  }
  $('lookup-rows').replaceChildren(...d.orders.map((o) => {
    const li = el('li');
    li.appendChild(link('/o/' + o.tenant_id + '/bestellung/' + o.pixi_api_id + '/' + o.order_nr, o.tenant_name + ' – Bestellung ' + o.order_nr, 'lookup-link'));
    li.appendChild(el('span', ' ' + o.state_label, 'muted'));
    return li;
  }));
}

// ── Abgleich ──────────────────────────────────────────────────────────────────
const MISMATCH = { NOT_PROCESSED: 'nicht verarbeitet', CAPTURE_DIFFERS: 'Einzug weicht ab', NOT_BOOKED: 'nicht gebucht',
  REFUND_DIFFERS: 'Erstattung weicht ab', NET_DIFFERS: 'Saldo weicht ab' };

async function loadRuns() {
  const r = await api('GET', '/o/' + app.org + '/mismatches');
  $('runs').replaceChildren(...r.runs.map((x) => {
    const box = el('div', '', 'sub-card');
    box.dataset.testid = 'run';
    box.appendChild(el('h3', 'pixi API „' + x.pixi_api.name + '“'));
    if (!x.run) { box.appendChild(el('p', 'Noch kein Abgleich gelaufen.', 'muted')); return box; }
    box.appendChild(el('p', 'Letzter Abgleich ' + when(x.run.started) + ' (' + (x.run.trigger === 'scheduled' ? 'geplant' : 'manuell') + '): '
      + x.run.orders_checked + ' Bestellungen geprüft, ' + x.run.mismatches + ' Abweichung(en).', x.run.mismatches ? 'bad' : 'good'));
    if (x.mismatches.length) {
      const t = el('table', '', 'list wrap');
      const head = row(['Bestellung', 'Dokument', 'Abweichung', 'pixi', 'unzer', 'gebucht', 'Beschreibung', 'Vorfall']);
      head.querySelectorAll('td').forEach((td) => { const th = el('th', td.textContent); td.replaceWith(th); });
      const body = document.createElement('tbody');
      body.dataset.testid = 'mismatch-rows';
      x.mismatches.forEach((m) => body.appendChild(row([link(orgUrl('bestellung/' + x.pixi_api.id + '/' + m.order_nr), String(m.order_nr), 'mismatch-order'),
        m.document, MISMATCH[m.code] || m.code, money(m.pixi), money(m.unzer), money(m.booked), m.description, m.incident_id])));
      const thead = document.createElement('thead'); thead.appendChild(head);
      t.appendChild(thead); t.appendChild(body);
      const s = el('div', '', 'scroll'); s.appendChild(t); box.appendChild(s);
    }
    return box;
  }));
}

$('reconcile-run').addEventListener('click', async () => {
  $('reconcile-run').disabled = true;
  try {
    const r = await api('POST', '/o/' + app.org + '/reconcile', {});
    toast('Abgleich beendet: ' + r.mismatches.length + ' Abweichung(en).', r.mismatches.length ? 'error' : 'success');
    await loadRuns();
  } catch (e) { failed(e); } finally { $('reconcile-run').disabled = false; }
});

// ── Konfigurationsfehler ──────────────────────────────────────────────────────
async function loadProblems() {
  await pixiApis();
  const r = await api('GET', '/o/' + app.org + '/config-problems');
  $('problem-rows').replaceChildren(...r.problems.map((p) => {
    const target = p.payment_config_id ? link(orgUrl('konfiguration/' + p.payment_config_id), 'Konfiguration öffnen', 'problem-config')
      : link(orgUrl('pixi-api'), 'pixi API öffnen', 'problem-config');
    return row([apiName(p.pixi_api_id), p.payment_method, p.code, p.message, when(p.first_seen), target]);
  }));
  show('problems-empty', r.problems.length === 0);
}

// ── Betrieb ───────────────────────────────────────────────────────────────────
async function loadOps() {
  const s = await api('GET', '/o/' + app.org + '/status');
  const box = $('ops');
  const parts = [];
  const calls = el('div', '', 'sub-card');
  calls.appendChild(el('h3', 'Anfragen an pixi'));
  const stat = (label, value, testid) => { const d = el('span', '', 'stat'); const b = el('b', String(value)); b.dataset.testid = testid; d.appendChild(b); d.appendChild(el('span', label, 'muted')); return d; };
  calls.appendChild(stat('pro Minute (letzte Minute)', s.pixi_calls.last_minute, 'calls-minute'));
  calls.appendChild(stat('pro Minute (Mittel 15 Minuten)', s.pixi_calls.per_minute_15m, 'calls-15m'));
  calls.appendChild(stat('in der letzten Stunde', s.pixi_calls.last_hour, 'calls-hour'));
  calls.appendChild(el('p', 'Nachlesen ohne Änderung: alle ' + s.follow_minutes + ' Minuten, seltener je länger sich eine Bestellung nicht ändert; Bestellungen, die nur eine Person weiterbringt, werden nicht mehr nachgelesen.', 'hint'));
  parts.push(calls);
  const inc = el('div', '', 'sub-card');
  inc.appendChild(el('h3', 'Störungen der Organisation'));
  const list = el('ul', '', 'incidents');
  list.dataset.testid = 'ops-incidents';
  (s.tenant_incidents.length ? s.tenant_incidents : []).forEach((i) => {
    const li = el('li', '', 'error');
    li.appendChild(mark('error')); li.appendChild(el('b', ' ' + i.title + ' ')); li.appendChild(el('code', i.id));
    li.appendChild(el('p', i.description));
    li.appendChild(el('small', 'seit ' + when(i.first_seen) + ' · ' + (i.mailed ? 'E-Mail ' + when(i.mailed) : 'E-Mail noch nicht versendet'), 'muted'));
    list.appendChild(li);
  });
  if (!s.tenant_incidents.length) list.appendChild(el('li', '✅ Keine Störung: die App arbeitet mit pixi.', 'muted'));
  inc.appendChild(list);
  parts.push(inc);
  const mail = el('div', '', 'sub-card');
  mail.appendChild(el('h3', 'E-Mail-Benachrichtigungen'));
  mail.appendChild(el('p', s.mail.configured ? 'E-Mail Konfiguration vorhanden.' : 'Keine E-Mail Konfiguration: Fehler werden gesammelt und versendet, sobald sie gespeichert ist.'));
  const pending = el('p', s.mail.pending + ' Fehler-E-Mail(s) warten auf den Versand' + (s.mail.last_error ? ' (letzter Fehler: ' + s.mail.last_error + ')' : '') + '.');
  pending.dataset.testid = 'mail-pending';
  mail.appendChild(pending);
  parts.push(mail);
  const hooks = el('div', '', 'sub-card');
  hooks.appendChild(el('h3', 'unzer Webhooks'));
  hooks.appendChild(el('p', s.public_base_url_missing ? '⚠️ PUBLIC_BASE_URL fehlt: keine Webhooks, Zahlungseingänge werden erst beim Nachlesen gesehen.' : '✅ unzer meldet Zahlungen per Webhook.', s.public_base_url_missing ? 'warn' : 'good'));
  parts.push(hooks);
  box.replaceChildren(...parts);
}

// ── Benutzer ──────────────────────────────────────────────────────────────────
const ROLES = [['viewer', 'Lesen'], ['operator', 'Bearbeiten'], ['admin', 'Verwalten']];
async function loadUsers() {
  const r = await api('GET', '/o/' + app.org + '/users');
  const writable = can('pixi.console_users.write');
  $('user-rows').replaceChildren(...r.users.map((u) => {
    const role = el('select'); role.setAttribute('aria-label', 'Rolle von ' + u.username);
    ROLES.forEach(([v, l]) => { const o = el('option', l); o.value = v; role.appendChild(o); });
    role.value = u.role; role.disabled = !writable;
    const active = el('input'); active.type = 'checkbox'; active.checked = u.active; active.disabled = !writable;
    active.setAttribute('aria-label', 'aktiv');
    const pw = el('input'); pw.type = 'password'; pw.autocomplete = 'new-password'; pw.disabled = !writable;
    pw.setAttribute('aria-label', 'Neues Passwort für ' + u.username);
    const save = writable ? button('Speichern', 'secondary', async () => {
      try {
        await api('POST', '/o/' + app.org + '/users', { id: u.id, role: role.value, active: active.checked, password: pw.value });
        toast('Benutzer ' + u.username + ' gespeichert', 'success');
        await loadUsers();
      } catch (e) { failed(e); }
    }, 'user-save') : el('span');
    const tr = row([u.username, u.display_name, role, active, pw, save]);
    tr.dataset.username = u.username;
    return tr;
  }));
}

$('user-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = $('user-form');
  clearFieldErrors(f);
  try {
    const r = await api('POST', '/o/' + app.org + '/users', formData(f));
    f.reset();
    toast('Benutzer ' + r.user.username + ' angelegt', 'success');
    await loadUsers();
  } catch (e) { formFailed(f, e); }
});

const LOADERS = { organisationen: loadOrgs, 'pixi-api': loadPixi, 'e-mail': loadSmtp, konfiguration: loadConfigs,
  dashboard: loadDashboard, bestellung: loadOrder, suche: loadLookup, abgleich: loadRuns,
  konfigurationsfehler: loadProblems, betrieb: loadOps, benutzer: loadUsers };

// ── Start ─────────────────────────────────────────────────────────────────────
(async () => {
  try { enter(await api('GET', '/me')); } catch (e) { showLogin(); }
})();
