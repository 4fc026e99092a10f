/**
 * What an imported record carries beyond its entry: where it happened (a place record), relationships
 * between its people and their online handles. Each is stored with the record's entry as its source
 * (`event_place`; `person_relationship.source_event_id`; `person_place.source_event_id`), so it is seen
 * exactly by those who see the entry whole and current (networks.queries.ts): an import grants nothing
 * the entry does not. Places are found again within their partnership by a stable key, so two
 * agencies' records of one park or one handle meet at one place.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { IncomingPlace, IncomingRelationship } from '../../../../intake/types.js';
import type { BatchContext } from './batch-context.js';

/** The place, relationships and handles one new entry carries, its people as Jigsaw records. */
export interface EntryNetwork {
  eventId: string;
  place: IncomingPlace | null;
  relationships: (IncomingRelationship & { personId: string; relatedPersonId: string })[];
  handles: { personId: string; platform: string; handle: string }[];
}

const words = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** How a place is found again: an online space by platform and handle (an "@" before it or not), any other by kind, name and postcode. */
export function placeKey(p: Pick<IncomingPlace, 'kind' | 'name' | 'postcode' | 'platform' | 'handle'>): string {
  if (p.kind === 'online') return `online|${words(p.platform ?? '')}|${words(p.handle ?? '').replace(/^@/, '')}`.slice(0, 400);
  return `${p.kind}|${words(p.name)}|${(p.postcode ?? '').replace(/\s+/g, '').toUpperCase()}`.slice(0, 400);
}

const onlinePlace = (platform: string, handle: string): IncomingPlace => ({
  kind: 'online', name: `${platform} ${handle}`.slice(0, 200), postcode: null, ward: null, borough: null, platform, handle,
});

/**
 * Finds or creates each place within its partnership (the partnership whose area holds the place's
 * borough, else the importing organisation's own), by key; returns the place id of each place given.
 */
async function placeIds(trx: Kysely<Database>, organisationId: string, places: IncomingPlace[]): Promise<Map<IncomingPlace, string>> {
  const distinct = new Map<string, IncomingPlace>();
  for (const p of places) {
    const k = `${p.borough ?? ''}\u0000${placeKey(p)}`;
    if (!distinct.has(k)) distinct.set(k, p);
  }
  const rows = [...distinct.values()].map((p) => sql`(${p.kind}::text, ${p.name}::text, ${p.postcode}::text, ${p.ward}::text, ${p.borough}::text, ${p.platform}::text, ${p.handle}::text, ${placeKey(p)}::text)`);
  const wanted = sql`
    v (kind, name, postcode, ward, borough, platform, handle, match_key) AS (VALUES ${sql.join(rows)}),
    w AS (
      SELECT v.*, coalesce(
        (SELECT pa.partnership_id FROM partnership_area pa WHERE pa.borough = v.borough),
        (SELECT pa.partnership_id FROM organisation o JOIN partnership_area pa ON pa.borough = o.borough WHERE o.id = ${organisationId}::uuid)
      ) AS partnership_id
      FROM v
    )`;
  await sql`
    WITH ${wanted}
    INSERT INTO place (kind, name, postcode, ward, borough, platform, handle, match_key, partnership_id, recorded_by_organisation_id)
    SELECT kind, name, postcode, ward, borough, platform, handle, match_key, partnership_id, ${organisationId}::uuid FROM w
    ON CONFLICT (partnership_id, match_key) WHERE match_key IS NOT NULL DO NOTHING`.execute(trx);
  const found = await sql<{ borough: string | null; match_key: string; id: string }>`
    WITH ${wanted}
    SELECT w.borough, w.match_key, p.id FROM w JOIN place p ON p.partnership_id = w.partnership_id AND p.match_key = w.match_key`.execute(trx);
  const idOf = new Map(found.rows.map((r) => [`${r.borough ?? ''}\u0000${r.match_key}`, r.id]));
  const out = new Map<IncomingPlace, string>();
  for (const p of places) {
    const id = idOf.get(`${p.borough ?? ''}\u0000${placeKey(p)}`);
    if (id) out.set(p, id);
  }
  return out;
}

/** Writes the chunk's places, relationships and handles, after its entries (each row names its entry). */
export async function writeNetworks(trx: Kysely<Database>, ctx: BatchContext, networks: EntryNetwork[]): Promise<void> {
  if (!networks.length) return;
  const userId = ctx.actor?.kind === 'user' ? ctx.actor.userId : null;
  const handlePlaces = networks.map((n) => n.handles.map((h) => onlinePlace(h.platform, h.handle)));
  const places = [...networks.flatMap((n) => (n.place ? [n.place] : [])), ...handlePlaces.flat()];
  const ids = places.length ? await placeIds(trx, ctx.organisationId, places) : new Map<IncomingPlace, string>();

  const eventPlaces = networks.flatMap((n) => (n.place && ids.has(n.place) ? [{ event_id: n.eventId, place_id: ids.get(n.place)! }] : []));
  if (eventPlaces.length) await trx.insertInto('event_place').values(eventPlaces).onConflict((oc) => oc.doNothing()).execute();

  // A handle is the person's membership of an online space; the same one twice in a record is stored once.
  const memberships = new Map<string, { person_id: string; place_id: string; source_event_id: string }>();
  networks.forEach((n, i) => n.handles.forEach((h, j) => {
    const placeId = ids.get(handlePlaces[i]![j]!);
    if (placeId) memberships.set(`${n.eventId}|${h.personId}|${placeId}`, { person_id: h.personId, place_id: placeId, source_event_id: n.eventId });
  }));
  if (memberships.size) {
    await trx.insertInto('person_place').values([...memberships.values()].map((m) => ({
      ...m, kind: 'member' as const, recorded_by_user_id: userId, recorded_by_organisation_id: ctx.organisationId,
    }))).execute();
  }

  const relationships = new Map<string, EntryNetwork['relationships'][number] & { eventId: string }>();
  for (const n of networks) for (const r of n.relationships) relationships.set(`${n.eventId}|${r.personId}|${r.relatedPersonId}|${r.kind}`, { ...r, eventId: n.eventId });
  if (relationships.size) {
    await trx.insertInto('person_relationship').values([...relationships.values()].map((r) => ({
      person_id: r.personId, related_person_id: r.relatedPersonId, kind: r.kind, valid_from: r.validFrom, valid_to: r.validTo,
      source_event_id: r.eventId, recorded_by_user_id: userId, recorded_by_organisation_id: ctx.organisationId,
      grading: r.grading, sensitivity: r.sensitivity, note: null,
    }))).execute();
  }
}
