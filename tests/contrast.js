// Every visible text (text nodes and placeholders) with its colour, effective background and contrast ratio.
const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  const v = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
const over = (top, bottom) => { const a = top[3]; return [0,1,2].map(i => top[i]*a + bottom[i]*(1-a)).concat([1]); };
const lum = c => { const f = x => { x /= 255; return x <= 0.03928 ? x/12.92 : Math.pow((x+0.055)/1.055, 2.4); };
  return 0.2126*f(c[0]) + 0.7152*f(c[1]) + 0.0722*f(c[2]); };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    const c = parse(s.backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let bg = [255, 255, 255, 1];
  for (const c of layers.reverse()) bg = over(c, bg);
  return bg;
}
function opacity(el) {
  let o = 1;
  for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
  return o;
}
function visible(el) {
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return false;
  for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
    if (s.visibility === 'hidden' || s.display === 'none') return false; }
  return !el.closest('[disabled], [aria-disabled=true], [aria-hidden=true]');
}
const row = (text, el, s, fg, bg) => ({text, tag: el.tagName, cls: String(el.className).slice(0, 60),
  color: s.color, background: bg.slice(0, 3).map(Math.round).join(','), size: s.fontSize,
  ratio: Math.round(ratio(fg, bg) * 100) / 100});
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!n.textContent.trim() || seen.has(el) || ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
  seen.add(el);
  if (!visible(el)) continue;
  const s = getComputedStyle(el);
  const bg = background(el);
  const fg0 = parse(s.color); const fg = over([fg0[0], fg0[1], fg0[2], fg0[3]*opacity(el)], bg);
  out.push(row(n.textContent.trim().slice(0, 40), el, s, fg, bg));
}
for (const el of document.querySelectorAll('textarea, input[type=text]')) {
  if (!visible(el) || el.value || !el.placeholder) continue;
  const s = getComputedStyle(el, '::placeholder'); const bg = background(el); const fg0 = parse(s.color);
  const fg = over([fg0[0], fg0[1], fg0[2], fg0[3]*opacity(el)], bg);
  out.push(row('placeholder: ' + el.placeholder.slice(0, 30), el, s, fg, bg));
}
return out;
