import { describe, expect, it } from 'vitest';
import { makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

/** The GOV.UK crown, the GOV.UK header and Crown copyright are for services on GOV.UK; Jigsaw is a partnership's own service. */
const CROWN = /govuk-header__logo|govuk-logo|govuk-footer__crown|govuk-footer__copyright-logo|Crown copyright|govuk-icon-mask|images\/favicon/;

describe(`the service's own pages on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('serves the accessibility statement and the privacy notice without sign-in, linked from the footer of every page, with no crown', async () => {
    for (const [url, heading] of [['/accessibility', 'Accessibility statement for Jigsaw'], ['/privacy', 'Privacy notice'], ['/sign-in', 'Sign in']] as const) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain(heading);
      expect(res.body, url).toContain('href="/accessibility"');
      expect(res.body, url).toContain('href="/privacy"');
      expect(res.body, url).not.toMatch(CROWN);
    }
  });

  it('shows signed-in pages, and the page a signed-out person is refused, without the crown', async () => {
    const org = await makeOrg(t.db, 'childrens_social_care');
    const user = await makeUser(t.db, { organisationId: org.id });
    const { cookie } = await signIn(t.app, user.email);
    for (const url of ['/', '/sections', '/people', '/no-such-page']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { cookie } });
      expect(res.body, url).toContain('href="/accessibility"');
      expect(res.body, url).not.toMatch(CROWN);
    }
    const refused = await t.app.inject({ method: 'GET', url: '/people' });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).not.toMatch(CROWN);
  });
});
