import { sql } from 'kysely';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { uniqueBorough } from '../../../../test/considerations-helpers.js';
import { involve, makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { suppressColumn } from '../../../domain/oversight/suppression.js';
import { toCsv } from './csv.js';

// Every figure of the dashboards against a count made here, by plain logic, from a small partnership
// seeded here: children of known sex, ethnicity and age, with entries, missing episodes and interviews,
// plan actions, considerations, assessments and reviews, offers, transfers, alerts, a panel meeting, some outside the period or the
// partnership, and two records merged into one child. Figures are read over HTTP from the CSV export.

const DAY = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);
const ETHNICITIES = ['WBRI', 'BCRB', 'BAFR', 'APKN', 'MWBC'] as const;
const GROUP: Record<string, string> = { WBRI: 'White', BCRB: 'Black, Black British, Caribbean or African', BAFR: 'Black, Black British, Caribbean or African', APKN: 'Asian or Asian British', MWBC: 'Mixed or multiple ethnic groups' };

/** Parses the export's CSV (quoted fields may hold commas; no line breaks in these tables) into rows after the title line. */
function csvRows(text: string): string[][] {
  return text.trim().split('\r\n').slice(1).map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].filter((m) => m.index! < line.length || m[1] !== '')
    .map((m) => (m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!)));
}

describe(`partnership dashboards on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('suppresses a lone small cell with a second cell, or the total when there is none', () => {
    expect(suppressColumn([3, 10, 20])).toEqual({ cells: ['small', 'secondary', null], totalWithheld: false });
    expect(suppressColumn([3, 2, 20])).toEqual({ cells: ['small', 'small', null], totalWithheld: false });
    expect(suppressColumn([3, 0, 0])).toEqual({ cells: ['small', null, null], totalWithheld: true });
    expect(suppressColumn([0, 7, 9])).toEqual({ cells: [null, null, null], totalWithheld: false });
  });

  it('counts every tile as the seeded data says, breaks the cohort down with suppression, and shows children only to those who may see them', async () => {
    const borough = uniqueBorough();
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const school = await makeOrg(t.db, 'school', borough);
    const elsewhere = await makeOrg(t.db, 'childrens_social_care', uniqueBorough());
    const partnershipId = (await t.db.selectFrom('organisation_partnership').select('partnership_id').where('organisation_id', '=', csc.id).executeTakeFirstOrThrow()).partnership_id;
    const otherPartnership = (await t.db.selectFrom('organisation_partnership').select('partnership_id').where('organisation_id', '=', elsewhere.id).executeTakeFirstOrThrow()).partnership_id;
    const team = await makeTeam(t.db, csc.id);
    const lead = await makeUser(t.db, { organisationId: csc.id, roles: ['partnership_lead'] });
    const manager = await makeUser(t.db, { organisationId: csc.id, roles: ['team_manager'], teamId: team.id });
    const worker = await makeUser(t.db, { organisationId: csc.id, teamId: team.id });
    const practitioner = await makeUser(t.db, { organisationId: csc.id });
    const teacher = await makeUser(t.db, { organisationId: school.id });
    await t.db.insertInto('population_baseline').values([
      { partnership_id: partnershipId, dimension: 'sex', category: 'female', children: 5000, source: 'Synthetic test baseline', updated_by_user_id: lead.id },
      { partnership_id: partnershipId, dimension: 'sex', category: 'male', children: 5200, source: 'Synthetic test baseline', updated_by_user_id: lead.id },
    ]).execute();

    // 30 children in the partnership and 3 in another; child i's sex, ethnicity and age follow i.
    type Child = { id: string; here: boolean; sex: string; group: string; age: number };
    const children: Child[] = [];
    for (let i = 0; i < 33; i += 1) {
      const age = 8 + (i % 10);
      const dob = `${new Date().getUTCFullYear() - age - 1}-01-01`;
      const person = await makePerson(t.db, { given: `Dash${i}`, dob });
      const sex = i % 10 === 3 || i % 10 === 7 ? 'female' : 'male';
      const ethnicity = ETHNICITIES[i % 5]!;
      const here = i < 30;
      await t.db.updateTable('person').set({ sex, ethnicity }).where('id', '=', person.id).execute();
      await t.db.insertInto('person_address').values({ person_id: person.id, line1: `${i} Synthetic Road`, borough: here ? borough : 'Elsewhere-on-Test', valid_from: '2020-01-01' }).execute();
      children.push({ id: person.id, here, sex, group: GROUP[ethnicity]!, age });
    }
    // A second record of child 0 (no address), merged into it: its entries are child 0's.
    const duplicate = await makePerson(t.db, { given: 'Dash0' });
    await t.db.insertInto('person_merge').values({ survivor_person_id: children[0]!.id, merged_person_id: duplicate.id, reason: 'Synthetic duplicate' }).execute();

    // Cohort: entries of extra-familial harm. Who, which type, how long ago.
    const efh: { child: number | 'dup'; type: string; days: number }[] = [];
    for (let i = 0; i < 33; i += 1) {
      if (i % 3 === 0) efh.push({ child: i, type: 'criminal_exploitation_concern', days: 10 + i });
      if (i % 4 === 1) efh.push({ child: i, type: 'county_lines_concern', days: 40 + i });
      if (i % 7 === 2) efh.push({ child: i, type: 'online_harm_reported', days: 400 }); // before the period
    }
    efh.push({ child: 'dup', type: 'county_lines_concern', days: 5 });
    const factorOf: Record<string, string> = { criminal_exploitation_concern: 'criminal_exploitation', county_lines_concern: 'county_lines', online_harm_reported: 'online_harm' };
    for (const e of efh) {
      await makeEvent(t.db, { personId: e.child === 'dup' ? duplicate.id : children[e.child]!.id, organisationId: csc.id, type: e.type, occurredAt: daysAgo(e.days).toISOString() });
    }
    const counted = efh.filter((e) => e.days < 365 && (e.child === 'dup' || children[e.child]!.here));
    const childKey = (c: number | 'dup') => (c === 'dup' ? 0 : c);
    const cohortKids = new Set(counted.map((e) => childKey(e.child)));
    // The implied factors of each type, as the vocabulary publishes them, for the expected rows.
    const implied = new Map((await t.db.selectFrom('event_type').select(['code', 'implies_factors']).where('code', 'in', Object.keys(factorOf)).execute()).map((r) => [r.code, r.implies_factors]));
    const EFH = ['criminal_exploitation', 'sexual_exploitation', 'county_lines', 'trafficking_modern_slavery', 'gang_association', 'peers_of_concern', 'online_harm', 'carrying_weapon'];
    const expectCohort = new Map<string, { items: number; kids: Set<number> }>();
    for (const e of counted) {
      for (const f of implied.get(e.type)!.filter((x) => EFH.includes(x))) {
        const row = expectCohort.get(f) ?? { items: 0, kids: new Set<number>() };
        row.items += 1;
        row.kids.add(childKey(e.child));
        expectCohort.set(f, row);
      }
    }

    // Exclusions: suspensions for every fifth child, a permanent exclusion for child 4 and one outside the partnership.
    const exclusions = [0, 5, 10, 15, 20, 25].map((i) => ({ child: i, type: 'suspension' })).concat([{ child: 4, type: 'permanent_exclusion' }, { child: 31, type: 'suspension' }]);
    for (const x of exclusions) await makeEvent(t.db, { personId: children[x.child]!.id, organisationId: school.id, type: x.type, occurredAt: daysAgo(20).toISOString() });

    // Missing episodes: returned 10 days ago, with interviews in each state.
    const episodes: { child: number; label: string }[] = [];
    const states = ['completed_in_time', 'completed_late', 'declined', 'overdue', 'overdue', 'completed_in_time'];
    for (let i = 0; i < 12; i += 1) {
      const label = states[i % states.length]!;
      const child = i + 2;
      const ev = await makeEvent(t.db, { personId: children[child]!.id, organisationId: csc.id, type: 'missing_episode', occurredAt: daysAgo(11).toISOString() });
      const returned = daysAgo(10);
      const episode = await t.db.insertInto('missing_episode').values({ person_id: children[child]!.id, event_id: ev.id, organisation_id: csc.id, source: 'form', reported_missing_at: daysAgo(11), returned_at: returned, returned_precision: 'time' })
        .returning('id').executeTakeFirstOrThrow();
      const completed = label === 'completed_in_time' ? new Date(returned.getTime() + 24 * 3600_000) : label === 'completed_late' ? new Date(returned.getTime() + 100 * 3600_000) : null;
      const interview = await t.db.insertInto('return_interview').values({
        episode_id: episode.id, person_id: children[child]!.id, due_at: new Date(returned.getTime() + 72 * 3600_000),
        completed_at: completed, completed_by_kind: completed ? 'allocated_worker' : null,
        outcome: label === 'declined' ? 'declined' : null, outcome_at: label === 'declined' ? daysAgo(9) : null, declined_reason: label === 'declined' ? 'Synthetic reason' : null,
      }).returning('id').executeTakeFirstOrThrow();
      if (label === 'declined') await t.db.insertInto('return_interview_outcome').values({ interview_id: interview.id, person_id: children[child]!.id, outcome: 'declined', outcome_at: daysAgo(9) }).execute();
      episodes.push({ child, label });
    }

    // Plan actions: overdue ones owned by the social care service and the school, one done today (overdue a week ago), one not yet due.
    const plan = async (child: number) => (await t.db.insertInto('risk_plan').values({ person_id: children[child]!.id, organisation_id: csc.id, created_by_user_id: worker.id, worries: 'Synthetic worries', goals: 'Synthetic goals', next_review_on: today, review_every_weeks: 6 })
      .returning('id').executeTakeFirstOrThrow()).id;
    const actions: { child: number; owner: 'csc' | 'school'; due: number; doneToday?: boolean }[] = [
      { child: 1, owner: 'csc', due: 20 }, { child: 2, owner: 'csc', due: 15 }, { child: 3, owner: 'csc', due: 30 }, { child: 6, owner: 'csc', due: 9 },
      { child: 7, owner: 'csc', due: 12 }, { child: 8, owner: 'csc', due: 25 }, { child: 9, owner: 'school', due: 14 }, { child: 11, owner: 'school', due: 14, doneToday: true },
      { child: 12, owner: 'csc', due: -5 }, { child: 32, owner: 'csc', due: 20 },
    ];
    for (const a of actions) {
      const owner = a.owner === 'csc' ? worker : teacher;
      const action = await t.db.insertInto('plan_action').values({
        plan_id: await plan(a.child), kind: 'supportive', description: 'Synthetic action', owner_user_id: owner.id, owner_organisation_id: owner.organisationId,
        due_on: daysAgo(a.due).toISOString().slice(0, 10), created_by_user_id: worker.id, created_at: daysAgo(60),
        ...(a.doneToday ? { status: 'done', completed_at: new Date() } : {}),
      }).returning('id').executeTakeFirstOrThrow();
      if (a.doneToday) await t.db.insertInto('plan_action_status_change').values({ action_id: action.id, status: 'done', changed_by_user_id: owner.id }).execute();
    }

    // Considerations raised in the period, decided or not; one raised before it.
    const ruleVersion = (await t.db.selectFrom('rule_version').select('id').limit(1).executeTakeFirstOrThrow()).id;
    const anyEvent = (await makeEvent(t.db, { personId: children[0]!.id, organisationId: csc.id, type: 'youth_club_attendance', occurredAt: daysAgo(3).toISOString() })).id;
    const considerations: { child: number; decision: string | null; days: number }[] = [];
    for (let i = 0; i < 14; i += 1) considerations.push({ child: i, decision: i < 6 ? 'offer_of_help' : i < 8 ? 'no_action' : null, days: 30 });
    considerations.push({ child: 20, decision: null, days: 400 });
    for (const c of considerations) {
      const row = await t.db.insertInto('consideration').values({
        person_id: children[c.child]!.id, rule_version_id: ruleVersion, evidence_key: `dash-${c.child}-${c.days}`, matched_event_ids: [anyEvent], explanation: 'Synthetic', recipient_kind: 'unrouted', created_via: 'event', created_at: daysAgo(c.days),
      }).returning('id').executeTakeFirstOrThrow();
      if (c.decision) await t.db.insertInto('consideration_decision').values({ consideration_id: row.id, decision: c.decision, service: c.decision === 'offer_of_help' ? 'Synthetic service' : null, reason: c.decision === 'no_action' ? 'Synthetic reason' : null, decided_by_user_id: worker.id, organisation_id: csc.id }).execute();
    }

    // Offers answered in the period.
    const offers: { child: number; response: 'accepted' | 'declined' | 'not_taken_up'; barrier: 'accessibility' | 'acceptability' | null }[] = [];
    for (let i = 0; i < 16; i += 1) offers.push({ child: i + 1, response: i < 9 ? 'accepted' : i < 14 ? 'declined' : 'not_taken_up', barrier: i < 9 ? null : i < 12 ? 'accessibility' : i < 14 ? 'acceptability' : null });
    for (const o of offers) {
      await t.db.insertInto('offer_of_help').values({
        person_id: children[o.child]!.id, service_name: 'Synthetic service', organisation_id: csc.id, created_by_user_id: worker.id, offered_on: daysAgo(20).toISOString().slice(0, 10), mode: 'face_to_face',
        response: o.response, barrier: o.barrier, own_words: o.response === 'accepted' ? null : 'Synthetic words', responded_at: daysAgo(15),
      }).execute();
    }

    // Transfers into the partnership: waiting, escalated, decided; and one to the other partnership.
    const transfers: { child: number; to: string; status: 'waiting' | 'accepted'; escalated: boolean }[] = [
      ...[13, 14, 15, 16, 17, 18].map((c) => ({ child: c, to: partnershipId, status: 'waiting' as const, escalated: false })),
      { child: 19, to: partnershipId, status: 'waiting', escalated: true }, { child: 21, to: partnershipId, status: 'accepted', escalated: false },
      { child: 32, to: otherPartnership, status: 'waiting', escalated: false },
    ];
    for (const x of transfers) {
      await t.db.insertInto('transfer').values({
        person_id: children[x.child]!.id, from_partnership_id: x.to === partnershipId ? otherPartnership : partnershipId, to_partnership_id: x.to, status: x.status, opened_at: daysAgo(10),
        escalated_at: x.escalated ? daysAgo(2) : null, decided_at: x.status === 'accepted' ? daysAgo(1) : null,
      }).execute();
    }

    // Alerts: acknowledged within a day, late, or not yet.
    const alerts: { child: number; ack: number | null }[] = [];
    for (let i = 0; i < 11; i += 1) alerts.push({ child: i, ack: i < 6 ? 2 : i < 8 ? 40 : null });
    for (const a of alerts) {
      const created = daysAgo(5);
      const entry = await makeEvent(t.db, { personId: children[a.child]!.id, organisationId: school.id, type: 'youth_club_attendance', occurredAt: daysAgo(6).toISOString() });
      await t.db.insertInto('alert').values({
        recipient_user_id: worker.id, person_id: children[a.child]!.id, event_id: entry.id, kind: 'significant_entry', reasons: ['synthetic'], created_at: created,
        acknowledged_at: a.ack === null ? null : new Date(created.getTime() + a.ack * 3600_000),
      }).execute();
    }

    // Assessments (started in the period or before it, signed off in time, late or not) and the reviews their review dates call for.
    const assessments: { child: number; created: number; signed: number | null; reviewOn: number | null; id?: string }[] = [
      ...[0, 1, 2, 3].map((c) => ({ child: c, created: 100, signed: 70, reviewOn: null })), ...[4, 5].map((c) => ({ child: c, created: 100, signed: 40, reviewOn: null })),
      ...[6, 7, 8].map((c) => ({ child: c, created: 100, signed: null, reviewOn: null })), { child: 9, created: 10, signed: null, reviewOn: null },
      ...[10, 11, 12, 13, 14].map((c) => ({ child: c, created: 400, signed: 390, reviewOn: 30 })), ...[15, 16].map((c) => ({ child: c, created: 400, signed: 390, reviewOn: 60 })),
      ...[17, 18, 19].map((c) => ({ child: c, created: 400, signed: 390, reviewOn: 20 })), { child: 20, created: 400, signed: 390, reviewOn: -10 },
      ...[10, 11, 12, 13, 14, 15, 16].map((c) => ({ child: c, created: 50, signed: 42, reviewOn: null })), { child: 31, created: 100, signed: null, reviewOn: null },
    ];
    for (const a of assessments) {
      const base = assessments.find((b) => b.child === a.child && b.id && b.created > a.created);
      const row = await t.db.insertInto('assessment').values({ person_id: children[a.child]!.id, organisation_id: csc.id, assessor_user_id: worker.id, based_on_assessment_id: base?.id ?? null, created_at: daysAgo(a.created) })
        .returning('id').executeTakeFirstOrThrow();
      a.id = row.id;
      await t.db.insertInto('assessment_version').values({ assessment_id: row.id, version: 1, saved_by_user_id: worker.id, level: 'medium', review_on: a.reviewOn === null ? null : daysAgo(a.reviewOn).toISOString().slice(0, 10) }).execute();
      if (a.signed !== null) await t.db.updateTable('assessment').set({ status: 'signed_off', signed_off_at: daysAgo(a.signed), signed_off_by_user_id: manager.id }).where('id', '=', row.id).execute();
    }
    /** The assessments and reviews as of `d` days ago, counted here. */
    const assessmentItems = (d: number) => assessments.filter((a) => children[a.child]!.here).flatMap((a) => {
      const out: { child: number; label: string }[] = [];
      const signed = a.signed !== null && a.signed > d ? a.signed : null;
      if (a.created > d && a.created < 365 + d) out.push({ child: a.child, label: signed !== null ? (a.created - signed <= 45 ? 'assessment_in_time' : 'assessment_late') : a.created - d > 45 ? 'assessment_overdue' : 'assessment_open' });
      if (signed !== null && a.reviewOn !== null && a.reviewOn >= d && a.reviewOn < 365 + d) {
        const later = assessments.filter((n) => n.child === a.child && n.signed !== null && n.signed < signed && n.signed > d).map((n) => n.signed!);
        const held = later.length > 0 ? Math.max(...later) : null; // the first signed off after it
        out.push({ child: a.child, label: held === null ? 'review_not_held' : held >= a.reviewOn ? 'review_on_time' : 'review_late' });
      }
      return out;
    });

    // A panel meeting held 20 days ago hearing children 20 to 27, three agencies invited, updates on time, late or missing; one meeting still to come.
    const panelType = await t.db.insertInto('panel_type').values({ partnership_id: partnershipId, kind: 'mace', name: 'Synthetic MACE', cadence_days: 28 }).returning('id').executeTakeFirstOrThrow();
    const meeting = async (days: number, held: boolean) => (await t.db.insertInto('panel_meeting').values({
      panel_type_id: panelType.id, held_at: daysAgo(days), access_from: daysAgo(days + 10), access_until: daysAgo(days - 5), created_by_user_id: manager.id,
      ...(held ? { status: 'held' as const, recorded_at: daysAgo(days), recorded_by_user_id: manager.id } : {}),
    }).returning('id').executeTakeFirstOrThrow()).id;
    const heldMeeting = await meeting(20, true);
    const nextMeeting = await meeting(-5, false);
    const heard = [20, 21, 22, 23, 24, 25, 26, 27];
    const agencies = [{ org: csc, attendance: 'attended' as const }, { org: school, attendance: 'apologies' as const }, { org: elsewhere, attendance: 'absent' as const }];
    for (const m of [heldMeeting, nextMeeting]) {
      for (const c of heard) await t.db.insertInto('panel_agenda_item').values({ meeting_id: m, person_id: children[c]!.id, section: 'new_referral' }).execute();
      for (const a of agencies) {
        await t.db.insertInto('panel_invitation').values({ meeting_id: m, organisation_id: a.org.id, basis: 'added', sent_at: daysAgo(30), attendance: m === heldMeeting ? a.attendance : null, attendee_name: m === heldMeeting && a.attendance === 'attended' ? 'Synthetic attendee' : null, attendee_role: m === heldMeeting && a.attendance === 'attended' ? 'Synthetic role' : null }).execute();
      }
    }
    const updates = [...[20, 21, 22, 23, 24, 25].map((c) => ({ child: c, org: csc, days: 21 })), { child: 26, org: csc, days: 19 },
      ...[20, 21].map((c) => ({ child: c, org: school, days: 21 })), ...[22, 23, 24, 25, 26].map((c) => ({ child: c, org: school, days: 10 }))];
    for (const u of updates) {
      await t.db.insertInto('panel_update').values({ meeting_id: heldMeeting, person_id: children[u.child]!.id, organisation_id: u.org.id, author_user_id: u.org === csc ? worker.id : teacher.id, facts: 'Synthetic facts', no_significant_incident: true, submitted_at: daysAgo(u.days) }).execute();
    }
    const attendanceItems = heard.flatMap((c) => agencies.map((a) => ({ child: c, label: `${a.org.name}: ${a.attendance}` })));
    /** The updates owed for the held meeting as of `d` days ago: by the meeting (20 days ago), after it, or none yet. */
    const updateItems = (d: number) => heard.flatMap((c) => agencies.map((a) => {
      const u = updates.find((x) => x.child === c && x.org === a.org && x.days > d);
      return { child: c, label: `${a.org.name}: ${!u ? 'no update' : u.days >= 20 ? 'on time' : 'late'}` };
    }));
    const asTexts = (items: { label: string }[]) => Object.fromEntries(items.map((x) => [x.label, x.label]));

    const leadSession = await signIn(t.app, lead.email);
    const csv = async (cookie: string, tile: string, table = 'counts', asOf = today, label?: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/oversight/tiles/${tile}/export.csv?asOf=${asOf}&table=${table}${label ? `&label=${label}` : ''}`, headers: { cookie } });
      expect(res.statusCode).toBe(200);
      return csvRows(res.body);
    };

    /** The expected table of a tile: per label, items and distinct children, suppressed by plain rules, and the total. */
    const expectTable = async (tile: string, items: { child: number; label: string }[], labelText: Record<string, string>, asOf = today) => {
      const rows = await csv(leadSession.cookie, tile, 'counts', asOf);
      const body = rows.slice(1, -1);
      const total = rows.at(-1)!;
      for (const [code, text] of Object.entries(labelText)) {
        const mine = items.filter((x) => x.label === code);
        const row = body.find((r) => r[0] === text);
        expect(row, `${tile}: ${text}`).toBeDefined();
        const n = mine.length;
        const kids = new Set(mine.map((x) => x.child)).size;
        if (n > 0 && n < 5) expect(row![1], `${tile}: ${text} withheld`).toBe('[c]');
        else if (row![1] !== '[c]') expect(Number(row![1]), `${tile}: ${text} items`).toBe(n);
        if (row![2] !== '[c]') expect(Number(row![2]), `${tile}: ${text} children`).toBe(kids);
        else expect(n > 0, `${tile}: ${text} children withheld only when there are some`).toBe(true);
      }
      // A withheld count is never alone in its column (it would be the total less the others).
      for (const col of [1, 2]) expect(body.filter((r) => r[col] === '[c]').length, `${tile} column ${col}`).not.toBe(1);
      const all = new Set(items.map((x) => x.child)).size;
      if (total[1] !== '[c]') expect(Number(total[1])).toBe(items.length);
      if (total[2] !== '[c]') expect(Number(total[2])).toBe(all);
      return { body, total };
    };

    // The cohort, by harm; the total counts each child once (child 0 through both records).
    const cohortItems = [...expectCohort.entries()].flatMap(([f, v]) => Array.from({ length: v.items }, (_, k) => ({ child: [...v.kids][k % v.kids.size]!, label: f })));
    const cohort = await expectTable('cohort', cohortItems, { criminal_exploitation: 'Criminal exploitation', county_lines: 'County lines', online_harm: 'Online harm' });
    expect(Number(cohort.total[2])).toBe(cohortKids.size);
    for (const [f, v] of expectCohort) {
      const text = { criminal_exploitation: 'Criminal exploitation', county_lines: 'County lines' }[f];
      if (text && v.kids.size >= 5) expect(Number(cohort.body.find((r) => r[0] === text)![2])).toBe(v.kids.size);
    }
    await expectTable('exclusions', exclusions.filter((x) => children[x.child]!.here).map((x) => ({ child: x.child, label: x.type })), { suspension: 'Suspension', permanent_exclusion: 'Permanent exclusion' });
    await expectTable('missing', episodes, { completed_in_time: 'Completed within 72 hours', completed_late: 'Completed after 72 hours', declined: 'Declined', overdue: 'Not completed, past 72 hours', due: 'Not completed, within 72 hours' });
    const overdue = (asOfDays: number) => actions.filter((a) => children[a.child]!.here && a.due > asOfDays && (!a.doneToday || asOfDays > 0))
      .map((a) => ({ child: a.child, label: a.owner === 'csc' ? csc.name : school.name }));
    await expectTable('overdue-actions', overdue(0), { [csc.name]: csc.name, [school.name]: school.name });
    // As of a week ago the action done today was still open and overdue; the one due five days ahead was not due.
    const weekAgo = daysAgo(7).toISOString().slice(0, 10);
    await expectTable('overdue-actions', overdue(7), { [csc.name]: csc.name }, weekAgo);
    await expectTable('considerations', considerations.filter((c) => c.days < 365).map((c) => ({ child: c.child, label: c.decision ?? 'undecided' })), { offer_of_help: 'Offer of help', no_action: 'No action', undecided: 'Awaiting a decision', already_in_hand: 'Already in hand' });
    await expectTable('offers', offers.map((o) => ({ child: o.child, label: o.response === 'accepted' ? 'accepted' : o.barrier ?? 'no_barrier' })), { accepted: 'Accepted', accessibility: 'Not accepted: accessibility', acceptability: 'Not accepted: acceptability', no_barrier: 'Not accepted: no barrier given', awareness: 'Not accepted: awareness' });
    await expectTable('transfers', transfers.filter((x) => x.to === partnershipId && x.status === 'waiting').map((x) => ({ child: x.child, label: x.escalated ? 'escalated' : 'waiting' })), { waiting: 'Waiting', escalated: 'Waiting, escalated' });
    await expectTable('alerts', alerts.map((a) => ({ child: a.child, label: a.ack === null ? 'not_yet' : a.ack <= 24 ? 'in_time' : 'late' })), { in_time: 'In time', late: 'Late', not_yet: 'Not acknowledged' });

    const ASSESSMENT_TEXT = {
      assessment_in_time: 'Assessment signed off within 45 days', assessment_late: 'Assessment signed off after 45 days', assessment_overdue: 'Assessment not signed off, past 45 days',
      assessment_open: 'Assessment not signed off, within 45 days', review_on_time: 'Review held by its date', review_late: 'Review held after its date', review_not_held: 'Review not held, past its date',
    };
    await expectTable('assessments', assessmentItems(0), ASSESSMENT_TEXT);
    // As of 45 days ago the reassessments were not yet signed off: reviews then due were not held, and two assessments were past 45 days.
    expect(assessmentItems(45).filter((x) => x.label === 'review_not_held').length).toBeGreaterThan(0);
    await expectTable('assessments', assessmentItems(45), ASSESSMENT_TEXT, daysAgo(45).toISOString().slice(0, 10));
    await expectTable('panel-attendance', attendanceItems, asTexts(attendanceItems));
    await expectTable('panel-updates', updateItems(0), asTexts(updateItems(0)));
    // As of 15 days ago the school's late updates had not come.
    await expectTable('panel-updates', updateItems(15), asTexts(updateItems(15)), daysAgo(15).toISOString().slice(0, 10));

    // The cohort by sex: the female children (fewer than five) are withheld, and so is the male count beside them.
    const bySex = await csv(leadSession.cookie, 'cohort', 'sex');
    const kids = [...cohortKids].map((i) => children[i]!);
    const female = kids.filter((c) => c.sex === 'female').length;
    const male = kids.filter((c) => c.sex === 'male').length;
    expect(female).toBeGreaterThan(0);
    expect(female).toBeLessThan(5);
    expect(bySex.find((r) => r[0] === 'female')![1]).toBe('[c]');
    expect(bySex.find((r) => r[0] === 'male')![1]).toBe('[c]'); // secondary: else male = total − female
    expect(bySex.find((r) => r[0] === 'male')![3]).toBe(''); // and no rate that would give it back
    expect(Number(bySex.at(-1)![1])).toBe(kids.length);
    expect(male + female).toBe(kids.length);
    // By ethnic group, counted here; shown groups carry their count.
    const byEthnicity = await csv(leadSession.cookie, 'cohort', 'ethnicity_group');
    for (const r of byEthnicity.slice(1, -1)) {
      const n = kids.filter((c) => c.group === r[0]).length;
      if (r[1] === '[c]') expect(n).toBeGreaterThan(0);
      else expect(Number(r[1]), r[0]).toBe(n);
    }
    expect(byEthnicity.slice(1, -1).filter((r) => r[1] === '[c]').length).not.toBe(1);

    // The same table as an ODS spreadsheet: mimetype first and stored, and the cells are the CSV's (the withheld female and male counts shown as "[c]"), logged as an export.
    const sinceOds = Number((await t.db.selectFrom('access_log').select(sql<string>`coalesce(max(id), 0)`.as('m')).executeTakeFirstOrThrow()).m);
    const ods = await t.app.inject({ method: 'GET', url: `/oversight/tiles/cohort/export.ods?asOf=${today}&table=sex`, headers: { cookie: leadSession.cookie } });
    expect(ods.statusCode).toBe(200);
    expect(ods.headers['content-type']).toBe('application/vnd.oasis.opendocument.spreadsheet');
    const zip = ods.rawPayload;
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.readUInt16LE(8)).toBe(0); // stored, not deflated
    expect(zip.toString('latin1', 30, 30 + zip.readUInt16LE(26))).toBe('mimetype');
    const files = unzipSync(new Uint8Array(zip));
    expect(Object.keys(files)[0]).toBe('mimetype');
    expect(strFromU8(files.mimetype!)).toBe('application/vnd.oasis.opendocument.spreadsheet');
    expect(files['META-INF/manifest.xml']).toBeDefined();
    const content = strFromU8(files['content.xml']!);
    const unescape = (x: string) => x.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    const odsRows = [...content.matchAll(/<table:table-row>(.*?)<\/table:table-row>/g)].map((m) => [...m[1]!.matchAll(/<table:table-cell(?:\/>|[^>]*><text:p>(.*?)<\/text:p><\/table:table-cell>)/g)].map((c) => unescape(c[1] ?? '')));
    const sexCsv = await t.app.inject({ method: 'GET', url: `/oversight/tiles/cohort/export.csv?asOf=${today}&table=sex`, headers: { cookie: leadSession.cookie } });
    expect(toCsv(odsRows)).toBe(sexCsv.body);
    expect(odsRows.find((r) => r[0] === 'female')![1]).toBe('[c]');
    expect(content).toContain('<table:table-cell office:value-type="string"><text:p>[c]</text:p>');
    expect(content).toContain(`<table:table-cell office:value-type="float" office:value="${kids.length}"><text:p>${kids.length}</text:p>`);
    expect(await t.db.selectFrom('access_log').select(['action', 'outcome']).where('id', '>', sinceOds).where('route', '=', 'GET /oversight/tiles/:tile/export.ods').execute())
      .toEqual([{ action: 'oversight.export', outcome: 'allowed' }]);

    // The page: charts and tables for every tile; one access-log row, with no child named.
    const page = await t.app.inject({ method: 'GET', url: `/oversight?asOf=${today}`, headers: { cookie: leadSession.cookie } });
    expect(page.statusCode).toBe(200);
    expect((page.body.match(/<svg /g) ?? []).length).toBe(11);
    const tilePage = await t.app.inject({ method: 'GET', url: `/oversight/tiles/cohort?asOf=${today}`, headers: { cookie: leadSession.cookie } });
    expect(tilePage.statusCode).toBe(200);
    expect(tilePage.body).toContain('Trend');
    expect(tilePage.body).toContain(`/oversight/tiles/cohort/export.ods?asOf=${today}&amp;table=counts`);

    // Drill-down: the lead sees no child; the team manager sees the team's children only, each view logged.
    await involve(t.db, { personId: children[0]!.id, organisationId: csc.id, userId: worker.id });
    await involve(t.db, { personId: children[3]!.id, organisationId: csc.id, userId: practitioner.id });
    const leadList = await t.app.inject({ method: 'GET', url: `/oversight/tiles/cohort/children?asOf=${today}`, headers: { cookie: leadSession.cookie } });
    expect(leadList.statusCode).toBe(200);
    expect(leadList.body).not.toContain('/people/');
    const managerSession = await signIn(t.app, manager.email);
    const before = Number((await t.db.selectFrom('access_log').select(sql<string>`coalesce(max(id), 0)`.as('m')).executeTakeFirstOrThrow()).m);
    const list = await t.app.inject({ method: 'GET', url: `/oversight/tiles/cohort/children?asOf=${today}`, headers: { cookie: managerSession.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/people/${children[0]!.id}`);
    expect(list.body).not.toContain(`/people/${children[3]!.id}`);
    const logged = await t.db.selectFrom('access_log').select(['person_id', 'action']).where('id', '>', before).where('user_id', '=', manager.id).execute();
    expect(logged).toEqual([{ person_id: children[0]!.id, action: 'oversight.children.read' }]);
    // The day-one inspection list for the theme: the same children, as CSV, each on their log.
    const inspection = await t.app.inject({ method: 'GET', url: `/oversight/tiles/cohort/children.csv?asOf=${today}`, headers: { cookie: managerSession.cookie } });
    expect(inspection.statusCode).toBe(200);
    expect(csvRows(inspection.body).slice(1).map((r) => r[0])).toEqual([children[0]!.id]);
    expect(await t.db.selectFrom('access_log').select('person_id').where('id', '>', before).where('user_id', '=', manager.id).where('route', '=', 'GET /oversight/tiles/:tile/children.csv').execute())
      .toEqual([{ person_id: children[0]!.id }]);

    // Denied: a practitioner (no dashboard role) is refused with a denied row and 404, as for a missing page.
    const practitionerSession = await signIn(t.app, practitioner.email);
    for (const url of ['/oversight', '/oversight/tiles/cohort', '/oversight/tiles/cohort/children', '/oversight/tiles/cohort/export.csv', '/oversight/tiles/cohort/export.ods']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { cookie: practitionerSession.cookie } });
      expect(res.statusCode, url).toBe(404);
    }
    const deniedRows = await t.db.selectFrom('access_log').select('action').where('user_id', '=', practitioner.id).where('outcome', '=', 'denied').execute();
    expect(deniedRows.map((r) => r.action).sort()).toEqual(['oversight.children.read', 'oversight.dashboard.read', 'oversight.dashboard.read', 'oversight.export', 'oversight.export']);
    const signedOut = await t.app.inject({ method: 'GET', url: '/oversight' });
    expect(signedOut.statusCode).toBe(401);
  });
});
