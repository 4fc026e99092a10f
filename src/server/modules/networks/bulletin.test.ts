import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uniqueBorough } from '../../../../test/considerations-helpers.js';
import { involve, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { ethnicityGroup } from '../../../domain/ethnicity.js';
import { appendEntries } from '../chronology/commands/append-entry.js';
import { monthOf } from './bulletin.queries.js';

// The intelligence bulletin for June 2025 against counts made here from a small seeded month: twelve
// children of the partnership (one with a second, merged record), two of another partnership, entries
// at a park, a station and a home address, one restricted police entry, children named together,
// relationships recorded in the month (one restricted), graded entries and an incident.

const MONTH = '2025-06';
const PREVIOUS = '2025-05';
const ETHNICITIES = ['WBRI', 'BCRB', 'APKN', 'MWBC'];

type Who = number | 'dup' | 'o0' | 'o1';
interface Spec {
  people: Who[];
  type: string;
  at: string;
  precision?: 'time' | 'date';
  place?: 'park' | 'station' | 'home' | 'shop';
  grading?: string;
  restricted?: boolean;
  incident?: boolean;
}

/** The rows of one table of the page (body rows), each as its cells' text. */
function tableRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table[^>]*id="${id}"[^>]*>([\\s\\S]*?)</table>`).exec(html);
  if (!table) throw new Error(`no table ${id}`);
  const body = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(table[1]!)![1]!;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)]
    .map((c) => c[1]!.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim()));
}

/** Checks a shown cell against the count made here: 1 to 4 withheld, else equal when shown. */
function expectCell(cell: string | undefined, n: number, what: string) {
  expect(cell, what).toBeDefined();
  if (n > 0 && n < 5) expect(cell, `${what} withheld`).toBe('[c]');
  else if (cell !== '[c]') expect(Number(cell!.replace(/,/g, '')), what).toBe(n);
}

/**
 * No column holds exactly one withheld cell beside other figures (it would be the total less the
 * others); a lone one is allowed only when every other cell is zero (then the total is withheld).
 */
function expectNoLoneWithheld(rows: string[][], columns: number[], what: string) {
  for (const c of columns) {
    const withheld = rows.filter((r) => r[c] === '[c]').length;
    if (withheld === 1) expect(rows.filter((r) => r[c] !== '[c]').every((r) => r[c] === '0'), `${what} column ${c}`).toBe(true);
  }
}

describe(`the intelligence bulletin on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('takes the last complete month by default and refuses a malformed or future month', () => {
    const now = new Date('2026-03-15T12:00:00Z');
    expect(monthOf(undefined, now).month.key).toBe('2026-02');
    expect(monthOf('2026-01', now).month).toMatchObject({ key: '2026-01', previousKey: '2025-12', lastDay: '2026-01-31' });
    expect(monthOf('2026-13', now).error).toMatch(/year and month/);
    expect(monthOf('2026-04', now).error).toMatch(/this month or earlier/);
  });

  it('counts places, times, themes, links and grading as the seeded month says, withholds small counts, and names only children the reader may see', async () => {
    const borough = uniqueBorough();
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const police = await makeOrg(t.db, 'police', borough);
    const otherBorough = uniqueBorough();
    const elsewhere = await makeOrg(t.db, 'childrens_social_care', otherBorough);
    const team = await makeTeam(t.db, csc.id);
    const analyst = await makeUser(t.db, { organisationId: csc.id, roles: ['analyst'] });
    const manager = await makeUser(t.db, { organisationId: csc.id, roles: ['team_manager'], teamId: team.id });
    const practitioner = await makeUser(t.db, { organisationId: csc.id });
    const otherAnalyst = await makeUser(t.db, { organisationId: elsewhere.id, roles: ['analyst'] });
    const tag = randomUUID().slice(0, 6);

    // Twelve children here, two elsewhere; a second record of child 2 merged into it.
    const ids: Record<string, string> = {};
    const ethnicityOf: Record<string, string> = {};
    for (const key of [...Array.from({ length: 12 }, (_, i) => String(i)), 'o0', 'o1']) {
      const p = await makePerson(t.db, { given: `Bull${key}`, family: `Etin${tag}`, dob: '2009-04-01' });
      const here = !key.startsWith('o');
      const ethnicity = here && Number(key) >= 7 ? ETHNICITIES[1 + (Number(key) % 3)]! : 'WBRI';
      await t.db.updateTable('person').set({ ethnicity }).where('id', '=', p.id).execute();
      await t.db.insertInto('person_address').values({ person_id: p.id, line1: `${key} Synthetic Close`, borough: here ? borough : otherBorough, valid_from: '2020-01-01' }).execute();
      ids[key] = p.id;
      ethnicityOf[key] = ethnicity;
    }
    const dup = await makePerson(t.db, { given: 'Bull2', family: `Etin${tag}` });
    ids.dup = dup.id;
    await t.db.insertInto('person_merge').values({ survivor_person_id: ids['2']!, merged_person_id: dup.id, reason: 'Synthetic duplicate' }).execute();
    const idOf = (w: Who) => ids[String(w)]!;
    const childOf = (w: Who) => (w === 'dup' ? '2' : String(w));
    const isHere = (w: Who) => typeof w === 'number' || w === 'dup';

    // The manager's team works with children 0 and 2 (and so with 2's merged record): the only ones it may see.
    for (const c of ['0', '2']) await involve(t.db, { personId: ids[c]!, organisationId: csc.id, teamId: team.id });

    const place = async (kind: string, name: string) => (await t.db.insertInto('place').values({ kind: kind as never, name: `${name} ${tag}`, ward: 'Synthetic ward', borough }).returning('id').executeTakeFirstOrThrow()).id;
    const places = { park: await place('park', 'Synthetic Park'), station: await place('transport_hub', 'Synthetic Station'), home: await place('address', '1 Synthetic Close'), shop: await place('shop', 'Synthetic Shop') };

    const specs: Spec[] = [
      // June: child 0 three times at the park, child 1 four times (three at the park, a weapon at the station), child 2 through both records.
      { people: [0], type: 'criminal_exploitation_concern', at: '2025-06-03T18:30:00Z', place: 'park', grading: '2B' },
      { people: [0], type: 'criminal_exploitation_concern', at: '2025-06-10T19:10:00Z', place: 'park', grading: '2B' },
      { people: [0], type: 'missing_episode', at: '2025-06-12T22:40:00Z' },
      { people: [1], type: 'county_lines_concern', at: '2025-06-04T15:00:00Z', place: 'park', grading: '2B' },
      { people: [1], type: 'county_lines_concern', at: '2025-06-11T15:20:00Z', place: 'park', grading: '2B' },
      { people: [1], type: 'county_lines_concern', at: '2025-06-18T16:05:00Z', place: 'park', grading: '1A' },
      { people: [1], type: 'weapon_incident', at: '2025-06-21T20:45:00Z', place: 'station', incident: true },
      { people: [2], type: 'county_lines_concern', at: '2025-06-07T11:00:00Z', place: 'park' },
      { people: ['dup'], type: 'county_lines_concern', at: '2025-06-14T11:30:00Z' },
      { people: [4, 5], type: 'youth_club_attendance', at: '2025-06-05T17:00:00Z', place: 'park' },
      { people: [6, 7], type: 'youth_club_attendance', at: '2025-06-06T17:00:00Z', place: 'shop' },
      { people: [3], type: 'youth_club_attendance', at: '2025-06-16T17:30:00Z', place: 'home' },
      { people: [8], type: 'youth_club_attendance', at: '2025-06-17T17:30:00Z', place: 'shop' },
      { people: [9], type: 'youth_club_attendance', at: '2025-06-19T17:30:00Z', place: 'shop' },
      { people: [10], type: 'missing_episode', at: '2025-06-14T00:00:00Z', precision: 'date', place: 'shop' },
      { people: [11], type: 'youth_club_attendance', at: '2025-06-24T09:30:00Z', place: 'shop' },
      // A restricted police entry the analyst's organisation may not read: counted nowhere.
      { people: [3], type: 'weapon_incident', at: '2025-06-22T21:00:00Z', place: 'park', restricted: true },
      // Another partnership's children at the same park: absent from this partnership's bulletin.
      ...Array.from({ length: 5 }, (_, k): Spec => ({ people: ['o0'], type: 'criminal_exploitation_concern', at: `2025-06-0${k + 2}T14:00:00Z`, place: 'park' })),
      { people: ['o0', 'o1'], type: 'youth_club_attendance', at: '2025-06-09T14:00:00Z' },
      // May: the month before.
      { people: [0], type: 'criminal_exploitation_concern', at: '2025-05-20T18:00:00Z', place: 'park' },
      { people: [1], type: 'county_lines_concern', at: '2025-05-21T18:00:00Z', place: 'park' },
      { people: [1], type: 'county_lines_concern', at: '2025-05-22T18:00:00Z', place: 'park' },
      { people: [8, 9], type: 'youth_club_attendance', at: '2025-05-23T17:00:00Z' },
      { people: [11], type: 'missing_episode', at: '2025-05-24T23:00:00Z' },
      // March: children 6 and 7 were named together before, so June's entry is no new link.
      { people: [6, 7], type: 'youth_club_attendance', at: '2025-03-06T17:00:00Z' },
    ];
    const types = await t.db.selectFrom('event_type').select(['code', 'vocabulary_version', 'label', 'implies_factors']).execute();
    const typeOf = new Map(types.map((x) => [x.code, x]));
    const entryIds: string[] = [];
    for (const s of specs) {
      const ty = typeOf.get(s.type)!;
      const [e] = await t.db.transaction().execute((trx) => appendEntries(trx, [{
        organisationId: s.restricted ? police.id : s.people.every(isHere) ? csc.id : elsewhere.id, eventTypeCode: ty.code, vocabularyVersion: ty.vocabulary_version,
        occurredAt: s.at, occurredPrecision: s.precision ?? 'time', recordedByUserId: null, apiKeyId: null, recordedVia: 'api', sourceSystem: 'TestSystem',
        sourceRecordId: randomUUID(), summary: 'A synthetic bulletin entry', narrative: null, place: null, factorCodes: [],
        sensitivity: s.restricted ? 'restricted' : 'standard', reliability: 'reported', supersedes: null, correctionReason: null,
        restriction: s.restricted ? { contact: 'the police exploitation desk', reason: 'Live operation' } : null,
        grading: s.grading ? { system: '3x5x2', sourceEvaluation: s.grading[0]!, intelligenceEvaluation: s.grading[1]!, handlingCode: 'P', handlingConditions: null } : null,
        people: s.people.map((w, i) => ({ personId: idOf(w), role: i === 0 ? 'subject' : 'associate' })), audit: null,
      }]));
      if (s.place) await t.db.insertInto('event_place').values({ event_id: e!.id, place_id: places[s.place] }).execute();
      if (s.incident) {
        const inc = await t.db.insertInto('incident').values({ kind: 'other', serious: false, occurred_at: new Date(s.at) }).returning('id').executeTakeFirstOrThrow();
        await t.db.insertInto('incident_entry').values({ incident_id: inc.id, event_id: e!.id, linked_by: 'automatic' }).execute();
      }
      entryIds.push(e!.id);
    }

    // Relationships recorded by hand: in June (one restricted to the police, one between the other partnership's children), and one in May.
    const rels: { a: Who; b: Who; kind: string; at: string; grading?: string; restricted?: boolean }[] = [
      { a: 0, b: 1, kind: 'friend', at: '2025-06-02T10:00:00Z', grading: '2B' },
      { a: 2, b: 3, kind: 'friend', at: '2025-06-03T10:00:00Z', grading: '2B' },
      { a: 4, b: 6, kind: 'friend', at: '2025-06-04T10:00:00Z', grading: '2B' },
      { a: 5, b: 7, kind: 'friend', at: '2025-06-05T10:00:00Z', grading: '2B' },
      { a: 8, b: 10, kind: 'friend', at: '2025-06-06T10:00:00Z', grading: '2B' },
      { a: 10, b: 11, kind: 'rival', at: '2025-06-07T10:00:00Z', grading: '3C' },
      { a: 0, b: 2, kind: 'suspected_exploiter', at: '2025-06-08T10:00:00Z', restricted: true },
      { a: 'o0', b: 'o1', kind: 'rival', at: '2025-06-09T10:00:00Z' },
      { a: 1, b: 2, kind: 'friend', at: '2025-05-09T10:00:00Z' },
    ];
    for (const r of rels) {
      await t.db.insertInto('person_relationship').values({
        person_id: idOf(r.a), related_person_id: idOf(r.b), kind: r.kind as never, grading: r.grading ?? null, recorded_at: new Date(r.at),
        sensitivity: r.restricted ? 'restricted' : 'standard', recorded_by_organisation_id: r.restricted ? police.id : isHere(r.a) ? csc.id : elsewhere.id,
      } as never).execute();
    }

    // ---- The counts, made here from the seeded month ----
    const counted = specs.map((s, i) => ({ ...s, id: entryIds[i]! })).filter((s) => !s.restricted && s.people.some(isHere));
    const inMonth = (s: { at: string }, m: string) => s.at.startsWith(m);
    const june = counted.filter((s) => inMonth(s, MONTH));
    const may = counted.filter((s) => inMonth(s, PREVIOUS));
    const londonHour = (at: string) => (new Date(at).getUTCHours() + 1) % 24; // June and May are summer time
    const londonDay = (at: string) => new Date(new Date(at).getTime() + 3600_000).getUTCDay(); // 0 Sunday

    const leadCookie = (await signIn(t.app, analyst.email)).cookie;
    const res = await t.app.inject({ method: 'GET', url: `/bulletin?month=${MONTH}`, headers: { cookie: leadCookie } });
    expect(res.statusCode).toBe(200);
    const html = res.body;

    // In brief: entries and distinct children (child 2 once through both records).
    const summary = tableRows(html, 'summary');
    expectCell(summary[0]![1], june.length, 'entries in June');
    expectCell(summary[0]![2], may.length, 'entries in May');
    const kids = (list: Spec[]) => new Set(list.flatMap((s) => s.people.filter(isHere).map(childOf))).size;
    expectCell(summary[1]![1], kids(june), 'children in June');

    // Places: the park and the station, not the home address; the other partnership's and the restricted entries left out.
    const placeRows = tableRows(html, 'table-places');
    expect(placeRows.map((r) => r[0]).join(' ')).not.toContain('1 Synthetic Close');
    for (const [key, name] of [['park', 'Synthetic Park'], ['station', 'Synthetic Station'], ['shop', 'Synthetic Shop']] as const) {
      const row = placeRows.find((r) => r[0]!.startsWith(`${name} ${tag}`));
      expect(row, name).toBeDefined();
      expectCell(row![1], june.filter((s) => s.place === key).length, `${name} June`);
      expectCell(row![2], may.filter((s) => s.place === key).length, `${name} May`);
      expectCell(row![3], june.filter((s) => s.place === key && s.incident).length, `${name} incidents`);
    }
    // The station's single entry is withheld, and beside it the next smallest (the shop's five): the park's seven are shown.
    expect(placeRows.find((r) => r[0]!.startsWith(`Synthetic Park ${tag}`))![1]).toBe(String(june.filter((s) => s.place === 'park').length));
    expect(placeRows.find((r) => r[0]!.startsWith(`Synthetic Shop ${tag}`))![1]).toBe('[c]');
    expectNoLoneWithheld(placeRows, [1, 2, 3], 'places');

    // Times: by three-hour band (UK time) and by day of the week; the date-only entry has no time.
    const bandRows = tableRows(html, 'table-time');
    for (let b = 0; b < 8; b += 1) expectCell(bandRows[b]![1], june.filter((s) => s.precision !== 'date' && Math.floor(londonHour(s.at) / 3) === b).length, `band ${b}`);
    expectCell(bandRows[8]![1], june.filter((s) => s.precision === 'date').length, 'time not recorded');
    expectCell(bandRows.at(-1)![1], june.length, 'time total');
    expectNoLoneWithheld(bandRows.slice(0, -1), [1], 'time of day');
    const dayRows = tableRows(html, 'table-day');
    for (let d = 1; d <= 7; d += 1) expectCell(dayRows[d - 1]![1], june.filter((s) => (londonDay(s.at) || 7) === d).length, `day ${d}`);
    expectNoLoneWithheld(dayRows.slice(0, -1), [1], 'day of week');
    expect(html).toContain('<svg');

    // Themes: each risk factor its type implies, June against May.
    const factorRows = tableRows(html, 'table-factors');
    const factors = new Set(june.concat(may).flatMap((s) => typeOf.get(s.type)!.implies_factors));
    const factorLabels = new Map((await t.db.selectFrom('factor').select(['code', 'label']).execute()).map((f) => [f.code, f.label]));
    for (const f of factors) {
      const row = factorRows.find((r) => r[0] === factorLabels.get(f));
      expect(row, f).toBeDefined();
      expectCell(row![1], june.filter((s) => typeOf.get(s.type)!.implies_factors.includes(f)).length, `${f} June`);
      expectCell(row![2], may.filter((s) => typeOf.get(s.type)!.implies_factors.includes(f)).length, `${f} May`);
    }
    expectNoLoneWithheld(factorRows, [1, 2], 'factors');
    const typeRows = tableRows(html, 'table-types');
    const countyLines = typeRows.find((r) => r[0] === typeOf.get('county_lines_concern')!.label)!;
    expectCell(countyLines[1], june.filter((s) => s.type === 'county_lines_concern').length, 'county lines June');

    // New links: relationships recorded in the month that the analyst may see, and pairs named together for the first time in a year.
    const visibleRels = rels.filter((r) => !r.restricted && (isHere(r.a) || isHere(r.b)));
    const pairKey = (s: Spec) => s.people.filter(isHere).map(childOf).sort().join('-');
    const firstPairs = new Map<string, Spec>();
    for (const s of [...counted].sort((a, b) => a.at.localeCompare(b.at))) if (s.people.filter(isHere).length === 2 && !firstPairs.has(pairKey(s))) firstPairs.set(pairKey(s), s);
    const newPairs = (m: string) => [...firstPairs.values()].filter((s) => inMonth(s, m)).length;
    const linkRows = tableRows(html, 'table-links');
    expectCell(linkRows.find((r) => r[0] === 'Friend')?.[1], visibleRels.filter((r) => r.kind === 'friend' && inMonth(r, MONTH)).length, 'friends June');
    expectCell(linkRows.find((r) => r[0] === 'Friend')?.[2], visibleRels.filter((r) => r.kind === 'friend' && inMonth(r, PREVIOUS)).length, 'friends May');
    expectCell(linkRows.find((r) => r[0] === 'Rival or in conflict')?.[1], visibleRels.filter((r) => r.kind === 'rival' && inMonth(r, MONTH)).length, 'rivals June');
    expectCell(linkRows.find((r) => r[0]!.startsWith('Named together'))?.[1], newPairs(MONTH), 'named together June');
    expect(linkRows.find((r) => r[0] === 'Suspected exploiter'), 'the restricted relationship is not counted').toBeUndefined();
    expectNoLoneWithheld(linkRows.slice(0, -1), [1, 2], 'links');

    // Grading: June's entries, and June's new links, by 3x5x2 grading.
    const gradingRows = tableRows(html, 'table-grading');
    const linksGraded = (g: string | undefined) => visibleRels.filter((r) => inMonth(r, MONTH) && r.grading === g).length
      + [...firstPairs.values()].filter((s) => inMonth(s, MONTH) && s.grading === g).length;
    const twoB = gradingRows.find((r) => r[0]!.startsWith('2B'))!;
    expectCell(twoB[1], june.filter((s) => s.grading === '2B').length, '2B entries');
    expectCell(twoB[2], linksGraded('2B'), '2B links');
    expect(gradingRows.find((r) => r[0]!.startsWith('1A'))![1], 'a single 1A entry is withheld').toBe('[c]');
    const notGraded = gradingRows.find((r) => r[0] === 'Not graded')!;
    expectCell(notGraded[1], june.filter((s) => !s.grading).length, 'ungraded entries');
    expectNoLoneWithheld(gradingRows.slice(0, -1), [1, 2], 'grading');

    // Disproportionality: the children named in June by ethnic group (no baseline here: shares against the cohort's).
    const byGroup = new Map<string, number>();
    for (const c of new Set(june.flatMap((s) => s.people.filter(isHere).map(childOf)))) byGroup.set(ethnicityGroup(ethnicityOf[c]!), (byGroup.get(ethnicityGroup(ethnicityOf[c]!)) ?? 0) + 1);
    const groupRows = tableRows(html, 'table-ethnicity');
    for (const [group, n] of byGroup) expectCell(groupRows.find((r) => r[0] === group)?.[1], n, `group ${group}`);

    // With a population baseline by ethnic group, the same children are set against it, per 1,000.
    const partnershipId = (await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', analyst.id).executeTakeFirstOrThrow()).partnership_id;
    await t.db.insertInto('population_baseline').values(['White', 'Black, Black British, Caribbean or African', 'Asian or Asian British', 'Mixed or multiple ethnic groups']
      .map((category) => ({ partnership_id: partnershipId, dimension: 'ethnicity_group', category, children: 2000, source: 'Synthetic test baseline', updated_by_user_id: analyst.id }))).execute();
    const rated = await t.app.inject({ method: 'GET', url: `/bulletin?month=${MONTH}`, headers: { cookie: leadCookie } });
    expect(rated.body).toContain('Per 1,000 children');
    const white = tableRows(rated.body, 'table-ethnicity').find((r) => r[0] === 'White')!;
    expect(white.slice(1, 4)).toEqual([String(byGroup.get('White')), '2,000', (byGroup.get('White')! / 2).toFixed(1)]);

    // The analyst may see no child: none is named, none is on a child's log, and the other partnership's children are absent.
    expect(html).toContain('id="no-children"');
    for (const key of Object.keys(ids)) expect(html).not.toContain(`Bull${key} Etin${tag}`);
    const analystRows = await t.db.selectFrom('access_log').select(['person_id', 'action']).where('user_id', '=', analyst.id).where('action', '=', 'bulletin.read').execute();
    expect(analystRows).toEqual([{ person_id: null, action: 'bulletin.read' }, { person_id: null, action: 'bulletin.read' }]);

    // The team manager sees children 0 and 2 named (2 through both records); child 1, mentioned most, is not theirs to see.
    const managerCookie = (await signIn(t.app, manager.email)).cookie;
    const mine = await t.app.inject({ method: 'GET', url: `/bulletin?month=${MONTH}`, headers: { cookie: managerCookie } });
    expect(mine.statusCode).toBe(200);
    const often = tableRows(mine.body, 'table-children');
    const mentions = (c: string) => june.filter((s) => s.people.some((w) => isHere(w) && childOf(w) === c)).length;
    expect(often).toEqual([[`Bull0 Etin${tag}`, String(mentions('0')), '1'], [`Bull2 Etin${tag}`, String(mentions('2')), '1']]);
    expect(mentions('1')).toBeGreaterThan(mentions('0'));
    expect(mine.body).not.toContain(`Bull1 Etin${tag}`);
    const logged = await t.db.selectFrom('access_log').select(['person_id']).where('user_id', '=', manager.id).where('action', '=', 'bulletin.read').where('person_id', 'is not', null).execute();
    expect(logged.map((r) => r.person_id).sort()).toEqual([ids['0'], ids['2']].sort());

    // Another partnership's analyst sees only their own children's entries at the park.
    const otherCookie = (await signIn(t.app, otherAnalyst.email)).cookie;
    const theirs = await t.app.inject({ method: 'GET', url: `/bulletin?month=${MONTH}`, headers: { cookie: otherCookie } });
    expect(theirs.statusCode).toBe(200);
    const theirPark = tableRows(theirs.body, 'table-places').find((r) => r[0]!.startsWith(`Synthetic Park ${tag}`))!;
    expect(theirPark[1]).toBe(String(specs.filter((s) => inMonth(s, MONTH) && s.place === 'park' && s.people.every((w) => !isHere(w))).length));

    // A practitioner without the analyst role is refused as if the page did not exist; a malformed month is an error in words.
    const refused = await t.app.inject({ method: 'GET', url: `/bulletin?month=${MONTH}`, headers: { cookie: (await signIn(t.app, practitioner.email)).cookie } });
    expect(refused.statusCode).toBe(404);
    const bad = await t.app.inject({ method: 'GET', url: '/bulletin?month=June', headers: { cookie: leadCookie } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the month as year and month');
  });
});
