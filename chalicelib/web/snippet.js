/* Leadtrail tracking snippet: page views, visitor id for forms, consent-aware. No dependencies. */
(function (w, d) {
  'use strict';
  var n = w.navigator, me, site, base, vid = null, queue = [], timer = null, on = false, sent = false, last;
  var VID = 'et_vid', OPT = 'et_optout', ID = /^[A-Za-z0-9_-]{8,64}$/;

  function rand(len) {
    var abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', out = '', bytes = null, i;
    try { bytes = w.crypto.getRandomValues(new Uint8Array(len)); } catch (e) { bytes = null; }
    for (i = 0; i < len; i++) out += abc.charAt((bytes ? bytes[i] : Math.floor(Math.random() * 256)) % 62);
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
  function cut(text, max) { return (text || '').slice(0, max); }

  function pixel(e) {
    var q = ['site=' + site, 'vid=' + vid, 'e=' + e.type, 'url=' + e.url, 'ref=' + e.ref, 'title=' + e.title,
      'ts=' + e.ts, 'id=' + e.id];
    for (var i = 0; i < q.length; i++) {
      var p = q[i].indexOf('=');
      q[i] = q[i].slice(0, p + 1) + encodeURIComponent(q[i].slice(p + 1));
    }
    new Image(1, 1).src = base + '/t.gif?' + q.join('&');
  }
  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    while (on && queue.length) {
      var batch = [], body;
      while (queue.length && batch.length < 25) {
        batch.push(queue[0]);
        body = JSON.stringify({ site: site, vid: visitor(), events: batch });
        if (body.length > 15000 && batch.length > 1) { batch.pop(); break; }
        queue.shift();
      }
      body = JSON.stringify({ site: site, vid: visitor(), events: batch });
      var ok = false;
      try { ok = !!(n.sendBeacon && n.sendBeacon(base + '/collect', body)); } catch (e) { ok = false; }
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
    else { if (timer) clearTimeout(timer); timer = setTimeout(flush, 1000); }
  }
  function start() {
    if (on || privacySignal() || stored(OPT) === '1') return;
    on = true;
    visitor();
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', fields);
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
    vid = null;
    var added = d.querySelectorAll('input[data-leadtrail]');
    for (var i = 0; i < added.length; i++) added[i].parentNode.removeChild(added[i]);
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

  try {
    me = d.currentScript || d.querySelector('script[data-site][src*="snippet.js"]');
    if (!me) return;
    site = me.getAttribute('data-site');
    base = me.src.replace(/\/snippet\.js(\?.*)?$/, '');
    var pending = (w.leadtrail && w.leadtrail.q) || [];
    w.leadtrail = function () { try { command.apply(null, arguments); } catch (e) {} };
    d.addEventListener('submit', function (e) { try { field(e.target); } catch (x) {} }, true);
    w.addEventListener('pagehide', flush);
    d.addEventListener('visibilitychange', function () { if (d.visibilityState === 'hidden') flush(); });
    w.addEventListener('popstate', function () { command('pageview'); });
    wrap('pushState');
    wrap('replaceState');
    // Calls made before the script loaded come first: a queued "consent, false" must win over auto-start.
    for (var i = 0; i < pending.length; i++) w.leadtrail.apply(null, pending[i]);
    if (me.getAttribute('data-consent') !== 'required') start();
  } catch (e) {}
})(window, document);
