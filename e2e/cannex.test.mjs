// The measures annexes (ADT-1), in Debian's Chromium: the DPO opens VO-B's measures checklist
// from the register section, follows an evidence link, reaches VO-A's annex 2, and downloads
// both as PDF (French on request). Both pages in Dutch and French, on a desktop and a 390 px
// phone: axe clean, no sideways scroll. Screenshots go to e2e/artifacts/cannex-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/cannex.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, deskContext, enrolTOTP, inBothLanguages, invite, login, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-cannex-' });

test('ClauseADT1: measures annexes: checklist and annex 2 as pages and PDFs, nl and fr, desktop and phone', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  try {
    const dpo = { email: 'e2e-cannex-dpo@demo.example', name: 'Maatregelen DPO', password: 'schelde belfort lakenhal' };
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(page, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(page, 'cannex-dpo-mfa');

    // From the register by the section's sub-navigation.
    let response = await page.goto(`${s.baseURL}/demo/admin/register`);
    assert.equal(response.status(), 200);
    response = await submit(page, 'nav a:text-is("Checklist maatregelen")');
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/demo/admin/register/measures');
    for (const heading of ['Fysieke maatregelen', 'Organisatorische maatregelen', 'Technische maatregelen']) {
      assert.equal(await page.locator(`main h2:text-is("${heading}")`).count(), 1, heading);
    }
    // Every row answers "OK?" in words; the organisational group says what a declaration is.
    const answers = await page.locator('main table.measures tbody td .status').allTextContents();
    assert.ok(answers.length >= 20, `${answers.length} answers`);
    for (const a of answers) assert.ok(['Ja', 'Gedeeltelijk', 'Neen', 'Verklaring leverancier'].includes(a), a);
    assert.match(await page.locator('main h2:text-is("Organisatorische maatregelen") + p').textContent(), /verklaring van de leverancier/);

    // An evidence link leads to the back-office page that shows it.
    const link = page.locator('#measure-audit_log a').first();
    const href = await link.getAttribute('href');
    assert.ok(href.startsWith('/demo/admin/'), href);
    response = await submit(page, '#measure-audit_log a');
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, href.split('?')[0]);

    // Both PDFs download, Dutch and French.
    for (const [path, name] of [['measures', 'bijlage-1-maatregelen-demo.pdf'], ['annex2', 'bijlage-2-maatregelen-demo.pdf']]) {
      await page.goto(`${s.baseURL}/demo/admin/register/${path}`);
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('main ul.links a[href$=".pdf"]')]);
      assert.equal(dl.suggestedFilename(), name);
      const [fr] = await Promise.all([page.waitForEvent('download'), page.click('main ul.links a[href$=".pdf?doc=fr"]')]);
      assert.match(fr.suggestedFilename(), /^annexe-[12]-mesures-demo\.pdf$/);
    }

    // Annex 2: a line per measure, ticked or not.
    await page.goto(`${s.baseURL}/demo/admin/register/annex2`);
    const ticks = await page.locator('main table.measures .tick').allTextContents();
    assert.ok(ticks.length >= 20 && ticks.every((t) => t === '[X]' || t === '[ ]'), ticks.join(' '));

    // The pages in Dutch and French, on a desktop and a phone (shot fails on sideways scroll).
    for (const path of ['measures', 'annex2']) {
      await inBothLanguages(page, s.baseURL, `/demo/admin/register/${path}`, `cannex-${path}`);
    }
  } finally {
    await ctx.close();
  }
});
