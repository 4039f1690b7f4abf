/* Leadtrail forms: a form that posts to Leadtrail is sent with fetch (JSON, with an Idempotency-Key, so a
   double click is one lead) and the problems it gets back are shown beside their fields, in the page's
   language. Loaded by snippet.js on pages with such a form; without it the plain post and its page work. */
(function (w, d) {
  'use strict';
  var me = d.currentScript, base = me && me.src.replace(/\/snippet-forms\.js([?#].*)?$/, ''), count = 0;
  if (!base || !w.fetch || !w.FormData || !w.URL) return;

  function key() {
    var bytes = w.crypto.getRandomValues(new Uint8Array(18)), out = '', i;
    for (i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }

  var WORDS = {
    en: { email: 'Type your e-mail address, such as name@company.com.', other: 'Please check this field.',
      busy: 'The form could not be sent just now. Please send it again.', failed: 'The form could not be sent.',
      thanks: 'Thank you! We will be in touch soon.' },
    da: { email: 'Skriv din e-mailadresse, fx navn@firma.dk.', other: 'Tjek venligst feltet.',
      busy: 'Formularen kunne ikke sendes lige nu. Send den venligst igen.', failed: 'Formularen kunne ikke sendes.',
      thanks: 'Tak! Vi vender tilbage snarest.' }
  };
  function words(form) {
    var lang = ((form.closest && form.closest('[lang]')) || d.documentElement).getAttribute('lang') || '';
    return WORDS[lang.slice(0, 2).toLowerCase()] || WORDS.en;
  }
  function target(form) {
    var url = new URL(form.getAttribute('action') || '', d.baseURI).href;
    return (form.getAttribute('method') || '').toLowerCase() === 'post' && url.indexOf(base + '/forms/') === 0 && url;
  }
  function say(form, text, input) { // beside a field, or at the top of the form
    var p = d.createElement('p');
    p.className = 'leadtrail-error';
    p.setAttribute('data-leadtrail', '1');
    p.textContent = text;
    p.id = 'leadtrail-error-' + (++count);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('data-leadtrail-error', p.id);
      input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '') + ' ' + p.id).trim());
      input.parentNode.insertBefore(p, input.nextSibling);
      return input;
    }
    p.setAttribute('role', 'alert');
    p.tabIndex = -1;
    form.insertBefore(p, form.firstChild);
    return p;
  }
  function unsay(form) {
    var all = form.querySelectorAll('[data-leadtrail-error]'), i, el, by;
    for (i = 0; i < all.length; i++) {
      el = all[i];
      by = (' ' + el.getAttribute('aria-describedby') + ' ').replace(' ' + el.getAttribute('data-leadtrail-error') + ' ', ' ').trim();
      if (by) el.setAttribute('aria-describedby', by); else el.removeAttribute('aria-describedby');
      el.removeAttribute('aria-invalid');
      el.removeAttribute('data-leadtrail-error');
    }
    all = form.querySelectorAll('p.leadtrail-error[data-leadtrail]');
    for (i = 0; i < all.length; i++) all[i].parentNode.removeChild(all[i]);
  }
  function answered(form, status, answer, data) {
    var t = words(form), problems = (answer && answer.fields) || [], first, input, i, next, p;
    form.removeAttribute('aria-busy');
    if (status === 201) {
      next = data._next && new URL(data._next, w.location.href);
      if (next && /^https?:$/.test(next.protocol)) return w.location.assign(next.href);
      p = d.createElement('p');
      p.className = 'leadtrail-thanks';
      p.setAttribute('role', 'status');
      p.tabIndex = -1;
      p.textContent = form.getAttribute('data-thanks') || t.thanks;
      form.parentNode.insertBefore(p, form);
      form.hidden = true;
      return p.focus();
    }
    for (i = 0; i < problems.length; i++) {
      input = form.elements[problems[i].field];
      if (input && !input.nodeType) input = input[0]; // radio buttons
      if (input && input.parentNode) first = first || say(form, t[problems[i].field] || t.other, input);
    }
    (first || say(form, status === 409 ? t.busy : t.failed)).focus();
  }
  function post(form) { w.HTMLFormElement.prototype.submit.call(form); } // an input may be named submit
  function send(e) {
    var form = e.target, url, data = {}, body;
    if (e.defaultPrevented || !form || form.nodeName !== 'FORM' || !(url = target(form))) return;
    e.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return; // a double click is one submission
    new FormData(form).forEach(function (value, name) { if (typeof value === 'string' && !(name in data)) data[name] = value; });
    if (!data.page_url) data.page_url = w.location.href.slice(0, 2048);
    body = JSON.stringify(data);
    if (form._leadtrail !== body) { form._leadtrail = body; form._leadtrailKey = key(); } // a retry keeps its key
    unsay(form);
    form.setAttribute('aria-busy', 'true');
    w.fetch(url, { method: 'POST', body: body, credentials: 'omit',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': form._leadtrailKey } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (a) { answered(form, r.status, a, data); });
      }, function () { form.removeAttribute('aria-busy'); post(form); }); // no answer at all: the plain post
  }

  d.addEventListener('submit', function (e) {
    try { send(e); } catch (x) { if (e.defaultPrevented) post(e.target); }
  });
  try { // marks the forms it sends, for the page's styles and tests
    for (var i = 0; i < d.forms.length; i++) if (target(d.forms[i])) d.forms[i].setAttribute('data-leadtrail-form', '');
  } catch (e) {}
})(window, document);
