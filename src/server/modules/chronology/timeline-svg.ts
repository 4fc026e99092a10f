/**
 * Server-side SVG drawing of a child's chronology: one lane per agency, time on
 * the x axis, one mark per event. It is a pure string builder (no DOM, no
 * libraries) so it works without JavaScript in the browser, in briefing-pack
 * exports, and fast enough for a chronology of thousands of entries.
 *
 * Choices that callers rely on:
 * - Events dated outside from..to, with an invalid date, or on a lane that is
 *   not listed are omitted, not clamped: a mark pinned to the edge would show a
 *   false date. The <desc> says how many were left out.
 * - Restricted events are drawn as a hollow, dashed grey circle in their lane at
 *   their date, with neither label nor category, so a viewer learns only that
 *   something they may not see exists (and can ask for access).
 * - Superseded events are the caller's concern: pass only current entries.
 * - Dates are read and labelled in UTC so the same chronology draws identically
 *   on every server.
 */
import type { CategoryCode } from '../../../domain/vocabulary.js';

/** One agency lane. */
export interface TimelineLane {
  key: string;
  label: string;
}

/** One event to draw. */
export interface TimelineEvent {
  id: string;
  laneKey: string;
  category: CategoryCode;
  occurredAt: Date;
  label: string;
  restricted?: boolean;
  href?: string;
}

/** Everything the timeline needs; the function reads nothing else. */
export interface TimelineInput {
  title: string;
  from: Date;
  to: Date;
  width?: number;
  lanes: TimelineLane[];
  events: TimelineEvent[];
  /** Prefix for element ids, so several timelines can sit on one page. */
  idPrefix?: string;
  /** Overrides for legend labels, e.g. from the loaded vocabulary. */
  categoryLabels?: Partial<Record<CategoryCode, string>>;
}

type Shape = 'circle' | 'square' | 'diamond' | 'triangle_up' | 'triangle_down' | 'house' | 'hexagon' | 'plus' | 'star';

interface CategoryStyle {
  label: string;
  colour: string;
  shape: Shape;
}

// GOV.UK Design System colour palette. Shape carries the category as well as colour
// (WCAG 1.4.1), and every mark has a near-black outline so that light fills such as
// orange still meet the 3:1 contrast needed for graphical objects (WCAG 1.4.11).
const CATEGORY_STYLES: Readonly<Record<CategoryCode, CategoryStyle>> = {
  education: { label: 'Education', colour: '#1d70b8', shape: 'circle' },
  health: { label: 'Health', colour: '#00703c', shape: 'plus' },
  police_justice: { label: 'Police and criminal justice', colour: '#003078', shape: 'square' },
  social_care: { label: 'Social care and early help', colour: '#4c2c92', shape: 'diamond' },
  youth_justice: { label: 'Youth justice', colour: '#d4351c', shape: 'triangle_down' },
  housing: { label: 'Housing', colour: '#b58840', shape: 'house' },
  family: { label: 'Family and home', colour: '#d53880', shape: 'triangle_up' },
  community: { label: 'Community, peers and places', colour: '#28a197', shape: 'hexagon' },
  online: { label: 'Online', colour: '#f47738', shape: 'star' },
};

const CATEGORY_ORDER = Object.keys(CATEGORY_STYLES) as CategoryCode[];

const COLOUR_TEXT = '#0b0c0c';
const COLOUR_SECONDARY = '#505a5f';
const COLOUR_RULE = '#b1b4b6';
const COLOUR_LANE = '#f3f2f1';
const FONT = 'GDS Transport, arial, sans-serif';

const LANE_HEIGHT = 36;
const LABEL_WIDTH = 190;
const RIGHT_PAD = 20;
const TOP_PAD = 10;
const AXIS_HEIGHT = 30;
const LEGEND_ROW = 24;
const LEGEND_ITEM_WIDTH = 220;
const MARK_RADIUS = 6;
const MIN_TICK_SPACING = 80;

const MONTHS_SHORT = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
const DAY_MS = 86_400_000;

// Unit polygons (radius 1) for each shape; scaled and translated per mark.
function regular(points: number, radius: number, rotation: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < points; i += 1) {
    const a = rotation + (i * 2 * Math.PI) / points;
    out.push([radius * Math.cos(a), radius * Math.sin(a)]);
  }
  return out;
}

function star(): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < 10; i += 1) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const r = i % 2 === 0 ? 1.3 : 0.55;
    out.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return out;
}

const POLYGONS: Readonly<Record<Exclude<Shape, 'circle'>, [number, number][]>> = {
  square: [[-0.85, -0.85], [0.85, -0.85], [0.85, 0.85], [-0.85, 0.85]],
  diamond: [[0, -1.2], [1.2, 0], [0, 1.2], [-1.2, 0]],
  triangle_up: [[0, -1.2], [1.15, 0.85], [-1.15, 0.85]],
  triangle_down: [[0, 1.2], [1.15, -0.85], [-1.15, -0.85]],
  house: [[-0.95, 1], [-0.95, -0.2], [0, -1.15], [0.95, -0.2], [0.95, 1]],
  hexagon: regular(6, 1.1, 0),
  plus: [
    [-0.4, -1.15], [0.4, -1.15], [0.4, -0.4], [1.15, -0.4], [1.15, 0.4], [0.4, 0.4],
    [0.4, 1.15], [-0.4, 1.15], [-0.4, 0.4], [-1.15, 0.4], [-1.15, -0.4], [-0.4, -0.4],
  ],
  star: star(),
};

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function shapeElement(shape: Shape, x: number, y: number, r: number, attrs: string): string {
  if (shape === 'circle') {
    return `<circle cx="${round1(x)}" cy="${round1(y)}" r="${r}" ${attrs}/>`;
  }
  const pts = POLYGONS[shape];
  let d = '';
  for (let i = 0; i < pts.length; i += 1) {
    const p = pts[i]!;
    d += `${i === 0 ? 'M' : 'L'}${round1(x + p[0] * r)} ${round1(y + p[1] * r)}`;
  }
  return `<path d="${d}Z" ${attrs}/>`;
}

// XML 1.0 forbids most control characters even when escaped, and one stray byte
// from an imported record would make the whole image fail to parse.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in SVG/XML element content or a quoted attribute. */
export function escapeXml(value: string): string {
  return value.replace(INVALID_XML, '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Returns the href if it is safe to put in a link (same-site relative, fragment, or http/https), otherwise undefined. */
export function safeHref(href: string): string | undefined {
  const h = href.trim();
  // An SVG drawn inline in the page is live markup: a javascript: or data: link
  // carried in an imported record would run in the practitioner's session. URL
  // parsers drop tabs and newlines ("java\tscript:") and read backslashes as
  // slashes, so any such character disqualifies the link outright.
  if (/[\u0000-\u001F\u007F\\]/.test(h)) return undefined;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(h);
  if (scheme) return /^https?$/i.test(scheme[1]!) ? h : undefined;
  // "//host" is an absolute link in disguise; a caller that means one must say https.
  if (h.startsWith('//')) return undefined;
  return h;
}

function formatDay(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS_SHORT[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

function formatDayLong(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS_LONG[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

function formatMonthLong(d: Date): string {
  return `${MONTHS_LONG[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One axis tick: its time (ms since epoch, UTC) and its label. */
export interface TimelineTick {
  t: number;
  label: string;
}

type TickUnit = 'day' | 'month' | 'year';

// Candidate intervals from finest to coarsest; the finest that fits the width wins.
const TICK_STEPS: readonly { unit: TickUnit; n: number; approxDays: number }[] = [
  { unit: 'day', n: 1, approxDays: 1 },
  { unit: 'day', n: 7, approxDays: 7 },
  { unit: 'day', n: 14, approxDays: 14 },
  { unit: 'month', n: 1, approxDays: 30.44 },
  { unit: 'month', n: 3, approxDays: 91.3 },
  { unit: 'month', n: 6, approxDays: 182.6 },
  { unit: 'year', n: 1, approxDays: 365.25 },
  { unit: 'year', n: 2, approxDays: 730.5 },
  { unit: 'year', n: 5, approxDays: 1826 },
  { unit: 'year', n: 10, approxDays: 3652 },
];

/** Tick positions and labels for a UTC time range, sized so that at most maxTicks are produced. */
export function chooseTicks(fromMs: number, toMs: number, maxTicks: number): TimelineTick[] {
  const spanDays = (toMs - fromMs) / DAY_MS;
  const step =
    TICK_STEPS.find((s) => spanDays / s.approxDays + 1 <= Math.max(2, maxTicks)) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  const ticks: TimelineTick[] = [];
  const start = new Date(fromMs);

  if (step.unit === 'day') {
    let t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
    if (step.n === 7 || step.n === 14) {
      // Weeks start on Monday, as in UK calendars.
      const dow = (new Date(t).getUTCDay() + 6) % 7;
      if (dow !== 0) t += (7 - dow) * DAY_MS;
    }
    if (t < fromMs) t += step.n * DAY_MS;
    let lastYear = -1;
    for (; t <= toMs; t += step.n * DAY_MS) {
      const d = new Date(t);
      const year = d.getUTCFullYear();
      // Show the year on the first tick and whenever it changes, so no label is ambiguous.
      const label = `${d.getUTCDate()} ${MONTHS_SHORT[d.getUTCMonth()]}${year !== lastYear ? ` ${year}` : ''}`;
      lastYear = year;
      ticks.push({ t, label });
    }
    return ticks;
  }

  if (step.unit === 'month') {
    let y = start.getUTCFullYear();
    let m = start.getUTCMonth();
    // Align quarter and half-year ticks to January so they fall on familiar months.
    m = Math.ceil(m / step.n) * step.n;
    if (Date.UTC(y, m, 1) < fromMs) m += step.n;
    let first = true;
    for (;;) {
      y += Math.floor(m / 12);
      m %= 12;
      const t = Date.UTC(y, m, 1);
      if (t > toMs) break;
      ticks.push({ t, label: first || m === 0 ? `${MONTHS_SHORT[m]} ${y}` : MONTHS_SHORT[m]! });
      first = false;
      m += step.n;
    }
    return ticks;
  }

  let y = Math.ceil(start.getUTCFullYear() / step.n) * step.n;
  if (Date.UTC(y, 0, 1) < fromMs) y += step.n;
  for (; Date.UTC(y, 0, 1) <= toMs; y += step.n) {
    ticks.push({ t: Date.UTC(y, 0, 1), label: String(y) });
  }
  return ticks;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

// Agency names are long ("Acute hospital trust emergency department"); two short
// lines read better than one cut-off line. Width is estimated from character count
// because a string builder has no font metrics.
const LABEL_LINE_CHARS = 24;

function wrapLabel(label: string): string[] {
  const text = label.replace(/\s+/g, ' ').trim();
  if (text.length <= LABEL_LINE_CHARS) return [text];
  const words = text.split(' ');
  let first = '';
  let i = 0;
  while (i < words.length && (first ? `${first} ${words[i]}` : words[i]!).length <= LABEL_LINE_CHARS) {
    first = first ? `${first} ${words[i]}` : words[i]!;
    i += 1;
  }
  // A single word longer than a line is cut rather than wrapped.
  if (!first) return [truncate(text, LABEL_LINE_CHARS)];
  return [first, truncate(words.slice(i).join(' '), LABEL_LINE_CHARS)];
}

/** Draws a chronology as an accessible SVG string: agency lanes, dated marks shaped and coloured by category, axis and legend. */
export function renderTimelineSvg(input: TimelineInput): string {
  const width = Math.max(480, Math.round(input.width ?? 960));
  const prefix = (input.idPrefix ?? 'timeline').replace(/[^A-Za-z0-9_-]/g, '') || 'timeline';
  const fromMs = input.from.getTime();
  let toMs = input.to.getTime();
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError('from and to must be valid dates');
  if (toMs < fromMs) throw new RangeError('to must not be before from');
  // A zero-length range cannot be scaled; show the single day instead.
  if (toMs === fromMs) toMs = fromMs + DAY_MS;

  const plotLeft = LABEL_WIDTH;
  const plotRight = width - RIGHT_PAD;
  const plotWidth = plotRight - plotLeft;
  const scale = plotWidth / (toMs - fromMs);
  const laneCount = Math.max(1, input.lanes.length);
  const plotTop = TOP_PAD;
  const plotBottom = plotTop + laneCount * LANE_HEIGHT;
  const legendTop = plotBottom + AXIS_HEIGHT + 8;
  const perRow = Math.max(1, Math.floor((width - 16) / LEGEND_ITEM_WIDTH));

  const laneIndex = new Map<string, number>();
  input.lanes.forEach((lane, i) => {
    if (!laneIndex.has(lane.key)) laneIndex.set(lane.key, i);
  });
  const laneLabels = input.lanes.map((l) => l.label);
  const labelFor = (c: CategoryCode) => input.categoryLabels?.[c] ?? CATEGORY_STYLES[c].label;

  // Marks first, so the totals for the description are known before the header is written.
  const marks: string[] = [];
  const lanesWithEvents = new Set<number>();
  let drawn = 0;
  let restricted = 0;
  let omitted = 0;
  for (const e of input.events) {
    const t = e.occurredAt.getTime();
    const lane = laneIndex.get(e.laneKey);
    const style = CATEGORY_STYLES[e.category];
    if (lane === undefined || !style || !(t >= fromMs && t <= toMs)) {
      omitted += 1;
      continue;
    }
    drawn += 1;
    lanesWithEvents.add(lane);
    const x = plotLeft + (t - fromMs) * scale;
    const y = plotTop + lane * LANE_HEIGHT + LANE_HEIGHT / 2;
    const date = formatDay(e.occurredAt);
    const agency = laneLabels[lane]!;
    let title: string;
    let body: string;
    let cls: string;
    if (e.restricted) {
      restricted += 1;
      title = `${date}: restricted entry (${agency})`;
      body = `<circle cx="${round1(x)}" cy="${round1(y)}" r="${MARK_RADIUS}" fill="#ffffff" stroke="${COLOUR_SECONDARY}" stroke-width="1.5" stroke-dasharray="2.5 1.5"/>`;
      cls = 'timeline-mark timeline-mark--restricted';
    } else {
      title = `${date}: ${e.label} (${agency})`;
      body = shapeElement(style.shape, x, y, MARK_RADIUS, `fill="${style.colour}" stroke="${COLOUR_TEXT}" stroke-width="1"`);
      cls = `timeline-mark timeline-mark--${e.category}`;
    }
    const titleEl = `<title>${escapeXml(title)}</title>`;
    const href = e.href === undefined ? undefined : safeHref(e.href);
    const idAttr = `data-event-id="${escapeXml(e.id)}"`;
    marks.push(
      href === undefined
        ? `<g class="${cls}" ${idAttr}>${titleEl}${body}</g>`
        : `<a href="${escapeXml(href)}" class="${cls}" ${idAttr}>${titleEl}${body}</a>`,
    );
  }

  const showRestrictedKey = restricted > 0;
  const legendItems = CATEGORY_ORDER.length + (showRestrictedKey ? 1 : 0);
  const legendRows = Math.ceil(legendItems / perRow);
  const height = legendTop + legendRows * LEGEND_ROW + 8;

  const spanDays = (toMs - fromMs) / DAY_MS;
  const fmt = spanDays < 92 ? formatDayLong : formatMonthLong;
  const fromText = fmt(new Date(fromMs));
  const toText = fmt(new Date(toMs));
  let desc =
    drawn === 0
      ? `No events across ${plural(input.lanes.length, 'agency', 'agencies')} from ${fromText} to ${toText}.`
      : `${plural(drawn, 'event', 'events')} across ${plural(lanesWithEvents.size, 'agency', 'agencies')} from ${fromText} to ${toText}.`;
  if (restricted > 0) desc += ` ${plural(restricted, 'entry is', 'entries are')} restricted and shown without details.`;
  if (omitted > 0) desc += ` ${plural(omitted, 'event', 'events')} outside this period or agency list not shown.`;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="group" aria-labelledby="${prefix}-title ${prefix}-desc" font-family="${FONT}">`,
    `<title id="${prefix}-title">${escapeXml(input.title)}</title>`,
    `<desc id="${prefix}-desc">${escapeXml(desc)}</desc>`,
  );

  // Lanes: alternate shading helps the eye follow a row across a wide chart.
  // The marks are links named by their <title>; lanes, axis and legend repeat what each
  // mark's name already says, so they are hidden from assistive technology.
  out.push('<g class="timeline-lanes" aria-hidden="true">');
  input.lanes.forEach((lane, i) => {
    const top = plotTop + i * LANE_HEIGHT;
    if (i % 2 === 0) {
      out.push(`<rect x="0" y="${top}" width="${width}" height="${LANE_HEIGHT}" fill="${COLOUR_LANE}"/>`);
    }
    const lines = wrapLabel(lane.label);
    const x = plotLeft - 10;
    const shortened = lines.join(' ') !== lane.label.replace(/\s+/g, ' ').trim();
    const tooltip = shortened ? `<title>${escapeXml(lane.label)}</title>` : '';
    const body =
      lines.length === 1
        ? escapeXml(lines[0]!)
        : `<tspan x="${x}" y="${top + LANE_HEIGHT / 2 - 2}">${escapeXml(lines[0]!)}</tspan><tspan x="${x}" y="${top + LANE_HEIGHT / 2 + 12}">${escapeXml(lines[1]!)}</tspan>`;
    out.push(
      `<text class="timeline-lane-label" x="${x}" y="${top + LANE_HEIGHT / 2 + 5}" text-anchor="end" font-size="${lines.length === 1 ? 14 : 13}" fill="${COLOUR_TEXT}">${tooltip}${body}</text>`,
    );
  });
  if (input.lanes.length === 0) {
    out.push(
      `<text x="${plotLeft + plotWidth / 2}" y="${plotTop + LANE_HEIGHT / 2 + 5}" text-anchor="middle" font-size="14" fill="${COLOUR_SECONDARY}">No agencies to show</text>`,
    );
  }
  out.push('</g>');

  // Axis, gridlines and tick labels.
  const ticks = chooseTicks(fromMs, toMs, Math.floor(plotWidth / MIN_TICK_SPACING));
  out.push('<g class="timeline-axis" aria-hidden="true">');
  out.push(`<line x1="${plotLeft}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}" stroke="${COLOUR_SECONDARY}" stroke-width="1"/>`);
  for (const tick of ticks) {
    const x = round1(plotLeft + (tick.t - fromMs) * scale);
    const labelX = round1(Math.min(Math.max(x, plotLeft + 24), plotRight - 24));
    out.push(
      `<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom + 4}" stroke="${COLOUR_RULE}" stroke-width="1"/>`,
      `<text x="${labelX}" y="${plotBottom + 20}" text-anchor="middle" font-size="12" fill="${COLOUR_SECONDARY}">${escapeXml(tick.label)}</text>`,
    );
  }
  out.push('</g>');

  out.push(`<g class="timeline-marks">${marks.join('')}</g>`);

  // Legend: every category, so the key does not change shape between children.
  out.push('<g class="timeline-legend" aria-hidden="true">');
  let item = 0;
  const legendPos = () => {
    const col = item % perRow;
    const row = Math.floor(item / perRow);
    item += 1;
    return { x: 8 + col * LEGEND_ITEM_WIDTH, y: legendTop + row * LEGEND_ROW + LEGEND_ROW / 2 };
  };
  for (const c of CATEGORY_ORDER) {
    const style = CATEGORY_STYLES[c];
    const { x, y } = legendPos();
    out.push(
      `<g class="timeline-legend-item">${shapeElement(style.shape, x + 8, y, MARK_RADIUS, `fill="${style.colour}" stroke="${COLOUR_TEXT}" stroke-width="1"`)}<text x="${x + 22}" y="${y + 5}" font-size="14" fill="${COLOUR_TEXT}">${escapeXml(labelFor(c))}</text></g>`,
    );
  }
  if (showRestrictedKey) {
    const { x, y } = legendPos();
    out.push(
      `<g class="timeline-legend-item"><circle cx="${x + 8}" cy="${y}" r="${MARK_RADIUS}" fill="#ffffff" stroke="${COLOUR_SECONDARY}" stroke-width="1.5" stroke-dasharray="2.5 1.5"/><text x="${x + 22}" y="${y + 5}" font-size="14" fill="${COLOUR_TEXT}">Restricted entry</text></g>`,
    );
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('');
}
