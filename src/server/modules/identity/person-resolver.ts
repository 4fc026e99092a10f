/**
 * Identity resolution for many agency records in one transaction (an import chunk), deciding each
 * exactly as if the records were resolved one at a time, in order, each seeing every write before it.
 *
 * The reads are made once for the whole set: the agencies' source records already held, and the
 * candidates of every record (findCandidates, one statement). The writes (people, their names,
 * identifiers and addresses, the match index, source records and their versions, review items) are
 * collected and written a few statements at a time. A record whose prefetched candidates an earlier
 * record of the set may have changed (it wrote a blocking key the record has, or changed a candidate)
 * has its candidates read again after the pending writes are flushed, so it sees what one-at-a-time
 * resolution would have seen; the same before asking a caller's mayLink (which reads the database).
 * A person whose details are added twice is kept in memory as they will be held once written
 * (heldAfter, the same rows MATCH_COLUMNS and loadPeopleHeld read), so the second needs no write and read.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql, type Insertable, type Kysely } from 'kysely';
import { insertRows } from '../../../db/insert-rows.js';
import type { Database, IdentityReviewItemTable, PersonTable, SourceRecordTable, SourceRecordVersionTable } from '../../../db/database.js';
import { bestCandidates, blockingKeys } from '../../../domain/matching/blocking.js';
import type { ModelParameters } from '../../../domain/matching/model.js';
import { prepareRecord, type PreparedRecord } from '../../../domain/matching/prepare.js';
import type { MatchExplanation, MatchRecord } from '../../../domain/matching/types.js';
import { findCandidates, findCandidatesAndHolders, type Candidate } from './identity.candidates.js';
import { decide, type Choice } from './identity.decide.js';
import { activeModel } from './identity.model-store.js';
import { indexKeysOf } from './match-index.js';
import { heldAfter, heldSourceOf, loadPeopleHeld, newPersonHeld, newPersonRow, organisationKind, planDetails, writeDetailHistory, writePeople, type DetailsPlan, type PersonAsHeld } from './identity.person-writer.js';
import { contentHash, recordFromIncoming } from './incoming.js';
import type { IncomingPerson, Resolution, ResolveOptions } from './resolve-person.js';

/** An agency's source record as held: its person, how it was linked, and its latest content. */
interface HeldSource {
  id: string;
  personId: string;
  matchWeight: number | null;
  explanation: MatchExplanation | null;
  latestHash: string | null;
}

/** Candidates read for a record before the set was resolved, with the keys they were found by. */
interface Prefetched {
  hash: string;
  /** The record as the matcher reads it, prepared once for every use (keys, candidates, decisions). */
  record: MatchRecord;
  prepared: PreparedRecord;
  keys: string[];
  candidates: Candidate[];
  /** The decision on those candidates, made when the set was opened (used while nothing it read has changed). */
  choice?: Choice;
}

// When each version is received: strictly increasing within the process, so the newest of two records
// resolved in one transaction (or one after the other) is the one resolved last, however they are batched.
let lastStamp = 0;
function receivedStamp(): Date {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return new Date(lastStamp);
}

const keyOf = (p: Pick<IncomingPerson, 'organisationId' | 'sourceSystem' | 'sourceRecordId'>) => `${p.organisationId}\u0000${p.sourceSystem}\u0000${p.sourceRecordId}`;

/** Resolves agency records to people inside the caller's transaction; call flush() before the transaction ends. */
export class PersonResolver {
  #model: ModelParameters | null = null;
  readonly #sources = new Map<string, HeldSource>();
  /** Source keys whose database state has been read (held or not). */
  readonly #looked = new Set<string>();
  readonly #prefetched = new Map<string, Prefetched>();
  /** The holders of each key of the prefetched records when they were read (up to one more than the key's limit). */
  #holders = new Map<string, string[]>();
  // Since the prefetch: who wrote each blocking key, and each changed person's match profile as now written.
  readonly #writers = new Map<string, Set<string>>();
  readonly #profiles = new Map<string, { record: MatchRecord; prepared: PreparedRecord }>();
  /**
   * People as held, read together (one statement) when the set was opened (those its records are likely to be linked to):
   * the person as the matcher reads them and with every agency's record. A person a record adds details to
   * is kept as they will be held once the details are written (heldAfter), so the next record adding to
   * them needs no write and read; when only the database can say, they leave the map and are read again.
   */
  readonly #asHeld = new Map<string, PersonAsHeld>();
  readonly #organisationKinds = new Map<string, string>();
  // Written at the next flush.
  readonly #pendingPeople = new Set<string>();
  #people: Insertable<PersonTable>[] = [];
  #plans: DetailsPlan[] = [];
  #sourceRows: Insertable<SourceRecordTable>[] = [];
  #versionRows: Insertable<SourceRecordVersionTable>[] = [];
  #reviewRows: Insertable<IdentityReviewItemTable>[] = [];

  private constructor(private readonly trx: Kysely<Database>) {}

  /**
   * A resolver for these records (the order they will be resolved in): reads the source records they
   * name and the candidates of those not yet held, a statement or two for all of them.
   */
  static async open(trx: Kysely<Database>, incoming: IncomingPerson[], model?: ModelParameters): Promise<PersonResolver> {
    const r = new PersonResolver(trx);
    // The caller's model when it has one (an import reads it once a batch); else the active model, read when first needed.
    if (model) r.#model = model;
    await r.#readSources(incoming);
    const first = new Map<string, IncomingPerson>();
    for (const p of incoming) if (!r.#sources.has(keyOf(p)) && !first.has(keyOf(p))) first.set(keyOf(p), p);
    if (first.size) {
      const people = [...first.values()];
      const records = people.map(recordFromIncoming);
      const prepared = records.map(prepareRecord);
      // The candidates and the holders of every key of these records (one rule, keyHoldersSql: a key over its limit finds no one).
      const { candidates: found, holders } = await findCandidatesAndHolders(trx, records, prepared);
      people.forEach((p, i) => r.#prefetched.set(keyOf(p), {
        hash: contentHash(p), record: records[i]!, prepared: prepared[i]!, keys: blockingKeys(prepared[i]!), candidates: found[i]!,
      }));
      r.#holders = holders;
    }
    // The people the records are likely to add details to, read in one statement rather than two for each:
    // a held record's person when its content changed, and each new record's best candidate when, as read
    // now, it would be linked (the decision is kept, and used if nothing it read changes before its turn).
    const likely = new Set<string>();
    for (const p of incoming) {
      const held = r.#sources.get(keyOf(p));
      if (held && held.latestHash !== contentHash(p)) likely.add(held.personId);
    }
    if (r.#prefetched.size) {
      const model = (r.#model ??= await activeModel(trx));
      // Matching is work on this thread: other requests get a turn every 20 ms of it.
      let since = performance.now();
      // A record sharing a key with an earlier record of the set will see that record's writes: it is decided in its turn only.
      const earlierKeys = new Set<string>();
      for (const p of incoming) {
        const pre = r.#prefetched.get(keyOf(p));
        const keys = pre?.keys ?? blockingKeys(prepareRecord(recordFromIncoming(p)));
        const shares = keys.some((k) => earlierKeys.has(k));
        for (const k of keys) earlierKeys.add(k);
        if (!pre || pre.choice || !pre.candidates.length) continue;
        if (performance.now() - since >= 20) {
          await nextTurn();
          since = performance.now();
        }
        const choice = decide(model, pre.record, pre.candidates, pre.prepared);
        if (choice.band === 'link' && choice.best) likely.add(choice.best.personId);
        // A record sharing a key with an earlier one is decided again in its turn: its person as read now is only a likely one.
        if (!shares) pre.choice = choice;
      }
    }
    await r.#readPeople([...likely]);
    return r;
  }

  /** Reads these people as held (the matcher's view and every agency's record of them), one statement for all. */
  async #readPeople(ids: string[]): Promise<void> {
    if (!ids.length) return;
    for (const [id, person] of await loadPeopleHeld(this.trx, ids)) this.#asHeld.set(id, person);
  }

  async #organisationKind(organisationId: string): Promise<string> {
    let kind = this.#organisationKinds.get(organisationId);
    if (kind === undefined) {
      kind = await organisationKind(this.trx, organisationId);
      this.#organisationKinds.set(organisationId, kind);
    }
    return kind;
  }

  async #readSources(incoming: IncomingPerson[]): Promise<void> {
    const wanted = new Map<string, IncomingPerson>();
    for (const p of incoming) if (!this.#looked.has(keyOf(p))) wanted.set(keyOf(p), p);
    if (!wanted.size) return;
    const list = [...wanted.values()];
    const rows = (await sql<{ id: string; organisation_id: string; source_system: string; source_record_id: string; person_id: string; match_weight: number | null; explanation: MatchExplanation | null; latest_hash: string | null }>`
      SELECT s.id, s.organisation_id, s.source_system, s.source_record_id, s.person_id, s.match_weight, s.explanation,
        (SELECT v.content_hash FROM source_record_version v WHERE v.source_record_ref = s.id ORDER BY v.received_at DESC LIMIT 1) AS latest_hash
      FROM unnest(${list.map((p) => p.organisationId)}::uuid[], ${list.map((p) => p.sourceSystem)}::text[], ${list.map((p) => p.sourceRecordId)}::text[]) AS w(org, sys, rid)
      JOIN source_record s ON s.organisation_id = w.org AND s.source_system = w.sys AND s.source_record_id = w.rid`.execute(this.trx)).rows;
    for (const k of wanted.keys()) this.#looked.add(k);
    for (const row of rows) {
      this.#sources.set(keyOf({ organisationId: row.organisation_id, sourceSystem: row.source_system, sourceRecordId: row.source_record_id }), {
        id: row.id, personId: row.person_id, matchWeight: row.match_weight, explanation: row.explanation, latestHash: row.latest_hash,
      });
    }
  }

  /** Finds or creates the person for an agency's record, as resolvePerson does. */
  async resolve(incoming: IncomingPerson, opts: ResolveOptions = {}): Promise<Resolution> {
    const hash = contentHash(incoming);
    const key = keyOf(incoming);
    if (!this.#looked.has(key)) await this.#readSources([incoming]);
    const held = this.#sources.get(key);
    if (held) {
      // Same record, changed content: keep the new version beside the old one; the agency's own
      // record id still names the same person, so the link stands.
      if (held.latestHash !== hash) {
        const received = receivedStamp();
        await this.#addDetails(held.personId, incoming, false, held.id, received);
        this.#versionRows.push({ source_record_ref: held.id, content_hash: hash, person_data: JSON.stringify(incoming), received_at: received });
        held.latestHash = hash;
      }
      return { personId: held.personId, outcome: 'existing_source_record', matchWeight: held.matchWeight, reviewItemId: null, explanation: held.explanation };
    }

    this.#model ??= await activeModel(this.trx);
    const model = this.#model;
    // The record as prepared when the set was opened, when it is the same content.
    const pre = this.#prefetched.get(key);
    const record = pre?.hash === hash ? pre.record : recordFromIncoming(incoming);
    const prepared = pre?.hash === hash ? pre.prepared : prepareRecord(record);
    const { candidates, unchanged } = await this.#candidates(key, hash, record, prepared);
    // Decided when the set was opened, on exactly these candidates as they are now: the same decision.
    const early = unchanged ? pre?.choice : undefined;
    const decided = early ?? decide(model, record, candidates, prepared);
    let refused = false;
    if (decided.band === 'link' && decided.best && opts.mayLink) {
      // The caller's check reads the database: it must see every earlier record's writes.
      await this.flush();
      refused = !(await opts.mayLink(decided.best.personId));
    }
    const decision = refused ? { ...decided, band: 'review' as const } : decided;

    let personId: string;
    const sourceId = randomUUID();
    const received = receivedStamp();
    if (decision.band === 'link' && decision.best) {
      personId = decision.best.personId;
      await this.#addDetails(personId, incoming, false, sourceId, received, prepared);
    } else {
      personId = randomUUID();
      this.#people.push(newPersonRow(personId, incoming));
      this.#pendingPeople.add(personId);
      await this.#addDetails(personId, incoming, true, sourceId, received, prepared);
    }
    const outcome = decision.band === 'link' ? 'linked' : decision.band === 'review' ? 'review' : 'new';
    const explanation = decision.best?.explanation ?? null;
    this.#sourceRows.push({
      id: sourceId, organisation_id: incoming.organisationId, source_system: incoming.sourceSystem, source_record_id: incoming.sourceRecordId,
      person_id: personId, outcome, match_weight: decision.best?.explanation.total ?? null,
      explanation: explanation ? JSON.stringify(explanation) : null, model_version: model.version,
    });
    this.#versionRows.push({ source_record_ref: sourceId, content_hash: hash, person_data: JSON.stringify(incoming), received_at: received });
    this.#sources.set(key, { id: sourceId, personId, matchWeight: decision.best?.explanation.total ?? null, explanation, latestHash: hash });

    let reviewItemId: string | null = null;
    if (outcome === 'review' && decision.best && explanation) {
      reviewItemId = randomUUID();
      this.#reviewRows.push({
        id: reviewItemId, source_record_ref: sourceId, person_id: personId, candidate_person_id: decision.best.personId,
        match_weight: explanation.total, explanation: JSON.stringify(explanation), model_version: model.version,
      });
    }
    return { personId, outcome, matchWeight: explanation?.total ?? null, reviewItemId, explanation };
  }

  /**
   * The record's candidates as the database holds them now: those read before, with what earlier records
   * of the set wrote. A key's holders are those when read and the people since given it; a key held by
   * more than its limit finds no one; a person an earlier record changed is compared as that record left
   * them. A record that was not read before has its candidates read once everything pending is written.
   */
  async #candidates(key: string, hash: string, record: MatchRecord, prepared: PreparedRecord): Promise<{ candidates: Candidate[]; unchanged: boolean }> {
    const pre = this.#prefetched.get(key);
    if (!pre || pre.hash !== hash) {
      await this.flush();
      return { candidates: (await findCandidates(this.trx, [record], [prepared]))[0] ?? [], unchanged: false };
    }
    const profileOf = (c: Candidate): Candidate => {
      const now = this.#profiles.get(c.personId);
      return now ? { personId: c.personId, ...now } : c;
    };
    if (!pre.keys.some((k) => this.#writers.has(k))) {
      // Unchanged: the same people, none of them changed since they were read.
      return { candidates: pre.candidates.map(profileOf), unchanged: !pre.candidates.some((c) => this.#profiles.has(c.personId)) };
    }
    // The holders of each of its keys now (those read, with the people given the key since), chosen from by
    // the one rule (bestCandidates). A person chosen now who was not read with the record's candidates
    // (another's key went over its limit, say) is read with the rest after the pending writes.
    const read = new Map(pre.candidates.map((c) => [c.personId, c]));
    const chosen = bestCandidates(pre.keys, (k) => {
      const writers = this.#writers.get(k);
      const held = this.#holders.get(k) ?? [];
      return writers ? [...new Set([...held, ...writers])] : held;
    });
    const found: Candidate[] = [];
    for (const id of chosen) {
      const now = this.#profiles.get(id);
      const c = now ? { personId: id, ...now } : read.get(id);
      if (!c) {
        await this.flush();
        return { candidates: (await findCandidates(this.trx, [record], [prepared]))[0] ?? [], unchanged: false };
      }
      found.push(c);
    }
    return { candidates: found, unchanged: false };
  }

  /**
   * Plans adding an agency's details to a person, from the person as held now: a new person as
   * created, another as held (kept in memory since it was read or last changed, or read once earlier
   * changes to them are written), with every agency's record of them (the shown details are chosen
   * again). `prepared` is the incoming record as the matcher prepared it, when it has been.
   */
  async #addDetails(personId: string, incoming: IncomingPerson, isNew: boolean, sourceRecordRef: string, received: Date, prepared?: PreparedRecord): Promise<void> {
    const kind = await this.#organisationKind(incoming.organisationId);
    const receivedAt = received.toISOString();
    let before = isNew ? newPersonHeld(incoming) : null;
    let plan: DetailsPlan;
    if (before) plan = planDetails(personId, before.match, incoming);
    else {
      if (!this.#asHeld.has(personId)) {
        if (this.#pendingPeople.has(personId)) await this.flush();
        await this.#readPeople([personId]);
      }
      before = this.#asHeld.get(personId) ?? null;
      if (!before) return;
      plan = planDetails(personId, before.match, incoming, isNew ? undefined : { held: { ...before.held, incomingKind: kind }, sourceRecordRef, receivedAt });
    }
    // The person as held once this plan is written, for the next record that adds to them.
    const after = heldAfter(personId, before, plan, heldSourceOf(sourceRecordRef, incoming.organisationId, kind, receivedAt, incoming));
    if (after) this.#asHeld.set(personId, after);
    else this.#asHeld.delete(personId);
    this.#plans.push(plan);
    this.#pendingPeople.add(personId);
    // The profile as the database will hand it back (JSON), for records that compare with this person later.
    const profile = JSON.parse(JSON.stringify(plan.index.record)) as MatchRecord;
    const asProfile = prepareRecord(profile);
    this.#profiles.set(personId, { record: profile, prepared: asProfile });
    // The keys the person is indexed under, computed once for the index and for the records after this one.
    plan.index.keys = indexKeysOf(asProfile, prepared ?? prepareRecord(plan.index.alsoFrom));
    for (const k of plan.index.keys) {
      const writers = this.#writers.get(k);
      if (writers) writers.add(personId);
      else this.#writers.set(k, new Set([personId]));
    }
  }

  /** Writes everything resolved so far (people first, then source records, versions and review items). */
  async flush(): Promise<void> {
    if (!this.#people.length && !this.#plans.length && !this.#sourceRows.length && !this.#versionRows.length) return;
    const [people, plans, sources, versions, reviews] = [this.#people, this.#plans, this.#sourceRows, this.#versionRows, this.#reviewRows];
    this.#people = []; this.#plans = []; this.#sourceRows = []; this.#versionRows = []; this.#reviewRows = [];
    this.#pendingPeople.clear();
    await writePeople(this.trx, people, plans);
    await insertRows(this.trx, 'source_record', sources);
    await insertRows(this.trx, 'source_record_version', versions);
    await insertRows(this.trx, 'identity_review_item', reviews);
    await writeDetailHistory(this.trx, plans);
  }
}
