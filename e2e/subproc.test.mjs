// Sub-processors (SUB-1…SUB-3) in the browser: a supplier operator, signed in on the operators'
// realm with TOTP, adds a sub-processor (an incomplete form is refused field by field, named in
// the error summary) and announces it to the demo with an effective date → the demo's admin sees
// it pending, objects (without a reason refused, with one recorded) and sees the 3-month window;
// the operator sees the window too. axe on every page, nl and fr; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectNoAxeViolations, inBothLanguages, operatorAndAdmin, shot, submit, suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-subproc-' });

const bothLanguages = (page, path, name) => inBothLanguages(page, s.kluis.baseURL, path, name);

function belgianDate(d) {
  return new Intl.DateTimeFormat('nl-BE', { timeZone: 'Europe/Brussels', day: '2-digit', month: '2-digit', year: 'numeric' })
    .format(d).replace(/\//g, '.');
}

test('sub-processors: added and announced by the supplier, objected to by the controller', { timeout: 300_000 }, async () => {
  const baseURL = s.kluis.baseURL;
  const { opCtx, adminCtx, op, admin } = await operatorAndAdmin(s.kluis, s.browser, 'subproc');
  try {

    // The operator's list, empty; an incomplete form is refused.
    await op.goto(`${baseURL}/operator/signed-in`);
    let response = await submit(op, 'main a:text-is("Subverwerkers")');
    assert.equal(response.status(), 200);
    await bothLanguages(op, '/operator/subprocessors', 'subproc-operator-empty');
    await op.goto(`${baseURL}/operator/subprocessors`);
    await op.fill('#name', 'Cloudy Inc.');
    await op.check('#eea-no');
    await op.fill('#agreement_date', 'maart');
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await op.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
      ['#head_office', '#location', '#transfer_mechanism', '#measures', '#services', '#agreement_ref', '#agreement_date']);
    await expectNoAxeViolations(op, 'the operator form with errors');
    await shot(op, 'subproc-operator-error-nl');
    await op.fill('#head_office', 'Seattle, Verenigde Staten');
    await op.fill('#location', 'Dublin, Ierland');
    await op.fill('#transfer_mechanism', 'Modelcontractbepalingen (art. 46 AVG)');
    await op.fill('#measures', 'ISO 27001, versleuteling in rust');
    await op.fill('#services', 'Back-ups');
    await op.fill('#agreement_ref', 'SVO-2026-011');
    await op.fill('#agreement_date', '01.03.2026');
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(op.url().endsWith('/operator/subprocessors?done=created'), op.url());

    // Announced to the demo, effective in 30 days.
    response = await submit(op, 'main h2 a:text-is("Cloudy Inc.")');
    assert.equal(response.status(), 200);
    const subPath = new URL(op.url()).pathname;
    await bothLanguages(op, subPath, 'subproc-operator-one');
    await op.goto(`${baseURL}${subPath}`);
    await op.fill('#effective', belgianDate(new Date(Date.now() + 30 * 86_400_000)));
    await op.check('#tenants');
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(op.url().endsWith('/operator/subprocessors?done=announced'), op.url());

    // The admin objects: without a reason refused, with one recorded.
    await admin.goto(`${baseURL}/demo/admin/subprocessors`);
    assert.match(await admin.locator('main').innerText(), /Aangekondigd, gaat in op/);
    await bothLanguages(admin, '/demo/admin/subprocessors', 'subproc-pending');
    await admin.goto(`${baseURL}/demo/admin/subprocessors`);
    response = await submit(admin, 'main button:text-is("Bezwaar maken")');
    assert.equal(response.status(), 422);
    assert.equal(await admin.locator('.error-summary a').count(), 1);
    await expectNoAxeViolations(admin, 'the objection without a reason');
    await shot(admin, 'subproc-objection-error-nl');
    await admin.locator('main textarea').fill('Back-ups buiten de EU zonder overleg.');
    response = await submit(admin, 'main button:text-is("Bezwaar maken")');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('main').innerText(), /Loopt tot/);
    await bothLanguages(admin, '/demo/admin/subprocessors', 'subproc-objected');
    await bothLanguages(op, '/operator/subprocessors', 'subproc-operator-list');
    await op.goto(`${baseURL}/operator/subprocessors`);
    assert.match(await op.locator('main').innerText(), /termijn tot/);

    const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('main a[href$="subprocessors.xlsx"]')]);
    assert.equal(download.suggestedFilename(), 'subverwerkers.xlsx');
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
