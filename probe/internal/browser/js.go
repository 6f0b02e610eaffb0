package browser

import (
	"encoding/json"
	"time"
)

// The runner's scripts run in an isolated world of the page: they share its
// DOM but not its JavaScript globals, so a page that redefines
// querySelectorAll or setTimeout cannot break them, and the page cannot see
// or call them.
const (
	worldName   = "__vigil"
	bindingName = "__vigilReport"
)

// vitalsScript runs in every new document, before the page's own scripts.
// It reports the document's navigation timing (after load), Largest
// Contentful Paint and Cumulative Layout Shift through the binding; the
// recorder keeps the reports of the run's first document. CLS is the
// largest session window of layout shifts without recent input (gaps under
// 1 s, windows under 5 s), as web-vitals computes it.
const vitalsScript = `(() => {
  // The binding may be installed after this script runs: look it up late.
  const send = (m) => {
    const report = globalThis.` + bindingName + `;
    if (typeof report === 'function') { try { report(JSON.stringify(m)); } catch (e) {} }
  };
  try {
    new PerformanceObserver((list) => {
      const es = list.getEntries();
      if (es.length) send({lcp: es[es.length - 1].startTime});
    }).observe({type: 'largest-contentful-paint', buffered: true});
  } catch (e) {}
  try {
    let cls = 0, win = 0, first = 0, last = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        if (win && e.startTime - last < 1000 && e.startTime - first < 5000) {
          win += e.value;
        } else {
          win = e.value;
          first = e.startTime;
        }
        last = e.startTime;
        if (win > cls) { cls = win; send({cls}); }
      }
    }).observe({type: 'layout-shift', buffered: true});
  } catch (e) {}
  const nav = () => {
    const n = performance.getEntriesByType('navigation')[0];
    if (n) send({ttfb: n.responseStart, dcl: n.domContentLoadedEventStart, load: n.loadEventStart});
  };
  addEventListener('load', () => setTimeout(nav, 0), {once: true});
  addEventListener('pagehide', nav, {once: true});
})()`

// findScript waits, in the page, until the element a step needs is there
// and usable, does the in-page part of the step, and resolves with a
// findResult. It is called as (findScript)(spec) with a findSpec.
//
// It checks on every DOM mutation (coalesced to one check per task) and
// every 100 ms, and gives up after spec.timeout milliseconds with the reason
// of the last check. Kinds:
//   - click: the first visible element matching selector (whose textContent
//     contains text, when set), scrolled into view, enabled and not covered
//     by another element; resolves with the point to click.
//   - visible: the first visible element matching selector.
//   - text: document.body (or an element matching selector) whose rendered
//     text contains text.
//   - fill: the first visible, editable element matching selector; focuses
//     it and selects its content, so that inserted text replaces it (value
//     "" clears it instead).
//   - select: the <select> matching selector with an option whose value (or
//     else label) is value; selects it and dispatches input and change.
const findScript = `(spec) => new Promise((resolve) => {
  const norm = (s) => String(s == null ? '' : s).replace(/\s+/g, ' ').trim();
  const want = norm(spec.text);
  const visible = (el) => {
    if (!el.isConnected) return false;
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList && el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
  const all = () => Array.from(document.querySelectorAll(spec.selector));
  const nonText = new Set(['checkbox', 'radio', 'submit', 'button', 'file', 'hidden', 'image', 'reset', 'range', 'color']);
  let reason = 'not found';
  const firstVisible = (pred) => {
    let seen = false;
    for (const el of all()) {
      seen = true;
      if (!visible(el)) { reason = 'not visible'; continue; }
      if (pred && !pred(el)) continue;
      return el;
    }
    if (!seen) reason = 'not found';
    return null;
  };
  const kinds = {
    click() {
      const el = firstVisible(want ? (e) => {
        if (norm(e.textContent).includes(want)) return true;
        reason = 'not found';
        return false;
      } : null);
      if (!el) return null;
      if (el.matches(':disabled')) { reason = 'disabled'; return null; }
      let r = el.getBoundingClientRect();
      if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) {
        el.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});
        r = el.getBoundingClientRect();
      }
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const hit = document.elementFromPoint(x, y);
      if (hit && hit !== el && !el.contains(hit)) { reason = 'covered by ' + describe(hit); return null; }
      return {ok: true, x, y};
    },
    visible() {
      return firstVisible(null) ? {ok: true} : null;
    },
    text() {
      if (!spec.selector) {
        return document.body && norm(document.body.innerText).includes(want) ? {ok: true} : null;
      }
      let seen = false;
      for (const el of all()) {
        seen = true;
        if (norm(el.innerText ?? el.textContent).includes(want)) return {ok: true};
      }
      reason = seen ? 'has other text' : 'not found';
      return null;
    },
    fill() {
      const el = firstVisible(null);
      if (!el) return null;
      const tag = el.tagName;
      const input = tag === 'INPUT' && !nonText.has((el.type || '').toLowerCase());
      if (!input && tag !== 'TEXTAREA' && !el.isContentEditable) { reason = 'not editable'; return null; }
      if (el.matches(':disabled')) { reason = 'disabled'; return null; }
      if (el.readOnly) { reason = 'read-only'; return null; }
      el.focus();
      if (input || tag === 'TEXTAREA') {
        if (spec.value === '') {
          el.value = '';
          el.dispatchEvent(new Event('input', {bubbles: true}));
          el.dispatchEvent(new Event('change', {bubbles: true}));
        } else {
          el.select();
        }
      } else {
        const range = document.createRange();
        range.selectNodeContents(el);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        if (spec.value === '') document.execCommand('delete');
      }
      return {ok: true};
    },
    select() {
      const el = all()[0];
      if (!el) { reason = 'not found'; return null; }
      if (el.tagName !== 'SELECT') { reason = 'not a <select>'; return null; }
      if (el.matches(':disabled')) { reason = 'disabled'; return null; }
      const opts = Array.from(el.options);
      const opt = opts.find((o) => o.value === spec.value) || opts.find((o) => norm(o.label) === norm(spec.value));
      if (!opt) { reason = 'has no option ' + JSON.stringify(spec.value); return null; }
      if (opt.disabled) { reason = 'has option ' + JSON.stringify(spec.value) + ' disabled'; return null; }
      el.value = opt.value;
      el.dispatchEvent(new Event('input', {bubbles: true}));
      el.dispatchEvent(new Event('change', {bubbles: true}));
      return {ok: true};
    },
  };
  let done = false, queued = false, obs = null, iv = 0, to = 0;
  const end = (v) => {
    if (done) return;
    done = true;
    if (obs) obs.disconnect();
    clearInterval(iv);
    clearTimeout(to);
    resolve(v);
  };
  const check = () => {
    queued = false;
    if (done) return;
    try {
      const v = kinds[spec.kind]();
      if (v) end(v);
    } catch (e) {
      end({error: String((e && e.message) || e)});
    }
  };
  check();
  if (done) return;
  obs = new MutationObserver(() => { if (!queued) { queued = true; setTimeout(check, 0); } });
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  iv = setInterval(check, 100);
  to = setTimeout(() => end({timeout: true, reason}), Math.max(0, spec.timeout));
})`

// findSpec is the argument of findScript.
type findSpec struct {
	Kind     string `json:"kind"`
	Selector string `json:"selector"`
	Text     string `json:"text"`
	Value    string `json:"value"`
	Timeout  int64  `json:"timeout"` // milliseconds
}

// findResult is what findScript resolves with.
type findResult struct {
	OK      bool    `json:"ok"`
	X       float64 `json:"x"`
	Y       float64 `json:"y"`
	Timeout bool    `json:"timeout"`
	Reason  string  `json:"reason"`
	Error   string  `json:"error"`
}

// findExpression is the expression that runs findScript with spec, giving
// up after timeout.
func findExpression(spec findSpec, timeout time.Duration) string {
	spec.Timeout = max(timeout.Milliseconds(), 0)
	arg, err := json.Marshal(spec)
	if err != nil {
		// A struct of strings and an int always marshals.
		panic(err)
	}
	return "(" + findScript + ")(" + string(arg) + ")"
}
