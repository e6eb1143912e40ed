// The gaps of the contract workflows in the browser: an authority's request near its deadline
// (REG-5) shows "Termijn nadert" on both sides; a changed declaration of the supplier (ORG-1)
// shows "Gewijzigd op" with the previous version on the controller's page; a sub-processor's
// details are changed (refused field by field first, then announced as a change the controller
// sees pending) and the entry is ended (refused field by field first), moving to the ended ones
// on both sides (SUB-1…SUB-3). axe on every page, nl and fr; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectNoAxeViolations, inBothLanguages, operatorAndAdmin, shot, submit, suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-gaps13-' });

const everyView = (page, path, name) => inBothLanguages(page, s.kluis.baseURL, path, name);

function day(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat('nl-BE', { timeZone: 'Europe/Brussels', day: '2-digit', month: '2-digit', year: 'numeric' })
    .format(d).replace(/\//g, '.');
}

const hrefs = (page) => page.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));

test('gaps13: authority deadline, changed declaration, sub-processor changed and ended', { timeout: 300_000 }, async () => {
  const baseURL = s.kluis.baseURL;
  const { opCtx, adminCtx, op, admin } = await operatorAndAdmin(s.kluis, s.browser, 'gaps13');
  try {
    // REG-5: a request due tomorrow, told to the controller: near its deadline on both pages.
    await op.goto(`${baseURL}/operator/authority?tenant=demo`);
    await op.fill('#new-authority', 'Federale Gerechtelijke Politie');
    await op.fill('#new-legal_basis', 'art. 46quater Sv.');
    await op.fill('#new-asked', 'Alle aanvragen van dossier 31');
    await op.fill('#new-received_at', day(-3));
    await op.fill('#new-deadline', day(1));
    let response = await submit(op, '#new-form button[type=submit]');
    assert.equal(response.status(), 200);
    const stepForm = 'form[action$="/step"]';
    for (const [step, text] of [['assess', 'Rechtsgeldig.'], ['notify', 'De politie vraagt dossier 31.']]) {
      await op.selectOption(`${stepForm} select[name=step]`, step);
      await op.fill(`${stepForm} textarea[name=text]`, text);
      response = await submit(op, `${stepForm} button[type=submit]`);
      assert.equal(response.status(), 200);
    }
    assert.match(await op.locator('main').innerText(), new RegExp(`Termijn nadert: antwoord uiterlijk op ${day(1).replace(/\./g, '\\.')}`));
    await everyView(op, '/operator/authority?tenant=demo', 'gaps13-operator-authority');
    await admin.goto(`${baseURL}/demo/admin/authority-requests`);
    assert.match(await admin.locator('main').innerText(), /Termijn nadert/);
    await everyView(admin, '/demo/admin/authority-requests', 'gaps13-authority');

    // ORG-1: the DPO declared, then another: the controller sees the change and the previous one.
    for (const name of ['Bart Beschermer', 'Carla Nieuw']) {
      await op.goto(`${baseURL}/operator/organisation`);
      await op.fill('#dpo-name', name);
      await op.fill('#dpo-email', 'dpo@leverancier.example');
      await op.fill('#dpo-date', day(-1));
      response = await submit(op, '#dpo button[type=submit]');
      assert.equal(response.status(), 200);
    }
    await admin.goto(`${baseURL}/demo/admin/organisation`);
    const org = await admin.locator('main').innerText();
    assert.match(org, /Gewijzigd op/);
    assert.match(org, /Vorige versie, verklaard op[\s\S]*Bart Beschermer/);
    await everyView(admin, '/demo/admin/organisation', 'gaps13-org');

    // SUB-1…SUB-3: an entry agreed in the demo's annex 1.
    await op.goto(`${baseURL}/operator/subprocessors`);
    for (const [field, value] of [['#name', 'MailBox NV'], ['#head_office', 'Brussel, België'], ['#location', 'Frankfurt, Duitsland'],
      ['#measures', 'ISO 27001'], ['#services', 'Uitgaande e-mail'], ['#agreement_ref', 'SVO-2026-007'], ['#agreement_date', '01.03.2026']]) {
      await op.fill(field, value);
    }
    await op.check('#eea');
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    response = await submit(op, 'main h2 a:text-is("MailBox NV")');
    const subPath = new URL(op.url()).pathname;
    await op.check('#kind-agreed');
    await op.check('#tenants');
    response = await submit(op, 'main form[action$="' + subPath + '"] button[type=submit]');
    assert.equal(response.status(), 200);

    // A material change: refused without an effective date, then announced.
    await everyView(op, `${subPath}/edit`, 'gaps13-subproc-edit');
    await op.goto(`${baseURL}${subPath}/edit`);
    await op.fill('#location', 'Dublin, Ierland');
    await op.fill('#name', ' ');
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await hrefs(op), ['#name', '#effective']);
    await expectNoAxeViolations(op, 'the edit form with errors');
    await shot(op, 'gaps13-subproc-edit-error-nl');
    await op.fill('#name', 'MailBox NV');
    await op.fill('#effective', day(30));
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await op.locator('main').innerText(), /aangekondigd aan de organisaties/);
    await admin.goto(`${baseURL}/demo/admin/subprocessors`);
    assert.match(await admin.locator('main').innerText(), /Wijziging aangekondigd, gaat in op/);
    await everyView(admin, '/demo/admin/subprocessors', 'gaps13-subproc-change');

    // Ended: refused without a date and reason, then moved to the ended ones on both sides.
    await op.goto(`${baseURL}${subPath}`);
    response = await submit(op, 'main form[action$="/retire"] button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await hrefs(op), ['#ended', '#reason']);
    await expectNoAxeViolations(op, 'the retire form with errors');
    await shot(op, 'gaps13-subproc-retire-error-nl');
    await everyView(op, subPath, 'gaps13-subproc-one');
    await op.goto(`${baseURL}${subPath}`);
    await op.fill('#ended', day());
    await op.fill('#reason', 'Contract opgezegd');
    response = await submit(op, 'main form[action$="/retire"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await op.locator('main').innerText(), /Beëindigde subverwerkers[\s\S]*MailBox NV: beëindigd op/);
    await everyView(op, '/operator/subprocessors', 'gaps13-subproc-list');
    await everyView(op, subPath, 'gaps13-subproc-ended');
    await admin.goto(`${baseURL}/demo/admin/subprocessors`);
    assert.match(await admin.locator('main').innerText(), /Beëindigde subverwerkers[\s\S]*MailBox NV: beëindigd op/);
    await everyView(admin, '/demo/admin/subprocessors', 'gaps13-subproc-ended-tenant');
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
