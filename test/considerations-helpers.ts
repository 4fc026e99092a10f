import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/database.js';
import type { Actor } from '../src/server/actor.js';
import { appendEntry } from '../src/server/modules/chronology/commands/append-entry.js';
import { reviseRule } from '../src/server/modules/considerations/commands/revise-rule.js';
import { drainOutbox } from './drain-outbox.js';
import { makeUser } from './helpers.js';

/** A borough name no other test uses, so front-door routing is isolated on a shared database. */
export function uniqueBorough(): string {
  return `Testvale ${randomUUID().slice(0, 8)}`;
}

/** Adds (or revises) a rule as an administrator of the organisation's home partnership; returns its current version id. */
export async function makeRule(db: Kysely<Database>, organisationId: string, opts: { code?: string; name?: string; rationale?: string; definition: unknown }) {
  const admin = await makeUser(db, { organisationId, roles: ['partnership_admin'] });
  // The rule is the partnership's of the organisation's home borough (the administrator's partnership).
  const { partnership_id: partnershipId } = await db.selectFrom('app_user').select('partnership_id').where('id', '=', admin.id).executeTakeFirstOrThrow();
  const actor: Actor & { kind: 'user' } = { kind: 'user', userId: admin.id, name: admin.name, email: admin.email, organisationId, organisationName: 'Test', teamId: null, roles: ['partnership_admin'], partnershipId };
  const code = opts.code ?? `test_rule_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
  const { ruleId, version } = await reviseRule(db, actor, {
    code, name: opts.name ?? `Test rule ${code}`, rationale: opts.rationale ?? 'A synthetic rationale for a test rule', definition: JSON.stringify(opts.definition),
    changeReason: 'Test', active: true,
  }, { route: 'TEST', requestId: 'test' });
  const v = await db.selectFrom('rule_version').select('id').where('rule_id', '=', ruleId).where('version', '=', version).executeTakeFirstOrThrow();
  return { code, ruleId, ruleVersionId: v.id, version, actor };
}

/**
 * Records an event through the real command, as a user of an organisation, then drains the outbox
 * so the rules have run on it (as the server's worker does shortly after the commit).
 */
export async function recordAs(db: Kysely<Database>, user: { id: string; organisationId: string }, personId: string, type: string, occurredAt: Date) {
  const actor: Actor = { kind: 'user', userId: user.id, name: 'Test', email: 't@test', organisationId: user.organisationId, organisationName: 'Test', teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000' };
  const entry = await db.transaction().execute((trx) => appendEntry(trx, actor, {
    personId, eventTypeCode: type, occurredAt, occurredPrecision: 'date', summary: `A synthetic ${type.replaceAll('_', ' ')}`, sourceSystem: 'TestSystem',
  }, { via: 'form', route: 'TEST', requestId: 'test' }));
  await drainOutbox(db);
  return entry;
}
