// Leadtrail snippet: page views, visitor id for forms, consent-aware. No dependencies.
(function (w, d) {
  'use strict';
  var n = w.navigator, me, site, base, api, vid = null, queue = [], timer = null, on = false, sent = false, last;
  var VID = 'et_vid', OPT = 'et_optout', ID = /^[A-Za-z0-9_-]{8,64}$/;

  function rand(len) {
    var abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', out = '', bytes, i;
    try { bytes = w.crypto.getRandomValues(new Uint8Array(len)); } catch (e) {}
    for (i = 0; i < len; i++) out += abc.charAt(bytes ? bytes[i] % 62 : Math.random() * 62 | 0);
    return out;
  }
  function store(key, value) {
    try { if (value === null) w.localStorage.removeItem(key); else w.localStorage.setItem(key, value); } catch (e) {}
  }
  function stored(key) { try { return w.localStorage.getItem(key); } catch (e) { return null; } }
  function cookie(value) {
    var attrs = '; path=/; SameSite=Lax' + (w.location.protocol === 'https:' ? '; Secure' : '');
    d.cookie = VID + '=' + (value || '') + attrs + (value ? '; max-age=34214400' : '; max-age=0');
  }
  function readCookie() {
    var m = d.cookie.match(/(?:^|;\s*)et_vid=([^;]*)/);
    return m ? m[1] : null;
  }
  function privacySignal() {
    return n.doNotTrack === '1' || w.doNotTrack === '1' || n.msDoNotTrack === '1' || n.globalPrivacyControl === true;
  }
  function visitor() {
    if (vid) return vid;
    var found = readCookie() || stored(VID);
    vid = found && ID.test(found) ? found : rand(22);
    cookie(vid);
    store(VID, vid);
    return vid;
  }
  function field(form) {
    if (!on || !form || !form.appendChild) return;
    var input = form.querySelector('input[name="' + VID + '"]');
    if (!input) {
      input = d.createElement('input');
      input.type = 'hidden';
      input.name = VID;
      input.setAttribute('data-leadtrail', '1');
      form.appendChild(input);
    }
    input.value = visitor();
  }
  function fields() { for (var i = 0; i < d.forms.length; i++) field(d.forms[i]); }
  function ours(form) { return String(form.action).indexOf(api + '/forms/') === 0; }
  // no half surrogate pair at the end
  function cut(text, max) {
    var s = String(text || '').slice(0, max);
    return /[\ud800-\udbff]$/.test(s) ? s.slice(0, -1) : s;
  }
  // lone surrogates make encodeURIComponent throw
  function enc(s) {
    try { return encodeURIComponent(s); } catch (e) { return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd')); }
  }
  function safe(f) { return function () { try { f.apply(this, arguments); } catch (e) {} }; }

  function pixel(e) {
    var q = { site: site, vid: vid, e: e.type, url: e.url, ref: e.ref, title: e.title, ts: e.ts, id: e.id }, s = [], k;
    for (k in q) s.push(k + '=' + enc(String(q[k])));
    new Image(1, 1).src = base + '/t.gif?' + s.join('&');
  }
  function json(batch) { return JSON.stringify({ site: site, vid: visitor(), events: batch }); }
  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    while (on && queue.length) {
      var batch = [], ok = false;
      // under 15000 bytes of UTF-8
      while (queue.length && batch.length < 25) {
        batch.push(queue[0]);
        if (enc(json(batch)).replace(/%../g, 'x').length >= 15000 && batch.length > 1) { batch.pop(); break; }
        queue.shift();
      }
      try { ok = !!(n.sendBeacon && n.sendBeacon(base + '/collect', json(batch))); } catch (e) {}
      if (!ok) for (var i = 0; i < batch.length; i++) pixel(batch[i]);
    }
  }
  function pageview(ref) {
    if (!on) return;
    var url = w.location.href;
    queue.push({ type: 'pageview', url: cut(url, 2048), ref: cut(ref === undefined ? d.referrer : ref, 2048),
      title: cut(d.title, 300), ts: Date.now(), id: rand(16) });
    last = url;
    sent = true;
    if (queue.length >= 10) flush();
    else { if (timer) clearTimeout(timer); timer = setTimeout(safe(flush), 1000); }
  }
  function start() {
    if (on || privacySignal() || stored(OPT) === '1') return;
    on = true;
    visitor();
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', safe(fields));
    else fields();
    if (!sent) pageview();
  }
  function stop() {
    on = false;
    queue = [];
    if (timer) { clearTimeout(timer); timer = null; }
    cookie(null);
    store(VID, null);
    store(OPT, '1');
    // what an earlier version kept (a sent form's mark) goes too
    store('et_lead', null);
    var all = d.querySelectorAll('input[name="' + VID + '"]'), el;
    for (var i = 0; i < all.length; i++) {
      el = all[i];
      if (el.getAttribute('data-leadtrail')) el.parentNode.removeChild(el); else if (el.value === vid) el.value = '';
    }
    vid = null;
  }
  function command(name, value) {
    if (name === 'consent') {
      if (value) { store(OPT, null); start(); } else stop();
    } else if (name === 'pageview' && on && w.location.href !== last) {
      pageview(last);
    }
  }
  function wrap(method) {
    var original = w.history[method];
    if (!original) return;
    w.history[method] = function () {
      var result = original.apply(this, arguments);
      try { command('pageview'); } catch (e) {}
      return result;
    };
  }

  // a page with a form that posts to Leadtrail gets the script that shows its problems inline
  function forms() {
    for (var i = 0; i < d.forms.length; i++) {
      if (ours(d.forms[i])) {
        var js = d.createElement('script');
        js.async = true;
        js.src = api + '/snippet-forms.js';
        return d.head.appendChild(js);
      }
    }
  }

  try {
    me = d.currentScript || d.querySelector('script[data-site][src*="snippet.js"]');
    if (!me) return;
    site = me.getAttribute('data-site');
    if (!site) return;
    // page views go back where the snippet came from
    base = me.src.replace(/\/snippet\.js([?#].*)?$/, '');
    // forms go to the API (the capture URL takes page views only)
    api = me.getAttribute('data-api') || base;
    var pending = (w.leadtrail && w.leadtrail.q) || [];
    w.leadtrail = function () { try { command.apply(null, arguments); } catch (e) {} };
    d.addEventListener('submit', function (e) { try { field(e.target); } catch (x) {} }, true);
    w.addEventListener('pagehide', safe(flush));
    d.addEventListener('visibilitychange', safe(function () { if (d.visibilityState === 'hidden') flush(); }));
    w.addEventListener('popstate', safe(function () { command('pageview'); }));
    wrap('pushState');
    wrap('replaceState');
    // Queued calls first: a queued "consent, false" must win over auto-start.
    for (var i = 0; i < pending.length; i++) w.leadtrail.apply(null, pending[i]);
    if (me.getAttribute('data-consent') !== 'required') start();
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', safe(forms)); else forms();
  } catch (e) {}
})(window, document);
