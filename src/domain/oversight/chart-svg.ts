/**
 * Server-drawn SVG charts for the dashboards: horizontal bars (one per row of a tile's table) and a
 * line of points over time (a trend). Pure string builders, like the chronology's timeline, so the
 * charts need no JavaScript. A withheld figure is drawn as no bar, labelled "[c]", never as its
 * value. The table beside each chart carries the same figures for screen readers and export.
 */

/** One bar: its label and value, or null when the figure is withheld. */
export interface Bar {
  label: string;
  value: number | null;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A horizontal bar chart; `title` names it for assistive technology (the table beside it has the figures). */
export function barChartSvg(title: string, bars: readonly Bar[]): string {
  const width = 480;
  const labelWidth = 190;
  const row = 26;
  const height = Math.max(1, bars.length) * row + 10;
  const max = Math.max(1, ...bars.map((b) => b.value ?? 0));
  const scale = (width - labelWidth - 60) / max;
  const parts = bars.map((b, i) => {
    const y = 5 + i * row;
    const w = b.value == null ? 0 : Math.max(b.value > 0 ? 1 : 0, Math.round(b.value * scale));
    const shown = b.value == null ? '[c]' : b.value.toLocaleString('en-GB');
    return `<text x="${labelWidth - 6}" y="${y + 17}" text-anchor="end" font-size="13" fill="#0b0c0c">${esc(clip(b.label, 30))}</text>`
      + `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="${row - 8}" fill="#1d70b8"/>`
      + `<text x="${labelWidth + w + 6}" y="${y + 17}" font-size="13" fill="#0b0c0c">${esc(shown)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}" class="oversight-chart">`
    + `<title>${esc(title)}</title>${parts.join('')}</svg>`;
}

/** A trend: one point per period, joined by a line; withheld points break the line. */
export function trendSvg(title: string, points: readonly Bar[]): string {
  const width = 480;
  const height = 180;
  const left = 40;
  const bottom = 30;
  const max = Math.max(1, ...points.map((p) => p.value ?? 0));
  const step = points.length > 1 ? (width - left - 20) / (points.length - 1) : 0;
  const x = (i: number) => left + i * step;
  const y = (v: number) => height - bottom - (v / max) * (height - bottom - 20);
  const segments: string[] = [];
  let run: string[] = [];
  points.forEach((p, i) => {
    if (p.value == null) {
      if (run.length > 1) segments.push(run.join(' '));
      run = [];
    } else run.push(`${x(i).toFixed(1)},${y(p.value).toFixed(1)}`);
  });
  if (run.length > 1) segments.push(run.join(' '));
  const marks = points.map((p, i) => (p.value == null
    ? `<text x="${x(i).toFixed(1)}" y="${height - bottom - 4}" text-anchor="middle" font-size="13" fill="#0b0c0c">[c]</text>`
    : `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3" fill="#1d70b8"/>`));
  const labels = points.map((p, i) => (i % 2 === points.length % 2 || points.length <= 6
    ? `<text x="${x(i).toFixed(1)}" y="${height - 10}" text-anchor="middle" font-size="13" fill="#0b0c0c">${esc(p.label)}</text>` : ''));
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}" class="oversight-chart">`
    + `<title>${esc(title)}</title>`
    + `<line x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}" stroke="#505a5f"/>`
    + `<text x="${left - 6}" y="24" text-anchor="end" font-size="13" fill="#0b0c0c">${esc(max.toLocaleString('en-GB'))}</text>`
    + segments.map((s) => `<polyline points="${s}" fill="none" stroke="#1d70b8" stroke-width="2"/>`).join('')
    + marks.join('') + labels.join('') + '</svg>';
}
