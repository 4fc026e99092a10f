import { describe, it, expect } from 'vitest';
import { CATEGORY_CODES, type CategoryCode } from '../../../domain/vocabulary.js';
import {
  chooseTicks,
  escapeXml,
  renderTimelineSvg,
  safeHref,
  type TimelineEvent,
  type TimelineInput,
} from './timeline-svg.js';

const LANES = [
  { key: 'school', label: 'Northgate Academy' },
  { key: 'police', label: 'Metropolitan Police Service' },
  { key: 'csc', label: "Children's social care" },
];

function baseInput(events: TimelineEvent[], lanes = LANES): TimelineInput {
  return {
    title: 'Chronology for a synthetic child',
    from: new Date(Date.UTC(2019, 2, 1)),
    to: new Date(Date.UTC(2026, 9, 31)),
    lanes,
    events,
  };
}

function ev(id: string, laneKey: string, category: CategoryCode, iso: string, extra: Partial<TimelineEvent> = {}): TimelineEvent {
  return { id, laneKey, category, occurredAt: new Date(iso), label: `Event ${id}`, ...extra };
}

function count(svg: string, needle: string): number {
  return svg.split(needle).length - 1;
}

/** Minimal well-formedness check: balanced tags, quoted attributes, no raw "<" or stray "&" in text. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg)) !== null) {
    const text = svg.slice(last, m.index);
    expect(text, 'raw < in text').not.toContain('<');
    expect(text.replace(/&(amp|lt|gt|quot|#39);/g, ''), 'unescaped & in text').not.toContain('&');
    const [, closing, name, attrs, selfClosing] = m;
    expect((attrs ?? '').replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name!);
    last = re.lastIndex;
  }
  expect(svg.slice(last)).toBe('');
  expect(stack).toEqual([]);
}

describe('renderTimelineSvg', () => {
  const events = [
    ev('e1', 'school', 'education', '2019-09-10T00:00:00Z'),
    ev('e2', 'police', 'police_justice', '2022-04-01T00:00:00Z', { href: '/people/p1/events/e2' }),
    ev('e3', 'csc', 'social_care', '2026-10-01T00:00:00Z'),
    ev('e4', 'school', 'education', '2023-01-05T00:00:00Z'),
  ];

  it('is an accessible SVG image labelled by its title and description', () => {
    const svg = renderTimelineSvg(baseInput(events));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('role="group"');
    expect(svg).toContain('aria-labelledby="timeline-title timeline-desc"');
    expect(svg).toContain('<title id="timeline-title">Chronology for a synthetic child</title>');
    expect(svg).toContain('<desc id="timeline-desc">4 events across 3 agencies from March 2019 to October 2026.</desc>');
    assertWellFormed(svg);
  });

  it('uses the id prefix so two timelines can share a page', () => {
    const svg = renderTimelineSvg({ ...baseInput(events), idPrefix: 'tl-2' });
    expect(svg).toContain('aria-labelledby="tl-2-title tl-2-desc"');
    expect(svg).toContain('id="tl-2-desc"');
  });

  it('draws one labelled lane per agency and grows with the lane count', () => {
    const three = renderTimelineSvg(baseInput(events));
    expect(count(three, 'class="timeline-lane-label"')).toBe(3);
    const six = renderTimelineSvg(
      baseInput(events, [...LANES, { key: 'gp', label: 'GP' }, { key: 'h', label: 'Housing' }, { key: 'yj', label: 'Youth justice' }]),
    );
    expect(count(six, 'class="timeline-lane-label"')).toBe(6);
    const height = (s: string) => Number(/height="(\d+)"/.exec(s)![1]);
    expect(height(six)).toBeGreaterThan(height(three));
  });

  it('wraps a long agency name onto two lines and keeps the full name as a tooltip when shortened', () => {
    const svg = renderTimelineSvg(
      baseInput([], [
        { key: 'a', label: 'Acute hospital trust emergency department' },
        { key: 'b', label: 'Acute hospital trust emergency department paediatric liaison team' },
      ]),
    );
    expect(svg).toContain('<tspan x="180" y="26">Acute hospital trust</tspan><tspan x="180" y="40">emergency department</tspan>');
    expect(count(svg, '<title>Acute hospital trust emergency department paediatric liaison team</title>')).toBe(1);
    assertWellFormed(svg);
  });

  it('draws one mark per event, placed in time order along the axis', () => {
    const svg = renderTimelineSvg(baseInput(events));
    expect(count(svg, 'class="timeline-mark ')).toBe(4);
    const x = (id: string) => {
      const at = svg.indexOf(`data-event-id="${id}"`);
      return Number(/c?x="?([\d.]+)|M([\d.]+)/.exec(svg.slice(at))!.slice(1).find(Boolean));
    };
    expect(x('e1')).toBeLessThan(x('e2'));
    expect(x('e2')).toBeLessThan(x('e4'));
    expect(x('e4')).toBeLessThan(x('e3'));
  });

  it('wraps a mark in a link only when an href is given, with a date and label tooltip', () => {
    const svg = renderTimelineSvg(baseInput(events));
    expect(svg).toContain('<a href="/people/p1/events/e2" class="timeline-mark timeline-mark--police_justice" data-event-id="e2"><title>1 Apr 2022: Event e2 (Metropolitan Police Service)</title>');
    expect(count(svg, '<a href=')).toBe(1);
    expect(svg).toContain('<title>10 Sep 2019: Event e1 (Northgate Academy)</title>');
  });

  it('drops unsafe links but still draws the mark', () => {
    const svg = renderTimelineSvg(
      baseInput([
        ev('x1', 'school', 'education', '2020-01-01T00:00:00Z', { href: 'javascript:alert(1)' }),
        ev('x2', 'school', 'education', '2020-02-01T00:00:00Z', { href: 'java\tscript:alert(1)' }),
        ev('x3', 'school', 'education', '2020-03-01T00:00:00Z', { href: '//elsewhere.example/x' }),
      ]),
    );
    expect(svg).not.toContain('<a ');
    expect(svg).not.toContain('javascript');
    expect(count(svg, 'class="timeline-mark ')).toBe(3);
  });

  it('escapes all text, including titles, lane labels, event labels, ids and links', () => {
    const nasty = '<script>alert("x")</script> & \'co\'';
    const svg = renderTimelineSvg({
      ...baseInput(
        [ev('"><script>', 'a&b', 'online', '2021-05-05T00:00:00Z', { label: nasty, href: '/e?a=1&b=<2>' })],
        [{ key: 'a&b', label: nasty }],
      ),
      title: nasty,
    });
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;');
    expect(svg).toContain('href="/e?a=1&amp;b=&lt;2&gt;"');
    assertWellFormed(svg);
  });

  it('strips characters that XML cannot carry', () => {
    const svg = renderTimelineSvg(baseInput([ev('c1', 'school', 'education', '2021-01-01T00:00:00Z', { label: 'bad\u0000\u0007byte' })]));
    expect(svg).toContain('badbyte');
    expect(escapeXml('a\u0001b\nc')).toBe('ab\nc');
  });

  it('draws restricted events as a hollow grey mark with no label and no category', () => {
    const secret = 'Sensitive detail that must not leak';
    const svg = renderTimelineSvg(
      baseInput([
        ev('r1', 'police', 'health', '2024-06-01T00:00:00Z', { label: secret, restricted: true }),
        ev('n1', 'school', 'education', '2024-06-01T00:00:00Z'),
      ]),
    );
    expect(svg).not.toContain(secret);
    const at = svg.indexOf('data-event-id="r1"');
    const mark = svg.slice(svg.lastIndexOf('<g', at), svg.indexOf('</g>', at));
    expect(mark).toContain('timeline-mark--restricted');
    expect(mark).not.toContain('timeline-mark--health');
    expect(mark).toContain('fill="#ffffff"');
    expect(mark).toContain('stroke="#505a5f"');
    expect(mark).toContain('<title>1 Jun 2024: restricted entry (Metropolitan Police Service)</title>');
    expect(svg).toContain('1 entry is restricted and shown without details.');
    expect(svg).toContain('>Restricted entry</text>');
  });

  it('omits, rather than clamps, events outside the period or on unknown lanes, and says so', () => {
    const svg = renderTimelineSvg(
      baseInput([
        ev('in', 'school', 'education', '2020-01-01T00:00:00Z'),
        ev('before', 'school', 'education', '2018-12-31T00:00:00Z'),
        ev('after', 'school', 'education', '2026-11-01T00:00:00Z'),
        ev('nolane', 'nowhere', 'education', '2020-01-01T00:00:00Z'),
        { ...ev('baddate', 'school', 'education', '2020-01-01T00:00:00Z'), occurredAt: new Date('nonsense') },
      ]),
    );
    expect(count(svg, 'class="timeline-mark ')).toBe(1);
    expect(svg).not.toContain('data-event-id="before"');
    expect(svg).not.toContain('data-event-id="after"');
    expect(svg).toContain('1 event across 1 agency from March 2019 to October 2026. 4 events outside this period or agency list not shown.');
  });

  it('gives each of the nine categories its own shape and a legend entry', () => {
    const signature = (c: CategoryCode) => {
      const svg = renderTimelineSvg(baseInput([ev('s', 'school', c, '2022-01-01T00:00:00Z')]));
      const at = svg.indexOf('data-event-id="s"');
      const mark = svg.slice(at, svg.indexOf('</g>', at));
      const el = /<(circle|path)[^>]*>/.exec(mark)![0];
      return el.startsWith('<circle') ? 'circle' : `path:${count(el, 'L') + 1}:${/d="M[\d.]+ [\d.]+L([\d.]+) ([\d.]+)/.exec(el)!.slice(1).join(',')}`;
    };
    const shapes = new Set(CATEGORY_CODES.map(signature));
    expect(shapes.size).toBe(9);
    const svg = renderTimelineSvg(baseInput([]));
    expect(count(svg, 'class="timeline-legend-item"')).toBe(9);
    expect(svg).toContain('>Police and criminal justice</text>');
    const relabelled = renderTimelineSvg({ ...baseInput([]), categoryLabels: { online: 'Online & digital' } });
    expect(relabelled).toContain('>Online &amp; digital</text>');
  });

  it('copes with no events and no lanes', () => {
    const empty = renderTimelineSvg(baseInput([], []));
    expect(empty).toContain('No events across 0 agencies');
    expect(empty).toContain('No agencies to show');
    assertWellFormed(empty);
  });

  it('rejects a reversed period and widens a zero-length one', () => {
    const day = new Date(Date.UTC(2025, 0, 1));
    expect(() => renderTimelineSvg({ ...baseInput([]), from: day, to: new Date(Date.UTC(2024, 0, 1)) })).toThrow(RangeError);
    const single = renderTimelineSvg({ ...baseInput([ev('d', 'school', 'education', '2025-01-01T00:00:00Z')]), from: day, to: day });
    expect(count(single, 'class="timeline-mark ')).toBe(1);
    expect(single).toContain('from 1 January 2025 to 2 January 2025');
  });

  it('renders 5,000 events quickly', () => {
    const many: TimelineEvent[] = [];
    const from = Date.UTC(2008, 0, 1);
    const to = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 5000; i += 1) {
      many.push(ev(`m${i}`, LANES[i % 3]!.key, CATEGORY_CODES[i % 9]!, new Date(from + ((to - from) * i) / 5000).toISOString(), { href: `/e/${i}`, restricted: i % 50 === 0 }));
    }
    const input = { ...baseInput(many), from: new Date(from), to: new Date(to) };
    renderTimelineSvg(input);
    const started = performance.now();
    const svg = renderTimelineSvg(input);
    const ms = performance.now() - started;
    // Reported, not asserted: timing assertions are flaky on shared CI machines.
    console.info(`timeline: 5000 events rendered in ${ms.toFixed(1)} ms (${Math.round(svg.length / 1024)} KiB)`);
    expect(count(svg, 'class="timeline-mark ')).toBe(5000);
  });
});

describe('safeHref', () => {
  it('allows same-site and http(s) links and refuses script and protocol-relative ones', () => {
    expect(safeHref('/people/1')).toBe('/people/1');
    expect(safeHref('#e1')).toBe('#e1');
    expect(safeHref('events/1')).toBe('events/1');
    expect(safeHref('https://example.org/x')).toBe('https://example.org/x');
    expect(safeHref('JavaScript:alert(1)')).toBeUndefined();
    expect(safeHref('data:text/html,x')).toBeUndefined();
    expect(safeHref('//example.org')).toBeUndefined();
    expect(safeHref('/\\example.org')).toBeUndefined();
  });
});

describe('chooseTicks', () => {
  const utc = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

  it('uses days or weeks for a span of weeks', () => {
    const ticks = chooseTicks(utc(2025, 3, 1), utc(2025, 3, 28), 9);
    expect(ticks.length).toBeGreaterThan(1);
    expect(ticks.length).toBeLessThanOrEqual(9);
    expect(ticks[0]!.label).toMatch(/^\d{1,2} Mar 2025$/);
    expect(ticks[1]!.label).toMatch(/^\d{1,2} Mar$/);
  });

  it('uses months or quarters for a span of a year or two, naming the year at January', () => {
    const ticks = chooseTicks(utc(2024, 2, 15), utc(2025, 11, 1), 9);
    expect(ticks.length).toBeLessThanOrEqual(9);
    expect(ticks.every((t) => new Date(t.t).getUTCDate() === 1)).toBe(true);
    expect(ticks.map((t) => t.label)).toContain('Jan 2025');
    expect(ticks[0]!.label).toMatch(/ 2024$/);
  });

  it('uses years for a whole childhood', () => {
    const ticks = chooseTicks(utc(2008, 1, 1), utc(2026, 1, 1), 9);
    expect(ticks.length).toBeLessThanOrEqual(9);
    expect(ticks.every((t) => /^\d{4}$/.test(t.label))).toBe(true);
    const ticksWide = chooseTicks(utc(2008, 1, 1), utc(2026, 1, 1), 20);
    expect(ticksWide.map((t) => t.label)).toContain('2008');
    expect(ticksWide.length).toBe(19);
  });

  it('never places a tick outside the range', () => {
    for (const [a, b] of [
      [utc(2025, 1, 3), utc(2025, 1, 20)],
      [utc(2020, 5, 17), utc(2021, 7, 2)],
      [utc(2009, 6, 30), utc(2026, 11, 23)],
    ] as const) {
      for (const t of chooseTicks(a, b, 10)) {
        expect(t.t).toBeGreaterThanOrEqual(a);
        expect(t.t).toBeLessThanOrEqual(b);
      }
    }
  });
});
