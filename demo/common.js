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
  // post sends a control request (JSON, as the server requires) and never
  // rejects: it resolves to {ok, status, body}.
  post(path, body = {}) {
    return fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(async (r) => ({ ok: r.ok, status: r.status, body: await r.json().catch(() => null) }))
      .catch((err) => ({ ok: false, status: 0, body: { error: String(err) } }));
  },
  time(t) { return new Date(t || Date.now()).toLocaleTimeString(); },
  // clock is a time of day as HH:MM:SS, 24-hour, for axes and logs.
  clock(t) { return new Date(t || Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }); },
  // num formats a number with a real minus sign.
  num(v, digits = 1) { return v.toFixed(digits).replace('-', '\u2212'); },
  colors: ['#4fb3ff', '#f78166', '#3fb950', '#d2a8ff', '#e3b341', '#56d4dd'],

  // canvas keeps a canvas's bitmap the size of its box in device pixels (no
  // stretching, no blur at any devicePixelRatio, redrawn on resize) and calls
  // draw(ctx, width, height) in CSS pixels. redraw() coalesces to one paint
  // per animation frame.
  canvas(cv, draw) {
    const ctx = cv.getContext('2d');
    let w = 0, h = 0, dpr = 1, queued = false;
    const paint = () => {
      queued = false;
      if (!w || !h) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, w, h);
      draw(ctx, w, h);
    };
    const resize = (pw, ph) => {
      dpr = window.devicePixelRatio || 1;
      if (cv.width !== pw || cv.height !== ph) { cv.width = pw; cv.height = ph; }
      w = pw / dpr; h = ph / dpr;
      paint();
    };
    const ro = new ResizeObserver((entries) => {
      const e = entries[entries.length - 1];
      const r = window.devicePixelRatio || 1;
      const pw = e.contentRect.width * r, ph = e.contentRect.height * r;
      // The exact device-pixel box when the browser knows it (and agrees
      // with the ratio: device emulation does not), else the rounded size.
      const box = e.devicePixelContentBoxSize && e.devicePixelContentBoxSize[0];
      if (box && Math.abs(box.inlineSize - pw) < 2 && Math.abs(box.blockSize - ph) < 2) resize(box.inlineSize, box.blockSize);
      else resize(Math.round(pw), Math.round(ph));
    });
    try { ro.observe(cv, { box: 'device-pixel-content-box' }); } catch { ro.observe(cv); }
    // A new pixel ratio (another screen, zoom) may leave the box's CSS size
    // as it was: measure again.
    const watchRatio = () => matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener('change', () => {
      const r = cv.getBoundingClientRect();
      resize(Math.round(r.width * devicePixelRatio), Math.round(r.height * devicePixelRatio));
      watchRatio();
    }, { once: true });
    watchRatio();
    return { redraw() { if (!queued) { queued = true; requestAnimationFrame(paint); } } };
  },

  // ticks are round values covering [lo, hi], about n of them.
  ticks(lo, hi, n) {
    const raw = (hi - lo) / Math.max(1, n);
    const mag = 10 ** Math.floor(Math.log10(raw));
    const m = [1, 2, 2.5, 5, 10].find((k) => k * mag >= raw * (1 - 1e-9)) || 10;
    const step = m * mag;
    const out = [];
    for (let i = Math.floor(lo / step + 1e-9); ; i++) {
      out.push(+(i * step).toFixed(10));
      if (i * step >= hi - step * 1e-9) break;
    }
    const exp = Math.round(Math.log10(mag)) + (m === 10 ? 1 : 0);
    return { values: out, digits: Math.max(0, -exp + (m === 2.5 ? 1 : 0)) };
  },

  // plot draws one time series on its own scale: a value axis with round
  // ticks, a time axis (HH:MM:SS), and the line. points are {t, v, seg,
  // mark}: the line breaks where seg changes (a reconnect), and marked
  // points are drawn in markColor. It returns the value axis's range (lo,
  // hi) and the values' (min, max).
  plot(ctx, w, h, { points, t0, t1, color, minSpan = 1, markColor = '#d2a8ff' }) {
    const pad = { l: 46, r: 10, t: 8, b: 20 };
    const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
    const shown = points.filter((p) => p.t >= t0 && p.t <= t1 && Number.isFinite(p.v));
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    if (!shown.length || pw < 20 || ph < 20) {
      ctx.fillStyle = '#8b9bb0';
      ctx.fillText('waiting for data…', pad.l, h / 2);
      return;
    }
    const min = Math.min(...shown.map((p) => p.v)), max = Math.max(...shown.map((p) => p.v));
    let lo = min, hi = max;
    if (hi - lo < minSpan) { const m = (hi + lo) / 2; lo = m - minSpan / 2; hi = m + minSpan / 2; }
    const yt = demo.ticks(lo, hi, Math.max(2, Math.floor(ph / 32)));
    lo = yt.values[0]; hi = yt.values[yt.values.length - 1];
    const x = (t) => pad.l + pw * (t1 === t0 ? 1 : (t - t0) / (t1 - t0));
    const y = (v) => pad.t + ph * (1 - (v - lo) / (hi - lo));
    // Value axis.
    ctx.strokeStyle = 'rgba(139,155,176,.18)';
    ctx.lineWidth = 1;
    ctx.fillStyle = '#8b9bb0';
    ctx.textAlign = 'right';
    for (const v of yt.values) {
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(pad.l, yy); ctx.lineTo(w - pad.r, yy); ctx.stroke();
      ctx.fillText(demo.num(v, yt.digits), pad.l - 6, yy);
    }
    // Time axis: a round step giving a label every 70 px or more.
    const span = (t1 - t0) / 1000;
    const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((s) => pw / (span / s) >= 70) || 3600;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let s = Math.ceil(t0 / 1000 / step) * step; s * 1000 <= t1; s += step) {
      const xx = Math.round(x(s * 1000)) + 0.5;
      ctx.beginPath(); ctx.moveTo(xx, pad.t); ctx.lineTo(xx, pad.t + ph); ctx.stroke();
      const label = demo.clock(s * 1000);
      const tw = ctx.measureText(label).width;
      if (xx - tw / 2 >= pad.l - 4 && xx + tw / 2 <= w) ctx.fillText(label, xx, pad.t + ph + 5);
    }
    // The series.
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    let prev = null;
    for (const p of shown) {
      if (prev && prev.seg === p.seg) ctx.lineTo(x(p.t), y(p.v)); else ctx.moveTo(x(p.t), y(p.v));
      prev = p;
    }
    ctx.stroke();
    // Dots: every reading while there are few, the marked ones, and the
    // latest.
    const few = shown.length <= 60;
    shown.forEach((p, i) => {
      const last = i === shown.length - 1;
      if (!few && !p.mark && !last) return;
      ctx.fillStyle = p.mark ? markColor : color;
      ctx.beginPath(); ctx.arc(x(p.t), y(p.v), last ? 3 : p.mark ? 2.5 : 1.5, 0, 2 * Math.PI); ctx.fill();
    });
    return { lo, hi, min, max };
  },

  // spark draws a sparkline of values: no axes, the last value as a dot.
  spark(ctx, w, h, values, { color = '#4fb3ff', minSpan = 1 } = {}) {
    const vs = values.filter(Number.isFinite);
    if (vs.length < 2) return;
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (hi - lo < minSpan) { const m = (hi + lo) / 2; lo = m - minSpan / 2; hi = m + minSpan / 2; }
    const x = (i) => 4 + (w - 8) * i / (vs.length - 1);
    const y = (v) => 5 + (h - 10) * (1 - (v - lo) / (hi - lo));
    ctx.beginPath();
    vs.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.lineTo(x(vs.length - 1), h); ctx.lineTo(x(0), h); ctx.closePath();
    ctx.fillStyle = color + '22';
    ctx.fill();
    ctx.beginPath();
    vs.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.lineJoin = 'round';
    ctx.stroke();
    ctx.fillStyle = color;
    ctx.beginPath(); ctx.arc(x(vs.length - 1), y(vs[vs.length - 1]), 3, 0, 2 * Math.PI); ctx.fill();
  },
};
window.demo = demo;
