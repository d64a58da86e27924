// The sandbox page: act as any simulated Telegram user in the three bots' chats, through /sandbox/api.
// It polls the open chat's transcript and updates bubbles in place (edits keep their place, deletions vanish).
'use strict';
const $ = (id) => document.getElementById(id);
const api = (path) => fetch('/sandbox/api/' + path).then((r) => r.json());
const post = (path, body) => fetch('/sandbox/api/' + path, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});
const store = { get: (k, d) => localStorage.getItem('sandbox.' + k) ?? d, set: (k, v) => localStorage.setItem('sandbox.' + k, v) };
const TITLES = { client: 'Loyalty Client', partner: 'Loyalty Partner', admin: 'Loyalty Admin' };
const title = (bot) => TITLES[bot] || bot;
const narrow = () => window.matchMedia('(max-width: 799px)').matches;

let bot = store.get('bot', '');
let demo = {};
let commands = [];
let shown = new Map(); // message id -> JSON of the entry as drawn
let keyboardKey = '';

const who = () => ({ bot, user_id: Number($('uid').value), first_name: $('name').value || 'Гость', language_code: $('lang').value });
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }
// A bot's text in parse_mode HTML: its entities (&lt; &amp; ...) are already escaped, so they stay entities (escaped
// once more they would show as "&lt;"); Telegram's tags become tags; anything else stays text.
function html(s) {
  // Tags first (a raw "<b>" escaped once), then the bot's own entities (escaped twice), so "&lt;i&gt;" stays text.
  return esc(s)
    .replace(/&lt;(\/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote|tg-spoiler)&gt;/g, '<$1$2>')
    .replace(/&lt;a href=&quot;(https?:[^&]*)&quot;&gt;(.*?)&lt;\/a&gt;/g, '<a href="$1" target="_blank" rel="noopener">$2</a>')
    .replace(/&amp;(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/g, '&$1;');
}
const hhmm = (unix) => new Date(unix * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const plain = (e) => (e.photo ? '🖼 ' : '') + e.text.replace(/<[^>]+>/g, '');

// ---- chat list -------------------------------------------------------------------------------------------------
async function refreshChats() {
  const list = await api('chats?user_id=' + who().user_id);
  // Like Telegram: the latest conversation first; chats without messages in a fixed order.
  const order = ['client', 'partner', 'admin'];
  const rank = (c) => (order.includes(c.bot) ? order.indexOf(c.bot) : order.length);
  list.sort((a, b) => ((b.last ? b.last.date : 0) - (a.last ? a.last.date : 0)) || (rank(a) - rank(b)));
  // Items are kept per bot and patched, not rebuilt: a click never lands on an element that has just been replaced.
  const ul = $('chats');
  let prev = null;
  for (const c of list) {
    let li = ul.querySelector(`[data-bot="${c.bot}"]`);
    if (!li) {
      li = document.createElement('li');
      li.dataset.bot = c.bot;
      li.onclick = () => openChat(c.bot);
    }
    li.className = 'chat-item' + (c.bot === bot ? ' active' : '');
    const last = c.last ? esc(plain(c.last)) : '<i>@' + esc(c.username) + '</i>';
    const inner = `<div class="avatar ${esc(c.bot)}">${esc(title(c.bot).split(' ').pop()[0])}</div>
      <div class="body"><div class="top"><span class="name">${esc(title(c.bot))}</span><span class="time">${c.last ? hhmm(c.last.date) : ''}</span></div>
      <div class="bottom"><span class="preview">${last}</span>${c.unread && c.bot !== bot ? `<span class="badge">${c.unread}</span>` : ''}</div></div>`;
    if (li.dataset.inner !== inner) { li.innerHTML = inner; li.dataset.inner = inner; }
    const want = prev ? prev.nextSibling : ul.firstChild;
    if (li !== want) ul.insertBefore(li, want);
    prev = li;
  }
}

// Opens a bot's chat (on a phone the chat pane replaces the list).
function openChat(name) {
  bot = name;
  store.set('bot', name);
  setView('show-chat');
  loadChat();
}

// (Re)draws the open chat from scratch: another bot, or another user in the same pane.
function loadChat() {
  shown = new Map(); keyboardKey = '';
  $('messages').innerHTML = '';
  $('keyboard').innerHTML = '';
  const name = bot;
  $('chat-title').textContent = title(name);
  $('chat-sub').textContent = 'bot';
  const av = $('chat-avatar');
  av.className = 'avatar ' + name; av.textContent = title(name).split(' ').pop()[0];
  hideCommands();
  refreshChat(); refreshMenu(); refreshChats();
}

// ---- the open chat ---------------------------------------------------------------------------------------------
function bubble(e) {
  const div = document.createElement('div');
  div.className = 'msg ' + e.from;
  div.dataset.id = e.message_id;
  const b = document.createElement('div');
  b.className = 'bubble';
  if (e.photo) {
    const img = document.createElement('img');
    img.src = e.photo; img.alt = 'photo';
    // A picture grows its bubble once loaded: keep the newest message in view.
    img.onload = () => { if (div === $('messages').lastElementChild) $('log').scrollTop = $('log').scrollHeight; };
    b.appendChild(img);
  }
  const t = document.createElement('span');
  t.className = 'text';
  t.innerHTML = e.parse_mode === 'HTML' ? html(e.text) : esc(e.text);
  b.appendChild(t);
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = (e.edited ? 'edited ' : '') + hhmm(e.date);
  b.appendChild(meta);
  div.appendChild(b);
  const rows = (e.reply_markup || {}).inline_keyboard;
  if (rows) {
    const kb = document.createElement('div'); kb.className = 'inline';
    for (const row of rows) {
      const r = document.createElement('div'); r.className = 'row';
      for (const btn of row) r.appendChild(inlineButton(e, btn));
      kb.appendChild(r);
    }
    div.appendChild(kb);
  }
  return div;
}

function inlineButton(e, b) {
  const btn = document.createElement('button');
  btn.type = 'button';
  btn.textContent = b.text;
  if (b.web_app) {
    btn.insertAdjacentHTML('beforeend', '<span class="kind">↗</span>');
    btn.onclick = () => openWebApp(b.text, b.web_app.url);
  } else if (b.url) {
    btn.insertAdjacentHTML('beforeend', '<span class="kind">🔗</span>');
    btn.onclick = () => window.open(b.url, '_blank', 'noopener');
  } else {
    btn.onclick = () => post('press', { ...who(), message_id: e.message_id, data: b.callback_data ?? '' }).then(soon);
  }
  return btn;
}

async function refreshChat() {
  if (!bot) return;
  const w = who();
  const entries = await api(`chat?bot=${encodeURIComponent(w.bot)}&user_id=${w.user_id}&mark_read=true`);
  if (w.bot !== bot || w.user_id !== who().user_id) return; // switched while loading
  const log = $('log');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const box = $('messages');
  const ids = new Set(entries.map((e) => String(e.message_id)));
  for (const el of [...box.children]) if (!ids.has(el.dataset.id)) { el.remove(); shown.delete(el.dataset.id); }
  let added = false;
  let prev = null;
  for (const e of entries) {
    const id = String(e.message_id);
    const key = JSON.stringify(e);
    let el = box.querySelector(`[data-id="${id}"]`);
    if (!el || shown.get(id) !== key) {
      const fresh = bubble(e);
      if (el) el.replaceWith(fresh); else { added = true; }
      el = fresh;
      shown.set(id, key);
    }
    const want = prev ? prev.nextSibling : box.firstChild;
    if (el !== want) box.insertBefore(el, want);
    prev = el;
  }
  // The reply keyboard is the last one a bot message sent, until a bot message removes it.
  // A one-time keyboard hides once the user has answered.
  let keyboard = null;
  let placeholder = '';
  let oneTime = false;
  for (const e of entries) {
    const m = e.reply_markup || {};
    if (e.from !== 'bot') { if (oneTime) keyboard = null; continue; }
    if (m.keyboard) { keyboard = m.keyboard; oneTime = !!m.one_time_keyboard; placeholder = m.input_field_placeholder || ''; }
    if (m.remove_keyboard) { keyboard = null; placeholder = ''; }
  }
  drawKeyboard(keyboard);
  $('text').placeholder = (keyboard && placeholder) || 'Message';
  if (added || atBottom) log.scrollTop = log.scrollHeight;
}

function drawKeyboard(keyboard) {
  const key = JSON.stringify(keyboard);
  if (key === keyboardKey) return;
  keyboardKey = key;
  const kb = $('keyboard'); kb.innerHTML = '';
  for (const row of keyboard || []) {
    const r = document.createElement('div'); r.className = 'row';
    for (const b of row) {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = b.text;
      btn.onclick = () => (b.request_contact ? shareContact() : send(b.text));
      r.appendChild(btn);
    }
    kb.appendChild(r);
  }
}

function send(text) { return post('send', { ...who(), text }).then(soon); }
const soon = () => { setTimeout(refreshChat, 150); setTimeout(refreshChats, 300); };

// Contact sharing: the user's own number (one per user id, from the server), editable; Cancel sends nothing.
async function shareContact() {
  const { phone_number } = await api('user?user_id=' + who().user_id);
  $('contact-phone').value = phone_number;
  const dialog = $('contact-dialog');
  dialog.returnValue = '';
  dialog.showModal();
  dialog.onclose = () => {
    const phone = $('contact-phone').value.trim();
    if (dialog.returnValue === 'share' && phone) post('contact', { ...who(), phone_number: phone }).then(soon);
  };
}

// ---- commands ("/" menu) and the menu button ----------------------------------------------------------------
async function refreshMenu() {
  if (!bot) return;
  const w = who();
  const [list, button] = await Promise.all([
    api(`commands?bot=${w.bot}&user_id=${w.user_id}&language_code=${w.language_code}`),
    api(`menu_button?bot=${w.bot}&user_id=${w.user_id}`),
  ]);
  commands = list;
  $('menu').hidden = commands.length === 0;
  const app = $('menu-app');
  app.hidden = button.type !== 'web_app';
  if (button.type === 'web_app') { app.textContent = button.text; app.onclick = () => openWebApp(button.text, button.web_app.url); }
}

function showCommands(prefix) {
  const box = $('commands');
  const matches = commands.filter((c) => ('/' + c.command).startsWith(prefix));
  if (matches.length === 0) return hideCommands();
  box.innerHTML = '';
  for (const c of matches) {
    const row = document.createElement('div');
    row.className = 'cmd';
    row.innerHTML = `<b>/${esc(c.command)}</b><span>${esc(c.description)}</span>`;
    row.onclick = () => { hideCommands(); $('text').value = ''; send('/' + c.command); };
    box.appendChild(row);
  }
  box.hidden = false;
}
function hideCommands() { $('commands').hidden = true; }

// ---- web apps ----------------------------------------------------------------------------------------------------
// Telegram's theme colours as its web client passes them to a web app (light, or dark when the system prefers it).
const THEMES = {
  light: { bg_color: '#ffffff', text_color: '#000000', hint_color: '#707579', link_color: '#3390ec',
    button_color: '#3390ec', button_text_color: '#ffffff', secondary_bg_color: '#f4f4f5', header_bg_color: '#ffffff',
    accent_text_color: '#3390ec', section_bg_color: '#ffffff', section_header_text_color: '#3390ec',
    subtitle_text_color: '#707579', destructive_text_color: '#e53935', section_separator_color: '#e7e7e7',
    bottom_bar_bg_color: '#ffffff' },
  dark: { bg_color: '#212121', text_color: '#ffffff', hint_color: '#aaaaaa', link_color: '#8774e1',
    button_color: '#8774e1', button_text_color: '#ffffff', secondary_bg_color: '#0f0f0f', header_bg_color: '#212121',
    accent_text_color: '#8774e1', section_bg_color: '#212121', section_header_text_color: '#aaaaaa',
    subtitle_text_color: '#aaaaaa', destructive_text_color: '#ff595a', section_separator_color: '#3d3d3d',
    bottom_bar_bg_color: '#212121' },
};
// Opens a web app as Telegram does: its URL with the launch parameters in the fragment — initData signed for the
// simulated user with the bot's token (by the sandbox server, which plays Telegram), the version, the platform and
// the theme. Telegram's own telegram-web-app.js (or the Mini App's sandbox stand-in) reads them from there.
async function openWebApp(name, url) {
  const w = who();
  const q = new URLSearchParams({ bot: w.bot, user_id: w.user_id, first_name: w.first_name, language_code: w.language_code });
  const { init_data } = await api('web_app_data?' + q);
  const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  const launch = new URLSearchParams({
    tgWebAppData: init_data || '', tgWebAppVersion: '8.0', tgWebAppPlatform: 'weba',
    tgWebAppThemeParams: JSON.stringify(THEMES[dark ? 'dark' : 'light']),
  });
  $('webapp-title').textContent = name;
  $('webapp-frame').src = url.split('#')[0] + '#' + launch;
  $('webapp').hidden = false;
}
function closeWebApp() {
  $('webapp').hidden = true; $('webapp-frame').src = 'about:blank';
  $('webapp-back').hidden = true; $('webapp-main').hidden = true;
}
$('webapp-close').onclick = closeWebApp;
// Telegram's postMessage protocol between a web app and its client: the app shows or hides the back and main
// buttons, which the client draws; their presses go back to the app.
const toWebApp = (eventType) => $('webapp-frame').contentWindow.postMessage(JSON.stringify({ eventType, eventData: {} }), '*');
$('webapp-back').onclick = () => toWebApp('back_button_pressed');
$('webapp-main').onclick = () => toWebApp('main_button_pressed');
window.addEventListener('message', (ev) => {
  if (ev.source !== $('webapp-frame').contentWindow) return;
  let msg;
  try { msg = JSON.parse(ev.data); } catch (e) { return; }
  const data = msg.eventData || {};
  if (msg.eventType === 'web_app_close') closeWebApp();
  if (msg.eventType === 'web_app_setup_back_button') $('webapp-back').hidden = !data.is_visible;
  if (msg.eventType === 'web_app_setup_main_button') {
    const b = $('webapp-main');
    b.hidden = !data.is_visible; b.disabled = !data.is_active; b.textContent = data.text || '';
    b.style.background = data.color || ''; b.style.color = data.text_color || '';
  }
});

// ---- the first-visit hint ------------------------------------------------------------------------------------------
function drawHint() {
  if (!demo.referral) return;
  $('hint-partner').textContent = demo.partner_id;
  $('hint-company').textContent = demo.partner_name;
  $('hint-referral').textContent = '/start ' + demo.referral;
  $('hint-admin').textContent = demo.admin_id ?? '';
  $('hint-admin-line').hidden = demo.admin_id == null;
  $('hint').hidden = store.get('hint-dismissed', '') === '1';
}
$('hint-close').onclick = () => { store.set('hint-dismissed', '1'); $('hint').hidden = true; };
$('help').onclick = () => { store.set('hint-dismissed', ''); drawHint(); };
// The referral line is sent by a client: in the client bot, as the current user unless that is the partner or admin.
$('hint-referral').onclick = (ev) => {
  ev.preventDefault();
  const uid = Number($('uid').value);
  if (uid === demo.partner_id || uid === demo.admin_id) { $('uid').value = 2001; userChanged(); }
  if (bot !== 'client' || $('app').className !== 'show-chat') openChat('client');
  send('/start ' + demo.referral);
};

// ---- composer and user switcher --------------------------------------------------------------------------------
$('composer').onsubmit = (ev) => {
  ev.preventDefault();
  const t = $('text').value;
  if (!t.trim()) return;
  $('text').value = '';
  hideCommands();
  send(t);
};
$('text').oninput = () => {
  const t = $('text').value;
  if (t.startsWith('/') && !t.includes(' ')) showCommands(t); else hideCommands();
};
$('menu').onclick = () => ($('commands').hidden ? showCommands('/') : hideCommands());
$('pin').onclick = () => post('attachment', who()).then(soon);
$('back').onclick = () => { setView('show-list'); hideCommands(); refreshChats(); };
// On a phone the list and the chat take turns; the hint goes with whichever is shown, so a first visit sees it.
function setView(view) {
  $('app').className = view;
  if (view === 'show-list' && narrow()) $('sidebar').insertBefore($('hint'), $('chats'));
  else $('log').insertBefore($('hint'), $('messages'));
}
function userChanged() {
  store.set('uid', $('uid').value); store.set('name', $('name').value); store.set('lang', $('lang').value);
  if (bot) loadChat(); else refreshChats();
}
for (const id of ['uid', 'name', 'lang']) $(id).onchange = userChanged;

(async function start() {
  $('uid').value = store.get('uid', $('uid').value);
  $('name').value = store.get('name', $('name').value);
  $('lang').value = store.get('lang', $('lang').value);
  demo = await api('demo');
  drawHint();
  // Wide screens show a chat beside the list from the start; phones start on the list, like Telegram.
  if (bot || !narrow()) openChat(bot || 'client'); else { setView('show-list'); refreshChats(); }
  setInterval(refreshChat, 700);
  setInterval(refreshChats, 2000);
  setInterval(refreshMenu, 3000);
})();
