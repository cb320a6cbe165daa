// The dashboard's only script (the Content-Security-Policy allows no other):
// live regions that refresh themselves, and the action forms, which call the JSON API.
'use strict';

const LIVE_EVERY_MS = 1000;

function refreshLive(box) {
  return fetch(box.dataset.live, { credentials: 'same-origin', cache: 'no-store' })
    .then((r) => {
      // A session that ran out lands on the login form: show it, not inside the box.
      if (r.redirected) window.location.href = r.url;
      // Deleted meanwhile: nothing more will come.
      if (r.status === 404) box.dataset.gone = 'true';
      return r.ok && !r.redirected ? r.text() : null;
    })
    .then((html) => {
      if (box.dataset.gone === 'true') return false;
      // The server escaped everything user-controlled in this fragment.
      if (html !== null && html !== box.dataset.shown) {
        box.innerHTML = html;
        box.dataset.shown = html;
      }
      const state = box.querySelector('[data-final]');
      return !(state && state.dataset.final === 'true');
    })
    .catch(() => true);
}

function watch(box) {
  box.dataset.shown = box.innerHTML;
  const state = box.querySelector('[data-final]');
  if (state && state.dataset.final === 'true') return;
  const tick = () => refreshLive(box).then((again) => { if (again) setTimeout(tick, LIVE_EVERY_MS); });
  setTimeout(tick, LIVE_EVERY_MS);
}

function field(form, name) {
  const el = form.elements.namedItem(name);
  return el ? el.value.trim() : '';
}

// What each form sends: [method, url, body text or null].
const requests = {
  start(form) {
    const body = { name: field(form, 'name') };
    const input = field(form, 'input');
    body.input = input === '' ? null : JSON.parse(input);
    if (field(form, 'id')) body.id = field(form, 'id');
    if (field(form, 'version')) body.version = field(form, 'version');
    return ['POST', '/api/instances', JSON.stringify(body)];
  },
  raise(form) {
    return ['POST', form.dataset.base + '/events/' + encodeURIComponent(field(form, 'event')), field(form, 'data') || 'null'];
  },
  enqueue(form) {
    return ['POST', form.dataset.base + '/queues/' + encodeURIComponent(field(form, 'queue')), field(form, 'message') || 'null'];
  },
  cancel(form) {
    const reason = field(form, 'reason');
    return ['POST', form.dataset.base + '/cancel', JSON.stringify(reason ? { reason } : {})];
  },
  delete(form) {
    const force = form.elements.namedItem('force').checked;
    return ['DELETE', form.dataset.base + (force ? '?force=true' : ''), null];
  },
};

function submit(form, event) {
  event.preventDefault();
  const out = form.querySelector('.result');
  const kind = form.dataset.kind;
  if (kind === 'delete' && !window.confirm('Delete this instance and all its history?')) return;
  let request;
  try {
    request = requests[kind](form);
  } catch (e) {
    out.textContent = 'not valid JSON: ' + e.message;
    out.className = 'result error';
    return;
  }
  const [method, url, body] = request;
  const headers = body === null ? {} : { 'Content-Type': 'application/json' };
  fetch(url, { method, headers, body, credentials: 'same-origin' })
    .then((r) => r.json().then((answer) => ({ ok: r.ok, answer })))
    .then(({ ok, answer }) => {
      out.className = ok ? 'result ok' : 'result error';
      out.textContent = ok ? 'done' : answer.error;
      if (!ok) return;
      if (kind === 'start') window.location.href = '/instances/' + encodeURIComponent(answer.id);
      else if (kind === 'delete') window.location.href = '/';
      else document.querySelectorAll('[data-live]').forEach(refreshLive);
    })
    .catch((e) => {
      out.className = 'result error';
      out.textContent = String(e);
    });
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('[data-live]').forEach(watch);
  document.querySelectorAll('form.api-form').forEach((form) => form.addEventListener('submit', (e) => submit(form, e)));
});
