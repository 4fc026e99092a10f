/**
 * Reads of offers of help: a child's offers (the routes admit only someone who may see the child),
 * and the partnership's acceptance figures (counts only, small groups suppressed).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { ETHNICITY_GROUPS, ethnicityGroup } from '../../../domain/ethnicity.js';
import { acceptanceRows, type AcceptanceRow } from '../../../domain/offers/acceptance.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { OFFER_BARRIERS, OFFER_MODES } from './offers.commands.js';

/** A child's offers, newest first, over every merged record. */
export async function offersOf(db: Kysely<Database>, personId: string) {
  return db.selectFrom('offer_of_help as o').innerJoin('organisation as org', 'org.id', 'o.organisation_id')
    .leftJoin('app_user as by', 'by.id', 'o.offered_by_user_id').leftJoin('app_user as ref', 'ref.id', 'o.referred_by_user_id')
    .select(['o.id', 'o.person_id', 'o.service_id', 'o.service_name', 'org.name as organisation', 'by.name as offered_by', 'ref.name as referred_by', 'o.consideration_id',
      'o.offered_on', 'o.mode', 'o.moment', 'o.response', 'o.barrier', 'o.own_words', 'o.responded_at', 'o.created_at'])
    .where(sql<boolean>`o.person_id IN ${samePersonIds(db, personId)}`)
    .orderBy('o.created_at', 'desc').orderBy('o.id').execute();
}
/** One offer, as offersOf gives it. */
export type OfferRow = Awaited<ReturnType<typeof offersOf>>[number];

/** Acceptance tables of a partnership's offers. */
export interface AcceptanceFigures {
  answered: string;
  accepted: string;
  tables: { key: string; label: string; note: string; rows: AcceptanceRow[] }[];
}

/**
 * Offers made to the partnership's children (their current partnership) and answered: accepted out
 * of answered by mode, agency and ethnic group; and, of those not accepted, the share giving each
 * barrier. Person-level rows are read to group them and never leave this function; only counts do.
 */
export async function acceptanceFigures(db: Kysely<Database>, partnershipId: string): Promise<AcceptanceFigures> {
  const rows = await db.selectFrom('offer_of_help as o').innerJoin('person as p', 'p.id', 'o.person_id').innerJoin('organisation as org', 'org.id', 'o.organisation_id')
    .innerJoin('person_partnership as pp', 'pp.person_id', 'o.person_id')
    .select(['o.mode', 'o.response', 'o.barrier', 'org.name as agency', 'p.ethnicity'])
    .where('pp.partnership_id', '=', partnershipId).where('o.response', 'is not', null).execute();
  const tally = (key: (r: (typeof rows)[number]) => string | null, among: (r: (typeof rows)[number]) => boolean, hit: (r: (typeof rows)[number]) => boolean) => {
    const m = new Map<string, { offers: number; accepted: number }>();
    for (const r of rows) {
      if (!among(r)) continue;
      const k = key(r) ?? 'Not recorded';
      const c = m.get(k) ?? { offers: 0, accepted: 0 };
      c.offers += 1;
      if (hit(r)) c.accepted += 1;
      m.set(k, c);
    }
    return m;
  };
  const all = () => true;
  const accepted = (r: (typeof rows)[number]) => r.response === 'accepted';
  const notAccepted = rows.filter((r) => !accepted(r)).length;
  const barrierTotals = new Map(Object.keys(OFFER_BARRIERS).map((b) => [b, { offers: notAccepted, accepted: rows.filter((r) => !accepted(r) && r.barrier === b).length }]));
  return {
    answered: String(rows.length),
    accepted: String(rows.filter(accepted).length),
    tables: [
      { key: 'mode', label: 'By how the offer was made', note: 'Accepted out of offers answered', rows: acceptanceRows(Object.keys(OFFER_MODES), tally((r) => r.mode, all, accepted)).map((x) => ({ ...x, category: OFFER_MODES[x.category as keyof typeof OFFER_MODES] ?? x.category })) },
      { key: 'agency', label: 'By agency offering', note: 'Accepted out of offers answered', rows: acceptanceRows([], tally((r) => r.agency, all, accepted)) },
      { key: 'ethnicity', label: 'By ethnic group of the child', note: 'Accepted out of offers answered', rows: acceptanceRows([...ETHNICITY_GROUPS], tally((r) => (r.ethnicity ? ethnicityGroup(r.ethnicity) : null), all, accepted)) },
      { key: 'barrier', label: 'Barriers, where help was not accepted', note: 'Offers giving this barrier out of offers declined or not taken up', rows: acceptanceRows(Object.keys(OFFER_BARRIERS), barrierTotals).map((x) => ({ ...x, category: (OFFER_BARRIERS[x.category as keyof typeof OFFER_BARRIERS] ?? x.category).split(':')[0]! })) },
    ],
  };
}
