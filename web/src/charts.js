// Charts with uPlot (from npm, embedded in the binary). Sparklines are small inline SVG polylines:
// 50 chart instances per list page would cost more than the whole page's budget.
import uPlot from './vendor/uPlot.esm.js';
import { h } from './core.js';

function cssVar(name) {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || '#888';
}

/// Events over time. xs: unix seconds, ys: counts. The container keeps its size while data loads.
export function timeChart(container, xs, ys, { label = 'events', height = 220 } = {}) {
  const width = Math.max(320, container.clientWidth || 800);
  const axis = { stroke: cssVar('--fg-muted'), grid: { stroke: cssVar('--grid') }, ticks: { stroke: cssVar('--grid') } };
  const opts = {
    width,
    height,
    cursor: { drag: { x: false, y: false } },
    legend: { show: true },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [axis, { ...axis, size: 50 }],
    series: [{}, { label, stroke: cssVar('--accent'), width: 2, fill: cssVar('--accent-fill'), points: { show: true, size: 4 } }],
  };
  const u = new uPlot(opts, [xs, ys], container);
  container.dataset.points = String(u.data[0].length);
  return {
    set(xs2, ys2) {
      u.setData([xs2, ys2]);
      container.dataset.points = String(u.data[0].length);
    },
    resize() { u.setSize({ width: Math.max(320, container.clientWidth), height }); },
    destroy() { u.destroy(); },
  };
}

/// Calibration: accept rate against mean confidence per bucket, with the diagonal of a perfect model.
export function calibrationChart(container, buckets) {
  const pts = buckets.filter((b) => b.reviewed > 0).sort((a, b) => a.mean_confidence - b.mean_confidence);
  const xs = [0, ...pts.map((b) => b.mean_confidence), 1];
  const rate = [null, ...pts.map((b) => b.accept_rate), null];
  const diag = xs.map((x) => x);
  const axis = { stroke: cssVar('--fg-muted'), grid: { stroke: cssVar('--grid') } };
  const u = new uPlot({
    width: Math.max(320, container.clientWidth || 600),
    height: 240,
    scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
    axes: [{ ...axis, label: 'confidence' }, { ...axis, label: 'accept rate' }],
    series: [{ label: 'confidence' },
      { label: 'accept rate', stroke: cssVar('--accent'), width: 2, points: { show: true, size: 7 }, spanGaps: true },
      { label: 'perfect calibration', stroke: cssVar('--fg-muted'), dash: [4, 4], width: 1, points: { show: false } }],
  }, [xs, rate, diag], container);
  container.dataset.points = String(pts.length);
  return u;
}

/// A sparkline of counts (oldest first) as an SVG polyline.
export function sparkline(counts, width = 120, height = 24) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  const max = Math.max(1, ...counts);
  const step = counts.length > 1 ? width / (counts.length - 1) : width;
  const pts = counts.map((c, i) => `${(i * step).toFixed(1)},${(height - 1 - (c / max) * (height - 2)).toFixed(1)}`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts.join(' '));
  svg.appendChild(line);
  const total = counts.reduce((a, b) => a + b, 0);
  const title = document.createElementNS(ns, 'title');
  title.textContent = `${total} events in the last ${counts.length} min`;
  svg.appendChild(title);
  return h('span', { class: 'spark-box', 'aria-label': title.textContent, role: 'img' }, svg);
}
