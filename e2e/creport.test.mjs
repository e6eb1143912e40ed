// The compliance report in the browser (ADT-1): the demo tenant's DPO opens Privacy ›
// Nalevingsrapport, reads every clause with its status in words, follows the evidence link of
// the audit log's clause to the audit page, and downloads the report as JSON. axe clean in
// Dutch and French; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  activate, deskContext, enrolTOTP, expectNoAxeViolations, inBothLanguages, invite, login, suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-creport-' });

test('compliance report: the DPO reads every clause, follows evidence to the audit page, downloads it', { timeout: 180_000 }, async () => {
  const baseURL = s.kluis.baseURL;
  const ctx = await s.browser.newContext(deskContext);
  try {
    const dpo = await ctx.newPage();
    const email = 'e2e-creport-dpo@demo.example';
    await activate(dpo, invite(s.kluis, email, 'Creport DPO', 'nl', 'dpo'), 'kastanje raadhuis lenteregen');
    await login(dpo, baseURL, email, 'kastanje raadhuis lenteregen');
    await enrolTOTP(dpo, 'creport-dpo-mfa');

    await dpo.goto(`${baseURL}/demo/signed-in`);
    await dpo.getByRole('link', { name: 'Privacy' }).first().click();
    await dpo.getByRole('link', { name: 'Nalevingsrapport' }).click();
    assert.ok(dpo.url().endsWith('/demo/admin/compliance'), dpo.url());
    assert.equal(await dpo.locator('article.compliance-clause').count(), 55);
    const main = await dpo.locator('main').innerText();
    for (const w of ['Nalevingsrapport', 'AUD-1', 'ORG-6', 'In orde', 'Verklaard door de leverancier', 'gemeten op']) {
      assert.ok(main.includes(w), `the report lacks ${w}`);
    }
    await inBothLanguages(dpo, baseURL, '/demo/admin/compliance', 'creport');

    // The JSON download: the same 55 answers.
    const [download] = await Promise.all([dpo.waitForEvent('download'), dpo.getByRole('link', { name: /Rapport downloaden/ }).click()]);
    assert.match(download.suggestedFilename(), /^compliance-demo-\d{4}-\d{2}-\d{2}\.json$/);
    const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(report.clauses.length, 55);
    assert.equal(report.clauses.find((c) => c.id === 'AUD-1').status, 'met');

    // The audit clause's evidence leads to the audit page.
    await dpo.locator('#clause-AUD-1').locator('xpath=..').locator('.compliance-evidence a').first().click();
    assert.ok(dpo.url().endsWith('/demo/admin/audit'), dpo.url());
    assert.match(await dpo.locator('h1').innerText(), /Auditlog|Logboek/);
    // Reading the report is in the log.
    assert.match(await dpo.locator('main').innerText(), /nalevingsrapport/i);
    await expectNoAxeViolations(dpo, 'the audit page reached from the report');
  } finally {
    await ctx.close();
  }
});
