// A small local stand-in for Telegram's https://telegram.org/js/telegram-web-app.js, served only when the product
// runs on its sandbox. Like the real script it reads the launch parameters from the URL's fragment
// (#tgWebAppData=...&tgWebAppThemeParams=...&tgWebAppVersion=...&tgWebAppPlatform=...), sets the theme's CSS
// variables (--tg-theme-bg-color, ...), and talks to the embedding page with Telegram's postMessage protocol
// ({eventType, eventData} as JSON: web_app_ready, web_app_expand, web_app_close, web_app_setup_back_button,
// web_app_setup_main_button; back_button_pressed and main_button_pressed come back). Only what the Mini App uses.
'use strict';
(function () {
  const hash = new URLSearchParams(location.hash.slice(1));
  let stored = {};
  try { stored = JSON.parse(sessionStorage.getItem('__telegram__launch') || '{}'); } catch (e) { stored = {}; }
  // A reload keeps the launch parameters, as Telegram's script does (the fragment may be gone by then).
  const launch = hash.has('tgWebAppData') ? Object.fromEntries(hash) : stored;
  try { sessionStorage.setItem('__telegram__launch', JSON.stringify(launch)); } catch (e) { /* private mode */ }

  const initData = launch.tgWebAppData || '';
  const initDataUnsafe = {};
  for (const [k, v] of new URLSearchParams(initData)) {
    try { initDataUnsafe[k] = (k === 'user' || k === 'receiver' || k === 'chat') ? JSON.parse(v) : v; } catch (e) { initDataUnsafe[k] = v; }
  }
  if (initDataUnsafe.auth_date) initDataUnsafe.auth_date = Number(initDataUnsafe.auth_date);
  let themeParams = {};
  try { themeParams = JSON.parse(launch.tgWebAppThemeParams || '{}'); } catch (e) { themeParams = {}; }

  // The theme as CSS variables, and light or dark by the background's brightness (Telegram's own rule).
  const root = document.documentElement.style;
  for (const [k, v] of Object.entries(themeParams)) root.setProperty('--tg-theme-' + k.replace(/_/g, '-'), v);
  function isDark(hex) {
    const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || '');
    if (!m) return false;
    const [r, g, b] = m.slice(1).map((x) => parseInt(x, 16));
    return Math.sqrt(0.299 * r * r + 0.587 * g * g + 0.114 * b * b) < 120;
  }
  const colorScheme = isDark(themeParams.bg_color) ? 'dark' : 'light';
  function viewport() { root.setProperty('--tg-viewport-height', innerHeight + 'px'); root.setProperty('--tg-viewport-stable-height', innerHeight + 'px'); }
  viewport();
  addEventListener('resize', viewport);

  function post(eventType, eventData) {
    if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType, eventData: eventData || {} }), '*');
  }
  const handlers = {};
  function emit(name) { for (const cb of handlers[name] || []) { try { cb(); } catch (e) { console.error(e); } } }
  addEventListener('message', (ev) => {
    let msg;
    try { msg = typeof ev.data === 'string' ? JSON.parse(ev.data) : ev.data; } catch (e) { return; }
    if (msg && msg.eventType === 'back_button_pressed') emit('backButtonClicked');
    if (msg && msg.eventType === 'main_button_pressed') emit('mainButtonClicked');
  });

  const BackButton = {
    isVisible: false,
    show() { this.isVisible = true; post('web_app_setup_back_button', { is_visible: true }); return this; },
    hide() { this.isVisible = false; post('web_app_setup_back_button', { is_visible: false }); return this; },
    onClick(cb) { (handlers.backButtonClicked ||= []).push(cb); return this; },
    offClick(cb) { handlers.backButtonClicked = (handlers.backButtonClicked || []).filter((f) => f !== cb); return this; },
  };
  const MainButton = {
    text: 'Continue', isVisible: false, isActive: true,
    color: themeParams.button_color || '#3390ec', textColor: themeParams.button_text_color || '#ffffff',
    sync() { post('web_app_setup_main_button', { is_visible: this.isVisible, is_active: this.isActive, text: this.text, color: this.color, text_color: this.textColor }); return this; },
    setText(t) { this.text = String(t); return this.sync(); },
    show() { this.isVisible = true; return this.sync(); },
    hide() { this.isVisible = false; return this.sync(); },
    enable() { this.isActive = true; return this.sync(); },
    disable() { this.isActive = false; return this.sync(); },
    onClick(cb) { (handlers.mainButtonClicked ||= []).push(cb); return this; },
    offClick(cb) { handlers.mainButtonClicked = (handlers.mainButtonClicked || []).filter((f) => f !== cb); return this; },
  };

  window.Telegram = {
    WebApp: {
      initData, initDataUnsafe, themeParams, colorScheme,
      version: launch.tgWebAppVersion || '8.0',
      platform: launch.tgWebAppPlatform || 'unknown',
      isExpanded: true,
      get viewportHeight() { return innerHeight; },
      get viewportStableHeight() { return innerHeight; },
      BackButton, MainButton,
      HapticFeedback: { impactOccurred() {}, notificationOccurred() {}, selectionChanged() {} },
      ready() { post('web_app_ready'); },
      expand() { post('web_app_expand'); },
      close() { post('web_app_close'); },
      setHeaderColor() {}, setBackgroundColor() {},
      onEvent(name, cb) { (handlers[name] ||= []).push(cb); },
      offEvent(name, cb) { handlers[name] = (handlers[name] || []).filter((f) => f !== cb); },
    },
  };
})();
