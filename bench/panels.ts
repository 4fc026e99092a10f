// `npm run bench:panels`: how long a briefing pack takes to reach its reader, on each engine.
//
// A synthetic borough (BENCH_PANEL_CHILDREN children, 2,000 unless set) is seeded; the 20 children of
// the partnership with the longest histories are topped up to BENCH_PANEL_ENTRIES entries each (300
// unless set) over the last twelve months, from every agency of the partnership, a tenth of them
// significant. The borough's panel coordinator signs in over a real socket, schedules a MACE meeting
// with the 20 children on its agenda and sends the invitations. Then the coordinator and two invitees
// (workers of other agencies, each reading what the chronology's scope allows them) open the pack in
// turn, BENCH_PANEL_SAMPLES times (40 unless set): `briefing pack p95 (20 children): N ms` is the time
// from the request to the last byte of the page. Target: under 5 s.
// PGlite in memory; also a scratch database on the PostgreSQL server when DATABASE_URL is set.
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { appendEntries, type NewEntry } from '../src/server/modules/chronology/commands/append-entry.js';
import { DEMO_PASSWORD } from '../src/synthetic/rates.js';
import { seedBorough } from '../src/synthetic/seed.js';
import { percentile, print } from './report.js';

const CHILDREN = Number(process.env.BENCH_PANEL_CHILDREN ?? 2000);
const ENTRIES = Number(process.env.BENCH_PANEL_ENTRIES ?? 300);
const SAMPLES = Number(process.env.BENCH_PANEL_SAMPLES ?? 40);
const ON_AGENDA = 20;
const TYPES = ['arrest', 'weapon_incident', 'missing_episode', 'attendance_concern', 'youth_club_attendance', 'outreach_contact', 'was_not_brought', 'stop_and_search', 'suspension'];

/** Signs in through the form as a person would, over the socket; returns the session cookie and a CSRF token. */
async function signIn(base: string, email: string): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${base}/sign-in`);
  const pre = page.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('jigsaw_signin='));
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  const res = await fetch(`${base}/sign-in`, {
    method: 'POST', redirect: 'manual', headers: { cookie: pre ?? '', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password: DEMO_PASSWORD, _csrf: token ?? '' }).toString(),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('jigsaw_session='));
  if (res.status !== 303 || !cookie || /two-factor/.test(res.headers.get('location') ?? '')) throw new Error(`sign-in as ${email} answered ${res.status}`);
  const home = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(home)?.[1] ?? '' };
}

/** Tops the 20 longest histories of the coordinator's partnership up to ENTRIES entries each. */
async function topUp(d: Db, partnershipId: string): Promise<string[]> {
  const children = (await sql<{ person_id: string }>`
    SELECT pp.person_id FROM person_partnership pp JOIN event_person ep ON ep.person_id = pp.person_id
    WHERE pp.partnership_id = ${partnershipId} GROUP BY pp.person_id ORDER BY count(*) DESC, pp.person_id LIMIT ${ON_AGENDA}`.execute(d.db)).rows.map((r) => r.person_id);
  const orgs = (await d.db.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id').select('o.id')
    .where('op.partnership_id', '=', partnershipId).where('o.kind', 'in', ['police', 'school', 'childrens_social_care', 'community_health', 'youth_justice', 'housing', 'gp']).execute()).map((o) => o.id);
  const types = await d.db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', 'in', TYPES).execute();
  const counts = new Map((await sql<{ person_id: string; n: number }>`SELECT person_id, count(*)::int AS n FROM event_person WHERE person_id = ANY(${sql.val(children)}::uuid[]) GROUP BY 1`.execute(d.db)).rows.map((r) => [r.person_id, r.n]));
  const now = Date.now();
  for (const [c, child] of children.entries()) {
    const missing = Math.max(0, ENTRIES - (counts.get(child) ?? 0));
    const entries: NewEntry[] = Array.from({ length: missing }, (_, i) => {
      const type = types[(i * 7 + c) % types.length]!;
      return {
        organisationId: orgs[(i + c) % orgs.length]!, eventTypeCode: type.code, vocabularyVersion: type.vocabulary_version,
        occurredAt: new Date(now - ((i * 997 + c * 131) % 360) * 86_400_000 - i * 60_000), occurredPrecision: 'time', recordedByUserId: null, apiKeyId: null,
        recordedVia: 'api', sourceSystem: 'BenchSystem', sourceRecordId: `bench-${c}-${i}`, summary: `Synthetic bench entry ${i} about the child`,
        narrative: null, place: i % 5 === 0 ? `Synthetic Park ${i % 3}` : null, factorCodes: [], sensitivity: i % 40 === 0 ? 'restricted' : 'standard',
        reliability: 'reported', supersedes: null, correctionReason: null, people: [{ personId: child, role: 'subject' }], audit: null,
        ...(i % 40 === 0 ? { restriction: { contact: 'the recording agency', reason: null } } : {}),
      };
    });
    await d.db.transaction().execute((trx) => appendEntries(trx, entries, { audit: [{ actor: null, action: 'event.record', route: 'bench panels', outcome: 'allowed', detail: { entries: entries.length } }] }));
  }
  await sql`ANALYZE`.execute(d.db);
  return children;
}

async function run(d: Db, label: string): Promise<void> {
  await migrateToLatest(d.db);
  const seeded = await seedBorough(d.db, { children: CHILDREN, seed: 11 });
  const coordinator = await d.db.selectFrom('app_user').select(['id', 'email', 'partnership_id']).where(sql<boolean>`'panel_coordinator' = ANY(roles)`)
    .where('email', 'like', 'panel@%').orderBy('email').executeTakeFirstOrThrow();
  const children = await topUp(d, coordinator.partnership_id);
  await d.db.insertInto('panel_referral').values(children.map((person_id) => ({ person_id, partnership_id: coordinator.partnership_id, source: 'practitioner' as const, reason: 'Synthetic bench referral' }))).execute();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const app = await buildApp({ db: d, config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const coord = await signIn(base, coordinator.email);
    const held = new Date(Date.now() + 3 * 86_400_000);
    const types = await d.db.selectFrom('panel_type').select('id').where('partnership_id', '=', coordinator.partnership_id).executeTakeFirstOrThrow();
    const post = (path: string, fields: Record<string, string>) => fetch(`${base}${path}`, {
      method: 'POST', redirect: 'manual', headers: { cookie: coord.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: coord.csrf, ...fields }).toString(),
    });
    const made = await post('/panels/meetings', { panelTypeId: types.id, 'heldAt-day': String(held.getUTCDate()), 'heldAt-month': String(held.getUTCMonth() + 1), 'heldAt-year': String(held.getUTCFullYear()), 'heldAt-time': '10:00' });
    const meetingId = (made.headers.get('location') ?? '').split('/').pop()!;
    if ((await post(`/panels/meetings/${meetingId}/send`, {})).status !== 303) throw new Error('sending the invitations failed');
    const onAgenda = await d.db.selectFrom('panel_agenda_item').select('person_id').where('meeting_id', '=', meetingId).execute();
    // Two invitees of other agencies who sign in with a password alone (practitioners and safeguarding leads outside the police).
    const invitees = await d.db.selectFrom('panel_invitee as pi').innerJoin('panel_invitation as i', 'i.id', 'pi.invitation_id').innerJoin('app_user as u', 'u.id', 'pi.user_id')
      .innerJoin('organisation as o', 'o.id', 'u.organisation_id').select(['u.email', 'o.kind'])
      .where('i.meeting_id', '=', meetingId).where('o.kind', 'not in', ['police', 'childrens_social_care']).where(sql<boolean>`NOT ('team_manager' = ANY(u.roles))`)
      .orderBy('o.kind').orderBy('u.email').execute();
    const readers = [coord, ...(await Promise.all([...new Map(invitees.map((i) => [i.kind, i.email])).values()].slice(0, 2).map((e) => signIn(base, e))))];
    const entries = await sql<{ n: number }>`SELECT count(*)::int AS n FROM event_person WHERE person_id = ANY(${sql.val(onAgenda.map((c) => c.person_id))}::uuid[])`.execute(d.db);
    const open = async (r: { cookie: string }) => {
      const started = performance.now();
      const res = await fetch(`${base}/panels/meetings/${meetingId}/pack`, { headers: { cookie: r.cookie } });
      const body = await res.text();
      if (res.status !== 200 || !body.includes('Briefing pack')) throw new Error(`pack answered ${res.status}`);
      return performance.now() - started;
    };
    for (const r of readers) await open(r);
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) times.push(await open(readers[i % readers.length]!));
    console.log(`# ${label}: ${seeded.children} children seeded; ${onAgenda.length} on the agenda with ${entries.rows[0]!.n} entries (${Math.round(entries.rows[0]!.n / onAgenda.length)} each); ${readers.length} readers, ${SAMPLES} samples`);
    console.log(`briefing pack p95 (${onAgenda.length} children): ${Math.round(percentile(times, 95))} ms`);
    print([{ name: `panels.${label}.briefing_pack_p50`, value: percentile(times, 50), unit: 'ms' }]);
  } finally {
    await app.close();
  }
}

console.log('# npm run bench:panels');
{
  const d = await openDb({ memory: true });
  try { await run(d, 'pglite'); } finally { await d.close(); }
}
if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'jigsaw_bench_panels');
  const d = await openDb({ databaseUrl: scratch.url });
  try { await run(d, 'postgres'); } finally { await d.close(); await scratch.drop(); }
} else {
  console.log('# DATABASE_URL is not set: the PostgreSQL server figures are skipped');
}
