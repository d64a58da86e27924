// The client Mini App: five screens over /app/api, every call carrying Telegram's initData (Authorization: tma ...).
// All wording comes from the server's catalogue (GET texts, and the *_text fields of each answer); user text
// (names, titles) is only ever set with textContent.
'use strict';
const $ = (id) => document.getElementById(id);
const tg = (window.Telegram && window.Telegram.WebApp) || null;
const initData = tg ? tg.initData : '';
let T = {}; // labels by name
const loaded = {}; // screen -> true once drawn
const feed = { type: 'all', next: null, lastDay: null };
let current = 'home';

class ApiError extends Error {
  constructor(status, body) { super(body.error || String(status)); this.status = status; this.body = body; }
}
async function api(path, post) {
  const init = { headers: { Authorization: 'tma ' + initData } };
  if (post) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(post);
  }
  const r = await fetch('/app/api/' + path, init);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}
// A request key: minted once per service shown, so a double tap or a retry makes one request (the server binds it
// to the client). getRandomValues, unlike randomUUID, works outside secure contexts too.
function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// A small element builder: el('div.cell', {text: ...}, child, ...).
function el(spec, props, ...children) {
  const [tag, ...classes] = spec.split('.');
  const e = document.createElement(tag || 'div');
  if (classes.length) e.className = classes.join(' ');
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null) continue;
    if (k === 'text') e.textContent = v; else if (k in e) e[k] = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.appendChild(c);
  return e;
}
function empty(text) { return el('div.empty', { text }); }
// Fills a list, or shows `text` in it when there is nothing to list.
function fill(box, nodes, text) { box.replaceChildren(...(nodes.length ? nodes : [el('div.empty-row', { text })])); }

function notice(icon, text) {
  for (const s of document.querySelectorAll('.screen')) s.hidden = true;
  $('tabs').hidden = true;
  $('notice-icon').textContent = icon;
  $('notice-text').textContent = text;
  $('notice').hidden = false;
}
// A refusal shows its own text (in the user's language) when the server sent one.
function failed(e) {
  if (e.status === 404 && e.body.text) return notice('👋', e.body.text);
  if (e.status === 401) return notice('🔒', e.body.text || T.auth_failed || 'Unauthorized');
  notice('⚠️', T.error || 'Error');
}

// ---- screens ------------------------------------------------------------------------------------------------
function promoCell(p) {
  return el('div.cell', {},
    el('div.body', {},
      el('div.sub', { text: p.partner }),
      el('div.title', { text: p.title }),
      p.description ? el('div.desc', { text: p.description }) : null,
      el('div', {}, p.discount ? el('span.badge', { text: p.discount }) : null),
      el('div.sub', { text: p.until_text })));
}

async function drawHome() {
  const h = await api('home');
  $('balance').textContent = h.balance_text;
  $('member-code').textContent = h.member_code;
  // Server-made SVG of the member code: no user text in it.
  $('qr').innerHTML = h.qr_svg || '';
  fill($('home-promos'), h.promotions.map(promoCell), T.no_promos);
}

async function drawPromos() {
  const { promotions } = await api('promotions');
  fill($('promos'), promotions.map(promoCell), T.no_promos);
}

function serviceCell(s, balance) {
  const saving = s.missing_points > 0;
  const status = el('div.sub.request-status', { hidden: true });
  const key = newKey();
  const button = saving ? null : el('button.btn.request', { type: 'button', text: T.request });
  if (button) button.onclick = () => requestService(s.id, key, button, status);
  const progress = saving ? el('div.progress', {}, el('i', { style: `width:${Math.min(100, Math.floor(100 * balance / s.price_points))}%` })) : null;
  return el('div.cell.service', { 'data-id': s.id },
    el('div.body', {},
      el('div.sub', { text: s.partner }),
      el('div.title', { text: s.title }),
      s.description ? el('div.desc', { text: s.description }) : null,
      saving ? el('div.sub.missing', { text: s.missing_text }) : null,
      progress,
      status),
    el('div.side', {}, el('div', { text: s.price_text }), button));
}

// Requests a service: the outcome (sent, or why not, in the client's language) shows under it. A refusal by a rule
// leaves the button off; a failure on the way (network, 503) lets the same key be tried again.
async function requestService(id, key, button, status) {
  button.disabled = true;
  const say = (text, cls) => { status.textContent = text; status.className = 'sub request-status ' + cls; status.hidden = false; };
  try {
    const r = await api('services/request', { service: id, key });
    say(r.text, 'ok');
    button.hidden = true;
  } catch (e) {
    if (e.status === 401) return failed(e);
    say((e.body && e.body.text) || T.error, 'refused');
    if (e.status !== 409) button.disabled = false;
  }
}

async function drawServices() {
  const s = await api('services');
  const none = !s.affordable.length && !s.saving_up.length;
  for (const [id, list] of [['services-affordable', s.affordable], ['services-saving', s.saving_up]]) {
    const box = $(id);
    box.replaceChildren(...list.map((x) => serviceCell(x, s.balance)));
    box.previousElementSibling.hidden = list.length === 0;
  }
  // Nothing at all: one line saying so under the first header.
  if (none) { fill($('services-affordable'), [], T.no_services); $('services-affordable').previousElementSibling.hidden = false; }
}

function opCell(op) {
  const sub = [op.partner, op.receipt_text, op.time].filter(Boolean).join(' · ');
  return el('div.cell.op', { 'data-id': op.id, 'data-kind': op.kind },
    el('div.body', {}, el('div.title', { text: op.kind_text }), el('div.sub', { text: sub })),
    el('div.side' + (op.points > 0 ? '.plus' : ''), { text: op.points_text }));
}

// Appends a page of operations, grouped by day: a page that starts on the day the previous one ended continues
// that day's list.
function appendOps(items) {
  const box = $('history');
  for (const op of items) {
    let list = box.lastElementChild;
    if (feed.lastDay !== op.day || !list) {
      box.appendChild(el('div.day', { text: op.day_text, 'data-day': op.day }));
      list = box.appendChild(el('div.list'));
      feed.lastDay = op.day;
    }
    list.appendChild(opCell(op));
  }
}

async function drawHistory(more) {
  const q = new URLSearchParams({ type: feed.type });
  if (more && feed.next) q.set('before', feed.next);
  const h = await api('history?' + q);
  if (!more) { $('history').replaceChildren(); feed.lastDay = null; }
  for (const b of document.querySelectorAll('.filter')) b.classList.toggle('active', b.dataset.type === feed.type);
  const t = h.totals;
  const parts = [el('span.count', { text: t.count_text })];
  if (t.points_in) parts.push(el('span.in', { text: t.in_text }));
  if (t.points_out) parts.push(el('span.out', { text: t.out_text }));
  $('totals').replaceChildren(...parts);
  appendOps(h.items);
  if (!more && !h.items.length) $('history').appendChild(empty(T.no_operations));
  feed.next = h.next_before;
  $('load-more').hidden = h.next_before == null;
}

async function drawProfile() {
  const p = await api('profile');
  const name = p.first_name || '';
  $('avatar').textContent = (name.trim()[0] || '★').toUpperCase();
  $('profile-name').textContent = name;
  const row = (label, value, name) => el('div.cell.row.row-' + name, {},
    el('div.body', {}, el('div.label', { text: label }), el('div.title', { text: value })));
  $('profile').replaceChildren(
    row(T.profile_phone, p.phone_masked || T.profile_no_phone, 'phone'),
    row(T.profile_member_code, p.member_code, 'code'),
    row(T.profile_member_since, p.member_since, 'since'),
    row(T.profile_referred_by, p.referred_by || T.profile_no_referral, 'referral'),
    languageRow(p.language));
}

// RU / EN: saved like the client bot's /language; the whole app is drawn again in the new language.
function languageRow(chosen) {
  const choice = (lang, label) => {
    const b = el('button.lang' + (lang === chosen ? '.active' : ''), { type: 'button', text: label, 'data-lang': lang });
    b.onclick = async () => {
      if (lang === chosen) return;
      try {
        await api('language', { language: lang });
        for (const k of Object.keys(loaded)) delete loaded[k];
        await loadTexts();
        await show(current);
      } catch (e) { failed(e); }
    };
    return b;
  };
  return el('div.cell.row.row-language', {},
    el('div.body', {}, el('div.label', { text: T.profile_language }),
      el('div.langs', {}, choice('ru', T.language_ru), choice('en', T.language_en))));
}

// The labels in the client's language, and every fixed label of the page set from them.
async function loadTexts() {
  const t = await api('texts');
  T = t.texts;
  document.documentElement.lang = t.lang;
  document.title = T.title;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = T[e.dataset.t] || '';
}

const DRAW = { home: drawHome, promos: drawPromos, services: drawServices, history: () => drawHistory(false), profile: drawProfile };

async function show(screen) {
  current = screen;
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== 'screen-' + screen;
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.tab === screen);
  // Telegram's back button leads home from any other screen.
  if (tg) { if (screen === 'home') tg.BackButton.hide(); else tg.BackButton.show(); }
  window.scrollTo(0, 0);
  try {
    await DRAW[screen]();
    loaded[screen] = true;
    document.body.dataset.screen = screen;
  } catch (e) { failed(e); }
}

for (const b of document.querySelectorAll('.tab')) b.onclick = () => show(b.dataset.tab);
for (const b of document.querySelectorAll('.filter')) {
  b.onclick = () => { feed.type = b.dataset.type; drawHistory(false).catch(failed); };
}
$('load-more').onclick = () => drawHistory(true).catch(failed);
$('all-promos').onclick = () => show('promos');

(async function start() {
  if (tg) { tg.ready(); tg.expand(); tg.BackButton.onClick(() => show('home')); }
  try {
    await loadTexts();
  } catch (e) { return failed(e); }
  $('tabs').hidden = false;
  show('home');
})();
