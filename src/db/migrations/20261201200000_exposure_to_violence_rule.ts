import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const RULE = {
  code: 'exposure_to_violence',
  name: 'Critical moment: exposure to serious violence through the network',
  rationale:
    'Young people one or two steps in their network from a victim of a shooting are themselves at far higher risk of being shot, and the risk falls ' +
    'with each step (Papachristos and Wildeman 2014; Papachristos, Braga and Hureau 2012); most shootings follow an earlier one in the same network, ' +
    'by about 125 days on average (Green, Horel and Papachristos 2017). A friend, sibling or associate of a child, or their friend, harmed in a ' +
    'homicide, stabbing, shooting or serious assault in the last 125 days is a prompt to ask how the child is and whether they are safe.',
  definition: { kind: 'network_exposure', incidentKinds: ['homicide', 'stabbing', 'shooting', 'serious_assault'], steps: 2, withinDays: 125 },
};

/** A default rule over the network, exposure to serious violence, for new partnerships and a copy for every partnership now. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    WITH created AS (INSERT INTO rule (code) VALUES (${RULE.code}) RETURNING id)
    INSERT INTO rule_version (rule_id, version, name, rationale, definition, change_reason)
    SELECT id, 1, ${RULE.name}, ${RULE.rationale}, ${JSON.stringify(RULE.definition)}::jsonb, 'Starter rule' FROM created`.execute(db);
  // The copy adds only rules a partnership lacks: its own rules and their versions are left as they are.
  await sql`SELECT partnership_copy_default_rules(id) FROM partnership ORDER BY created_at, id`.execute(db);
}

/** Turns the rule off everywhere: rule versions and considerations are append-only, and stay as the record of what was asked. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`UPDATE rule SET active = false WHERE code = ${RULE.code}`.execute(db);
}
