// Audits and corrective actions (ADT-1…ADT-3) in the browser: the demo's admin announces an
// on-site audit for tomorrow → refused on its date field (ten Belgian working days, ADT-2),
// named in the error summary → announces a document audit → the supplier's operator, on the
// operators' realm with TOTP, sees and acknowledges it → the admin enters a finding → the
// operator submits a corrective-action plan → the admin approves it → the operator marks an
// action done. axe on every page, nl and fr; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  expectNoAxeViolations, inBothLanguages, operatorAndAdmin, shot, submit, suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-audits-' });

const bothLanguages = (page, path, name) => inBothLanguages(page, s.kluis.baseURL, path, name);

function day(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
}

test('audits: announced by the controller, acknowledged and answered with a plan by the supplier', { timeout: 300_000 }, async () => {
  const baseURL = s.kluis.baseURL;
  const { opCtx, adminCtx, op, admin } = await operatorAndAdmin(s.kluis, s.browser, 'audits');
  try {

    // Privacy › Audits, empty; the announcement form.
    await bothLanguages(admin, '/demo/admin/audits', 'audits-list-empty');
    await bothLanguages(admin, '/demo/admin/audits/new', 'audits-new');

    // On site tomorrow: refused on the date field, in the error summary.
    await admin.goto(`${baseURL}/demo/admin/audits/new`);
    await admin.check('#kind-onsite');
    await admin.fill('#date', day(1));
    await admin.fill('#scope', 'Toegangsbeheer en logging van de e-loketten');
    await admin.fill('#auditor', 'Audit & Co');
    let response = await submit(admin, 'main button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await admin.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#date']);
    assert.match(await admin.locator('#date-error').innerText(), /10 werkdagen/);
    await expectNoAxeViolations(admin, 'the announcement with errors');
    await shot(admin, 'audits-new-error-nl');

    // A document audit the day after tomorrow.
    await admin.check('#kind');
    await admin.fill('#date', day(2));
    response = await submit(admin, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(admin.url().endsWith('/demo/admin/audits?done=announced'), admin.url());
    const href = await admin.locator('main table a').first().getAttribute('href');
    const id = href.split('/').pop();

    // The supplier sees and acknowledges it.
    await op.goto(`${baseURL}/operator/signed-in`);
    response = await submit(op, 'main a:text-is("Audits door de besturen")');
    assert.equal(response.status(), 200);
    await bothLanguages(op, '/operator/audits', 'audits-operator-list');
    await bothLanguages(op, `/operator/audits/demo/${id}`, 'audits-operator-show');
    await op.goto(`${baseURL}/operator/audits/demo/${id}`);
    response = await submit(op, 'main form button:text-is("Ontvangst bevestigen")');
    assert.equal(response.status(), 200);

    // The controller's finding.
    await admin.goto(`${baseURL}${href}`);
    response = await submit(admin, 'main form[action$="/findings"] button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await admin.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
      ['#title', '#severity', '#description']);
    await expectNoAxeViolations(admin, 'the finding with errors');
    await admin.fill('#title', 'Geen maandelijkse logreview');
    await admin.selectOption('#severity', 'high');
    await admin.fill('#description', 'De toegangslogs worden niet maandelijks nagekeken.');
    response = await submit(admin, 'main form[action$="/findings"] button[type=submit]');
    assert.equal(response.status(), 200);

    // The supplier's plan: a line without a date is refused on that line.
    await op.goto(`${baseURL}/operator/audits/demo/${id}`);
    await op.fill('#action_1_text', 'Maandelijkse logreview invoeren');
    response = await submit(op, 'main form[action$="/plan"] button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await op.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#action_1_due']);
    await expectNoAxeViolations(op, 'the plan with errors');
    await shot(op, 'audits-operator-plan-error-nl');
    await op.fill('#action_1_due', day(30));
    await op.fill('#action_2_text', 'Procedure voor logreview schrijven');
    await op.fill('#action_2_due', day(60));
    response = await submit(op, 'main form[action$="/plan"] button[type=submit]');
    assert.equal(response.status(), 200);

    // The controller approves.
    await bothLanguages(admin, href, 'audits-show-plan');
    await admin.goto(`${baseURL}${href}`);
    await admin.check('#decision-approve');
    response = await submit(admin, 'main form[action$="/plan"] button[type=submit]');
    assert.equal(response.status(), 200);

    // The supplier marks the first action done.
    await op.goto(`${baseURL}/operator/audits/demo/${id}`);
    response = await submit(op, 'main form[action*="/actions/"] button[type=submit] >> nth=0');
    assert.equal(response.status(), 200);
    await bothLanguages(op, `/operator/audits/demo/${id}`, 'audits-operator-done');
    await bothLanguages(admin, '/demo/admin/audits', 'audits-list');

    // The evidence pack: the demo's register and annex 1 are in it, with the README and manifest.
    await admin.goto(`${baseURL}/demo/admin/audits`);
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('main a[href$="/evidence.zip"]')]);
    assert.match(download.suggestedFilename(), /^evidence-demo-\d{4}-\d{2}-\d{2}\.zip$/);
    const zip = readFileSync(await download.path()).toString('latin1');
    for (const name of ['README.txt', 'MANIFEST.sha256', 'register.yaml', 'annex-1.pdf', 'breach-register.csv', 'staff-with-access.csv',
      'grants.csv', 'retention-runs.csv', 'checkpoints/verification-key.txt']) {
      assert.ok(zip.includes(name), `the evidence pack has no ${name}`);
    }
    await bothLanguages(admin, href, 'audits-show');
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
