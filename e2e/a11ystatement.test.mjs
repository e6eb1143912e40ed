// Browser test of the generated accessibility statement (toegankelijkheidsverklaring, issue 15
// item 1), in Debian's Chromium: the operator records a full audit with `kluis accessibility
// record`; an editor refuses nothing half: a bad contact gets its field's message; then saves the
// contact, adds a known exception, publishes; a visitor reaches the statement from the footer
// of the tenant's front page, partially compliant with the exception listed, without
// JavaScript; the history lists the version and it can be read. axe clean in nl and fr on a
// desktop and a phone, no sideways scroll. Screenshots: e2e/artifacts/a11ystmt-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  activate,
  deskContext,
  enrolTOTP,
  expectNoAxeViolations,
  inBothLanguages,
  invite,
  login,
  shot,
  submit,
  suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-a11ystmt-' });

test('accessibility statement: an editor publishes it, a visitor reads it (nl, fr, desktop, phone)', { timeout: 240_000 }, async () => {
  // A full audit, as the operator records it after a run of the browser suite.
  const dir = mkdtempSync(join(tmpdir(), 'kluis-axe-'));
  const log = join(dir, 'axe-audit.jsonl');
  writeFileSync(log, [0, 1, 2].map((i) => JSON.stringify({ at: new Date().toISOString(), page: `/demo/p${i} nl 1280px`, violations: 0, tool: 'axe-core 4.14.1' })).join('\n') + '\n');
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"pages_checked": 3}\n');
  assert.notEqual(s.kluis.cli(['accessibility', 'record', '--from', bad]).status, 0, 'a malformed log is refused');
  const rec = s.kluis.cli(['accessibility', 'record', '--from', log]);
  assert.equal(rec.status, 0, `kluis accessibility record: ${rec.stderr}`);

  const ctx = await s.browser.newContext(deskContext);
  const page = await ctx.newPage();
  const visitor = await s.browser.newContext(deskContext);
  const vpage = await visitor.newPage();
  const noJS = await s.browser.newContext({ ...deskContext, javaScriptEnabled: false });
  const njpage = await noJS.newPage();
  try {
    // Before a publish the public page says so.
    await inBothLanguages(vpage, s.baseURL, '/demo/toegankelijkheid', 'a11ystmt-unpublished');

    const email = 'e2e-a11y-admin@demo.example';
    await activate(page, invite(s.kluis, email, 'Toegankelijk Redacteur', 'nl', 'admin'), 'kastanje raadhuis lenteregen');
    await login(page, s.baseURL, email, 'kastanje raadhuis lenteregen');
    await enrolTOTP(page, 'a11ystmt-admin-mfa');
    await inBothLanguages(page, s.baseURL, '/demo/admin/site/accessibility', 'a11ystmt-admin');

    // A bad contact: 422, the summary links to the field, nothing saved.
    await page.goto(`${s.baseURL}/demo/admin/site/accessibility?lang=nl`);
    await page.fill('#email', 'geen adres');
    let response = await submit(page, 'form[action$="/contact"] button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary a[href="#email"]').textContent(), /geldig e-mailadres/);
    assert.equal(await page.locator('#email').getAttribute('aria-invalid'), 'true');
    await expectNoAxeViolations(page, 'accessibility contact with errors');
    await shot(page, 'a11ystmt-errors-nl');

    await page.fill('#email', 'toegankelijkheid@demo.example');
    await page.fill('#phone', '09 123 45 67');
    response = await submit(page, 'form[action$="/contact"] button[type=submit]');
    assert.equal(response.status(), 200);
    await page.fill('#description-nl', 'Oude pdf-documenten van voor 2019 zijn niet toegankelijk gemaakt.');
    await page.fill('#description-fr', 'Les anciens documents PDF d’avant 2019 ne sont pas accessibles.');
    await page.check('#ground');
    await page.fill('#planned-fix', '31.12.2027');
    response = await submit(page, 'form[action$="/exceptions"] button[type=submit]');
    assert.equal(response.status(), 200);
    response = await submit(page, 'form[action$="/publish"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice').textContent(), /Versie 1 van de verklaring is gepubliceerd/);
    await inBothLanguages(page, s.baseURL, '/demo/admin/site/accessibility', 'a11ystmt-admin-published');
    await inBothLanguages(page, s.baseURL, '/demo/admin/site/accessibility/versions/1', 'a11ystmt-version');

    // The visitor, without JavaScript, from the footer of the front page.
    await njpage.goto(`${s.baseURL}/demo/?lang=nl`);
    await Promise.all([njpage.waitForNavigation(), njpage.click('footer a[href="/demo/toegankelijkheid"]')]);
    assert.match(await njpage.locator('.a11y-status').textContent(), /gedeeltelijk in overeenstemming/);
    assert.match(await njpage.locator('.a11y-exceptions').textContent(), /Oude pdf-documenten.*31\.12\.2027/s);
    await inBothLanguages(vpage, s.baseURL, '/demo/toegankelijkheid', 'a11ystmt-public');
    assert.match(await vpage.locator('.a11y-status').textContent(), /gedeeltelijk/);
    await vpage.goto(`${s.baseURL}/demo/toegankelijkheid?lang=fr`);
    assert.match(await vpage.locator('.a11y-status').textContent(), /partiellement conforme/);
    assert.match(await vpage.locator('.a11y-exceptions').textContent(), /anciens documents PDF/);
  } finally {
    await ctx.close();
    await visitor.close();
    await noJS.close();
  }
});
