import { describe, expect, it } from 'vitest';
import { involve, makeEvent, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../test/helpers.js';
import { neutraliseDisplayText } from './views.js';

const CONTROLS = /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

describe('display text', () => {
  it('removes bidi embeddings, overrides, isolates and marks, and zero-width characters; keeps joiners and ordinary text', () => {
    expect(neutraliseDisplayText('Seen at \u202Ekrap eht\u202C by staff')).toBe('Seen at krap eht by staff');
    expect(neutraliseDisplayText('a\u200Bb\u2066c\u2069d\u200Fe\uFEFFf\u2060g')).toBe('abcdefg');
    expect(neutraliseDisplayText('Zoë, محمد, 👩\u200D👧')).toBe('Zoë, محمد, 👩\u200D👧');
  });
});

describe(`pages on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('show an entry whose summary and name carry U+202E and zero-width characters neutralised: the text reads in stored order', async () => {
    const org = await makeOrg(t.db);
    const worker = await makeUser(t.db, { organisationId: org.id });
    const child = await makePerson(t.db, { given: 'Mi\u200Bla', family: 'Ha\u202Ekram\u202C' });
    await involve(t.db, { personId: child.id, organisationId: org.id, userId: worker.id });
    // Stored as "Injuries not \u202Edetnuocca\u202C for": displayed, the override would read "… accounted for".
    await makeEvent(t.db, { personId: child.id, organisationId: org.id, summary: 'Injuries not \u202Edetnuocca\u202C for by \u2066the\u2069 carer\u200B' });
    const me = await signIn(t.app, worker.email);
    const page = await t.app.inject({ method: 'GET', url: `/people/${child.id}`, headers: { cookie: me.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Injuries not detnuocca for by the carer');
    expect(page.body).toContain('Hakram');
    expect(page.body).not.toMatch(CONTROLS);
    // What is stored is unchanged.
    const stored = await t.db.selectFrom('event_person as ep').innerJoin('event as e', 'e.id', 'ep.event_id').select('e.summary').where('ep.person_id', '=', child.id).executeTakeFirstOrThrow();
    expect(stored.summary).toContain('\u202E');
  });
});
