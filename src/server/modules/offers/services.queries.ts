/**
 * The early help service directory of a partnership: search by a child's age, postcode (its district's
 * borough, from postcode_district) and need; a service with the offers made and accepted through it;
 * import (upsert by the directory's own id) and export.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ServiceTable } from '../../../db/database.js';
import type { DirectoryService } from './hsds.js';

/** The outward code (district) of a postcode: "NB4 7QD" and "nb47qd" give "NB4". */
export function postcodeDistrict(postcode: string): string | null {
  const compact = postcode.toUpperCase().replace(/\s+/g, '');
  if (!/^[A-Z]{1,2}[0-9][0-9A-Z]?([0-9][A-Z]{2})?$/.test(compact)) return null;
  return compact.length >= 5 && /[0-9][A-Z]{2}$/.test(compact) ? compact.slice(0, -3) : compact;
}

/** The borough of a postcode, when its district is known. */
export async function boroughOfPostcode(db: Kysely<Database>, postcode: string): Promise<string | null> {
  const district = postcodeDistrict(postcode);
  if (!district) return null;
  return (await db.selectFrom('postcode_district').select('borough').where('district', '=', district).executeTakeFirst())?.borough ?? null;
}

/** Services of a partnership open to a child of this age in this borough with this need (each criterion optional). */
export async function searchServices(db: Kysely<Database>, partnershipId: string, criteria: { age: number | null; borough: string | null; need: string | null }) {
  return db.selectFrom('service').selectAll().where('partnership_id', '=', partnershipId).where('status', 'in', ['active', 'temporarily closed'])
    .$if(criteria.age !== null, (q) => q.where((eb) => eb.and([
      eb.or([eb('min_age', 'is', null), eb('min_age', '<=', criteria.age!)]),
      eb.or([eb('max_age', 'is', null), eb('max_age', '>=', criteria.age!)]),
    ])))
    .$if(criteria.borough !== null, (q) => q.where(sql<boolean>`(cardinality(areas) = 0 OR ${criteria.borough} = ANY(areas))`))
    .$if(criteria.need !== null, (q) => q.where(sql<boolean>`${criteria.need} = ANY(needs)`))
    .orderBy('name').orderBy('id').limit(200).execute();
}

/** Offers made and accepted through each service. */
export async function offerCounts(db: Kysely<Database>, serviceIds: string[]): Promise<Map<string, { made: number; accepted: number }>> {
  if (serviceIds.length === 0) return new Map();
  const rows = await db.selectFrom('offer_of_help').select((eb) => ['service_id', eb.fn.count<string>('offered_on').as('made'),
    eb.fn.count<string>(sql`CASE WHEN response = 'accepted' THEN 1 END`).as('accepted')])
    .where('service_id', 'in', serviceIds).groupBy('service_id').execute();
  return new Map(rows.map((r) => [r.service_id!, { made: Number(r.made), accepted: Number(r.accepted) }]));
}

/** Every need named by a partnership's services, for the search form. */
export async function needsOf(db: Kysely<Database>, partnershipId: string): Promise<string[]> {
  const rows = await sql<{ need: string }>`SELECT DISTINCT unnest(needs) AS need FROM service WHERE partnership_id = ${partnershipId} ORDER BY need`.execute(db);
  return rows.rows.map((r) => r.need);
}

/** A service row as the directory format holds it. */
export function toDirectoryService(s: Selectable<ServiceTable>): DirectoryService {
  return {
    externalId: s.external_id, name: s.name, description: s.description, providerName: s.provider_name, minAge: s.min_age, maxAge: s.max_age,
    needs: s.needs, areas: s.areas, referralRoute: s.referral_route, contactEmail: s.contact_email, contactPhone: s.contact_phone, url: s.url,
    waitingWeeks: s.waiting_weeks, status: s.status,
  };
}

/** Adds or updates services by their directory id, in the caller's transaction. Returns how many were added and updated. */
export async function importServices(trx: Kysely<Database>, partnershipId: string, services: DirectoryService[]): Promise<{ added: number; updated: number }> {
  let added = 0;
  let updated = 0;
  for (const s of services) {
    const row = {
      name: s.name, description: s.description, provider_name: s.providerName, min_age: s.minAge, max_age: s.maxAge, needs: s.needs, areas: s.areas,
      referral_route: s.referralRoute, contact_email: s.contactEmail, contact_phone: s.contactPhone, url: s.url, waiting_weeks: s.waitingWeeks, status: s.status,
    };
    const result = await trx.insertInto('service').values({ partnership_id: partnershipId, external_id: s.externalId, ...row })
      .onConflict((oc) => oc.columns(['partnership_id', 'external_id']).doUpdateSet({ ...row, updated_at: sql<Date>`now()` }))
      .returning(sql<boolean>`(xmax = 0)`.as('inserted')).executeTakeFirstOrThrow();
    if (result.inserted) added += 1;
    else updated += 1;
  }
  return { added, updated };
}
