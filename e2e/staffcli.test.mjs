// Supplier accountability in Chromium (AUD-3, AUD-4, AUD-5): the supplier adds an operator with
// `kluis operator add --department` and changes the department; the demo's admin sees the
// operator on Beheer › Medewerkers leverancier and each change in the log. `kluis user list`
// without the tenant's grant is refused and prints nothing; under the demo operator's grant
// (demo-operator.env, written by `serve --demo`) it runs and the log says so. The log's
// "Leverancier en platform" page shows the server's start. Screenshots nl and fr, desktop and
// phone, axe clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, expectNoAxeViolations, invite, login, shot, suite } from './harness.mjs';

const s = suite();

test('staff list, its changes in the log, and CLI reads only under a grant', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const op = 'e2e-lotte@leverancier.example';
    let res = s.kluis.cli(['operator', 'add', '--email', op, '--name', 'Lotte Leverancier', '--department', 'Hosting']);
    assert.equal(res.status, 0, `kluis operator add: ${res.stderr}`);

    const page = await ctx.newPage();
    const admin = { email: 'e2e-staffcli-admin@demo.example', password: 'klokkentoren beiaard kade' };
    await activate(page, invite(s.kluis, admin.email, 'Staffcli Admin', 'nl', 'admin'), admin.password);
    await login(page, s.baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'staffcli-admin-mfa');

    let response = await page.goto(`${s.baseURL}/demo/admin/operators/staff`);
    assert.equal(response.status(), 200);
    let row = page.locator('#operator-staff tbody tr', { hasText: 'Lotte Leverancier' });
    assert.match(await row.textContent(), /Hosting[\s\S]*nog niet ingesteld[\s\S]*uitgenodigd/);
    assert.equal(await page.locator('#operator-staff tbody tr', { hasText: 'Demo Operator' }).count(), 1, 'the demo operator is listed too');
    await shot(page, 'staffcli-staff-nl');
    await expectNoAxeViolations(page, 'the staff list');

    res = s.kluis.cli(['operator', 'set', '--email', op, '--department', 'Tweedelijnssupport']);
    assert.equal(res.status, 0, `kluis operator set: ${res.stderr}`);
    response = await page.goto(`${s.baseURL}/demo/admin/operators/staff?lang=fr`);
    row = page.locator('#operator-staff tbody tr', { hasText: 'Lotte Leverancier' });
    assert.match(await row.textContent(), /Tweedelijnssupport[\s\S]*pas encore configuré[\s\S]*invité/);
    await shot(page, 'staffcli-staff-fr');
    await expectNoAxeViolations(page, 'the staff list in French');

    // No CLI read of the tenant's data without its grant; under the grant it runs.
    res = s.kluis.cli(['user', 'list', '--tenant', 'demo']);
    assert.equal(res.status, 2, 'kluis user list without a grant');
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /--grant ID/);
    res = s.kluis.cliGranted(['user', 'list', '--tenant', 'demo']);
    assert.equal(res.status, 0, `kluis user list under the grant: ${res.stderr}`);
    assert.match(res.stdout, /e2e-staffcli-admin@demo\.example/);

    response = await page.goto(`${s.baseURL}/demo/admin/audit?lang=nl`);
    assert.equal(response.status(), 200);
    const log = await page.locator('main').textContent();
    assert.match(log, /Kluis meldde een wijziging in de lijst van medewerkers van de leverancier/);
    assert.match(log, /voerde onder uw toegang een beheeropdracht uit/);
    assert.match(log, /bekeek de lijst van medewerkers van de leverancier/);

    response = await page.goto(`${s.baseURL}/demo/admin/audit/platform?lang=nl`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('#platform-log').textContent(), /Nieuwe versie gestart[\s\S]*alle besturen/);
    await shot(page, 'staffcli-platform-nl');
    await expectNoAxeViolations(page, 'the platform log');
    await page.goto(`${s.baseURL}/demo/admin/audit/platform?lang=fr`);
    await shot(page, 'staffcli-platform-fr');
  } finally {
    await ctx.close();
  }
});
