// Instructions (REG-3), authority requests (REG-5) and the supplier's declarations
// (ORG-1…ORG-5) in the browser: a supplier operator declares the DPO (an empty form refused
// field by field first), records and assesses an authority's request and tells the controller;
// the demo's admin records an instruction, the operator flags it, the admin reads the flag.
// axe on every page, nl and fr; screenshots desktop (1280) and phone (390).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectNoAxeViolations, inBothLanguages, operatorAndAdmin, shot, submit, suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-instr-' });

const everyView = (page, path, name) => inBothLanguages(page, s.kluis.baseURL, path, name);

function today(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat('nl-BE', { timeZone: 'Europe/Brussels', day: '2-digit', month: '2-digit', year: 'numeric' })
    .format(d).replace(/\//g, '.');
}

test('instr: declarations, authority requests and a flagged instruction', { timeout: 300_000 }, async () => {
  const baseURL = s.kluis.baseURL;
  const { opCtx, adminCtx, op, admin } = await operatorAndAdmin(s.kluis, s.browser, 'instr');
  try {

    // ORG-1: the DPO, refused empty, then declared; shown on the controller's page.
    await op.goto(`${baseURL}/operator/organisation`);
    let response = await submit(op, '#dpo button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await op.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
      ['#dpo-name', '#dpo-email', '#dpo-date']);
    await expectNoAxeViolations(op, 'the declarations with errors');
    await shot(op, 'instr-org-error-nl');
    await op.fill('#dpo-name', 'Bart Beschermer');
    await op.fill('#dpo-email', 'dpo@leverancier.example');
    await op.fill('#dpo-date', today(-30));
    response = await submit(op, '#dpo button[type=submit]');
    assert.equal(response.status(), 200);
    await everyView(op, '/operator/organisation', 'instr-operator-org');
    await everyView(admin, '/demo/admin/organisation', 'instr-org');
    assert.match(await admin.locator('main').innerText(), /Verklaard door de leverancier op/);

    // REG-3: the admin records an instruction, the operator flags it.
    await admin.goto(`${baseURL}/demo/admin/instructions`);
    await admin.fill('#new-subject', 'Bewaartermijn');
    await admin.fill('#new-text', 'Bewaar alle aanvragen dertig jaar.');
    await admin.fill('#new-author', 'Schepen Janssens');
    await admin.fill('#new-given_at', today());
    response = await submit(admin, '#new-form button[type=submit]');
    assert.equal(response.status(), 200);
    await op.goto(`${baseURL}/operator/instructions?tenant=demo`);
    await op.locator('textarea[name=reasoning]').first().fill('Dertig jaar is buiten verhouding tot het doel.');
    response = await submit(op, 'form[action$="/flag"] button[type=submit]');
    assert.equal(response.status(), 200);
    await everyView(op, '/operator/instructions?tenant=demo', 'instr-operator-instructions');
    await everyView(admin, '/demo/admin/instructions', 'instr-instructions');
    assert.match(await admin.locator('main').innerText(), /buiten verhouding/);

    // REG-5: a request recorded, assessed, refused to be disclosed before the notice, notified.
    await op.goto(`${baseURL}/operator/authority?tenant=demo`);
    await op.fill('#new-authority', 'Federale Gerechtelijke Politie');
    await op.fill('#new-legal_basis', 'art. 46quater Sv.');
    await op.fill('#new-asked', 'Alle aanvragen van dossier 31');
    await op.fill('#new-received_at', today());
    await op.fill('#new-deadline', today(10));
    response = await submit(op, '#new-form button[type=submit]');
    assert.equal(response.status(), 200);
    const stepForm = 'form[action$="/step"]';
    await op.selectOption(`${stepForm} select[name=step]`, 'assess');
    await op.fill(`${stepForm} textarea[name=text]`, 'Rechtsgeldig, beperkt tot één dossier.');
    response = await submit(op, `${stepForm} button[type=submit]`);
    assert.equal(response.status(), 200);
    // Before the controller was told, a disclosure is not offered (and the server refuses it: web tests).
    assert.deepEqual(await op.locator(`${stepForm} select[name=step] option`).evaluateAll((os) => os.map((o) => o.value)),
      ['', 'assess', 'notify', 'prohibit']);
    response = await submit(op, `${stepForm} button[type=submit]`);
    assert.equal(response.status(), 422, 'no step chosen');
    assert.deepEqual(await op.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))).then((h) => h.length), 1);
    await expectNoAxeViolations(op, 'the refused step');
    await shot(op, 'instr-authority-refused-nl');
    await op.selectOption(`${stepForm} select[name=step]`, 'notify');
    await op.fill(`${stepForm} textarea[name=text]`, 'De politie vraagt dossier 31; antwoord binnen tien dagen.');
    response = await submit(op, `${stepForm} button[type=submit]`);
    assert.equal(response.status(), 200);
    await everyView(op, '/operator/authority?tenant=demo', 'instr-operator-authority');
    await everyView(admin, '/demo/admin/authority-requests', 'instr-authority');
    assert.match(await admin.locator('main').innerText(), /Federale Gerechtelijke Politie/);
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
