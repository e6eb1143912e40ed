// Browser test of the national register connection page (Beheer › Koppelingen ›
// Rijksregister (MAGDA); LOC-2), in Debian's Chromium: the demo's connection points at the
// local MAGDA simulator that `kluis serve --demo` starts; an admin sees its certificate,
// endpoint, consumer and capacity, a form that is refused field by field (with the summary
// linking to the fields), and the page in French; on a desktop and a phone, axe clean,
// without sideways scroll. Screenshots: e2e/artifacts/magda-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, invite, login, shot, submit, suite, totp } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-magda-' });

async function shots(page, name) {
  await expectNoAxeViolations(page, `${name} on a desktop`, { keepCSP: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoAxeViolations(page, `${name} on a phone`, { keepCSP: true });
  await shot(page, name);
}

test('magda: an admin sees the demo connection to the simulator; a bad form is refused field by field (nl, fr, desktop, phone)', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE' });
  const page = await ctx.newPage();
  try {
    const password = 'rijksregister koppeling proef';
    let response = await page.goto(invite(s.kluis, 'e2e-magda@demo.example', 'Magda Admin', 'nl', 'admin'));
    assert.equal(response.status(), 200);
    await page.fill('#password', password);
    await page.fill('#password_confirm', password);
    await submit(page, 'button[type=submit]');
    await login(page, s.baseURL, 'e2e-magda@demo.example', password);
    const secret = (await page.locator('#secret').textContent()).replace(/\s+/g, '');
    await page.fill('#code', totp(secret));
    await submit(page, 'form:has(#code) button[type=submit]');

    response = await page.goto(`${s.baseURL}/demo/admin/magda`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Koppeling met het Rijksregister (MAGDA)');
    const facts = await page.locator('dl.facts').textContent();
    assert.match(facts, /https:\/\/127\.0\.0\.1:\d+\/GeefPersoonDienst/);
    assert.match(facts, /0207\.451\.227/);
    assert.match(facts, /CN=Kluis demo demo/);
    assert.match(facts, /Kluis MAGDA simulator test CA/);
    assert.equal(await page.locator('#client_key').inputValue(), '', 'the private key is never shown');
    assert.ok(await page.locator('nav a[href="/demo/admin/magda"]').count() > 0, 'in the staff navigation');
    await shots(page, 'magda-admin-nl');

    await page.fill('#endpoint', 'http://magda.example/GeefPersoon');
    await page.fill('#consumer', '0207.451.228');
    await page.fill('#timeout', '600');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary a[href="#endpoint"]').textContent(), 'Het adres van de dienst moet een volledig https-adres zijn.');
    assert.equal(await page.locator('.error-summary a[href="#consumer"]').count(), 1);
    assert.equal(await page.locator('.error-summary a[href="#timeout"]').count(), 1);
    assert.equal(await page.locator('#endpoint').getAttribute('aria-invalid'), 'true');
    await shots(page, 'magda-admin-error-nl');

    response = await page.goto(`${s.baseURL}/demo/admin/magda?lang=fr`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Connexion au Registre national (MAGDA)');
    await shots(page, 'magda-admin-fr');
  } finally {
    await ctx.close();
  }
});
