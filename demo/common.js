// Helpers shared by the demo pages. Stream data is always set with
// textContent, never as HTML.
const demo = {
  $(sel) { return document.querySelector(sel); },
  text(sel, value) { const el = typeof sel === 'string' ? document.querySelector(sel) : sel; el.textContent = String(value); return el; },
  el(tag, props = {}, children = []) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') e.textContent = v; else if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  },
  // state shows a source's readyState in a badge.
  state(sel, es) {
    const names = ['connecting', 'open', 'closed'];
    const el = document.querySelector(sel);
    const show = () => { el.className = 'badge ' + names[es.readyState]; el.textContent = names[es.readyState]; };
    show();
    for (const t of ['open', 'error', 'message']) es.addEventListener(t, show);
    setInterval(show, 500);
  },
  post(path) { return fetch(path, { method: 'POST' }).then((r) => r.json()); },
  time(t) { return new Date(t || Date.now()).toLocaleTimeString(); },
};
window.demo = demo;
