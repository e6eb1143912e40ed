// Browser test of a tenant's primary host name (issue 15, item 2), in Debian's Chromium: an
// admin adds two host names on Beheer › Domeinnamen, marks one primary (nl and fr, desktop and
// phone, axe clean); a name that is not the tenant's is refused with a field error linked from
// the summary and nothing changes; back to the platform's address. Screenshots:
// e2e/artifacts/hostmail-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, deskContext, expectNoAxeViolations, inBothLanguages, invite, login, shot, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-hostmail-' });

test('hostmail: an admin marks one host primary, a foreign name is refused', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  try {
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, 'e2e-hostmail@demo.example', 'Adres Beheerder', 'nl', 'admin'), 'kastanje raadhuis zomerregen');
    await login(page, s.baseURL, 'e2e-hostmail@demo.example', 'kastanje raadhuis zomerregen');
    await enrolTOTP(page, 'hostmail-admin-mfa');

    await page.goto(`${s.baseURL}/demo/admin/hosts`);
    for (const host of ['e-loket.demo.localhost', 'www.demo.localhost']) {
      await page.fill('#host', host);
      const response = await submit(page, 'form[action$="/admin/hosts"] button[type=submit]');
      assert.equal(response.status(), 200);
    }

    let response = await submit(page, 'form[action$="/admin/hosts/primary"]:has(input[value="e-loket.demo.localhost"]) button');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('tr', { hasText: 'e-loket.demo.localhost' }).textContent(), /Hoofdadres voor links/);
    assert.equal(await page.locator('td strong').count(), 1);
    await inBothLanguages(page, s.baseURL, '/demo/admin/hosts', 'hostmail-primary');

    // A name that is not the tenant's (a tampered form): 422, summary links to the field, nothing changed.
    await page.goto(`${s.baseURL}/demo/admin/hosts`);
    await page.locator('form[action$="/admin/hosts/primary"] input[name=host]').first().evaluate((el) => { el.value = 'www.elders.be'; });
    response = await submit(page, 'form[action$="/admin/hosts/primary"]:has(input[value="www.elders.be"]) button');
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary a[href="#primary"]').count(), 1);
    assert.match(await page.locator('#primary .error-message').textContent(), /domeinnamen van uw organisatie/);
    assert.match(await page.locator('tr', { hasText: 'e-loket.demo.localhost' }).textContent(), /Hoofdadres voor links/);
    await expectNoAxeViolations(page, 'hostmail error');
    await shot(page, 'hostmail-error-nl');

    // Back to the platform's address.
    response = await submit(page, '#primary form button');
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('td strong').count(), 0);
  } finally {
    await ctx.close();
  }
});
