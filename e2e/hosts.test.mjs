// Browser test of a tenant's own host names (issue 15, item 2), in Debian's Chromium: an
// admin opens Beheer › Domeinnamen (nl and fr, desktop and phone, axe clean), gets a field
// error for a wildcard (nothing saved), adds www.demo.localhost; a citizen then reaches the
// demo's form on that host without the /demo prefix (a *.localhost name, which Chromium resolves to loopback),
// sends it and sees the receipt there. Screenshots: e2e/artifacts/hosts-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, deskContext, expectNoAxeViolations, inBothLanguages, invite, login, shot, submit, suite } from './harness.mjs';

// A *.localhost name: Chromium resolves it to loopback and treats it as a secure context over
// plain HTTP, as the real host is over HTTPS (ACME); so it sends Sec-Fetch-Site, which the
// CSRF check needs, since pages send Referrer-Policy no-referrer and so Origin: null.
const HOST = 'www.demo.localhost';
const s = suite({ tmpPrefix: 'kluis-e2e-hosts-' });

test('hosts: an admin adds the tenant host name, a citizen sends a form on it without the prefix', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  try {
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, 'e2e-hosts@demo.example', 'Domein Beheerder', 'nl', 'admin'), 'kastanje raadhuis lenteregen');
    await login(page, s.baseURL, 'e2e-hosts@demo.example', 'kastanje raadhuis lenteregen');
    await enrolTOTP(page, 'hosts-admin-mfa');

    await inBothLanguages(page, s.baseURL, '/demo/admin/hosts', 'hosts-empty');

    // A wildcard: 422, the summary links to the field, nothing saved.
    await page.fill('#host', '*.demo.example');
    let response = await submit(page, 'main form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('#host-error').textContent(), /jokerteken/);
    assert.equal(await page.locator('.error-summary a[href="#host"]').count(), 1);
    await expectNoAxeViolations(page, 'hosts error');
    await shot(page, 'hosts-error-nl');

    await page.fill('#host', HOST.toUpperCase());
    response = await submit(page, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('table').textContent(), /www\.demo\.localhost/);
    await inBothLanguages(page, s.baseURL, '/demo/admin/hosts', 'hosts-list');

    // The citizen on the tenant's host: no /demo prefix, the form sent, the receipt shown.
    const port = new URL(s.baseURL).port;
    const citizen = await ctx.newPage();
    response = await citizen.goto(`http://${HOST}:${port}/vraag`);
    assert.equal(response.status(), 200);
    await citizen.fill('#name', 'Domein Burger');
    await citizen.fill('#email', 'domein.burger@example.be');
    await citizen.check('input[name=topic][value=waste]');
    await citizen.fill('#message', 'Wanneer is het containerpark open?');
    response = await submit(citizen, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.equal(new URL(citizen.url()).host, `${HOST}:${port}`);
    assert.match((await citizen.locator('.reference-number').textContent()).trim(), /^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    await shot(citizen, 'hosts-receipt-on-host');
  } finally {
    await ctx.close();
  }
});
