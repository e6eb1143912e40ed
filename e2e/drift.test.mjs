// Drift alerts (ADT-1), in Debian's Chromium: the demo tenant is measured (the baseline), an
// admin enrols a second factor and another admin joins without one; `kluis compliance drift`
// (what the hourly job does) records each flip, and the report's changes page lists them, newest
// first with their time and why, reached from the report. In Dutch and French, on a desktop and a
// phone: axe clean, no sideways scroll. Screenshots go to e2e/artifacts/drift-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/drift.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, deskContext, enrolTOTP, expectNoAxeViolations, inBothLanguages, invite, login, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-drift-' });

function drift() {
  const res = s.kluis.cliGranted(['compliance', 'drift', '--tenant', 'demo']);
  assert.equal(res.status, 0, `kluis compliance drift: ${res.stdout}${res.stderr}`);
  return res.stdout;
}

test('drift: flips of the measures are listed under the report with their time', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  const other = await s.browser.newContext(deskContext);
  try {
    // The first measurement (or the job's at start): nobody is mailed.
    drift();
    assert.match(drift(), /no clause changed/);

    // An admin with a second factor: two-step verification is met.
    const admin = { email: 'e2e-drift-admin@demo.example', name: 'Drift Beheerder', password: 'schelde belfort lakenhal' };
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, admin.email, admin.name, 'nl', 'admin'), admin.password);
    await login(page, s.baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'drift-admin-mfa');
    assert.match(drift(), /USR-2 not_met -> met/);

    // A second admin without one: partly met.
    const fr = await other.newPage();
    await activate(fr, invite(s.kluis, 'e2e-drift-fr@demo.example', 'Admin Sans Facteur', 'fr', 'admin'), 'meuse citadelle beffroi');
    const out = drift();
    assert.match(out, /USR-2 met -> partly/);
    assert.match(out, /mailed to \d+ addresses/);

    // From the report to its changes.
    let response = await page.goto(`${s.baseURL}/demo/admin/compliance`);
    assert.equal(response.status(), 200);
    response = await submit(page, 'main a[href$="/admin/compliance/changes"]');
    assert.equal(response.status(), 200);
    const first = page.locator('.drift-list > li').first();
    assert.match(await first.locator('h3').textContent(), /USR-2\s+Tweestapsverificatie/);
    assert.match(await first.textContent(), /Was voldaan, nu gedeeltelijk voldaan\./);
    assert.match(await first.textContent(), /1 van de 2 beheerders/);
    assert.match(await first.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const items = await page.locator('.drift-list > li h3').allTextContents();
    assert.ok(items.filter((t) => t.includes('USR-2')).length >= 2, `both flips of USR-2 listed: ${items}`);
    assert.doesNotMatch(await page.locator('main').textContent(), /compliance\.|drift\./, 'a raw key on the page');
    await expectNoAxeViolations(page, 'the changes page');

    await inBothLanguages(page, s.baseURL, '/demo/admin/compliance/changes', 'drift-changes');
  } finally {
    await ctx.close();
    await other.close();
  }
});
