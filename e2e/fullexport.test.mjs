// Browser test of "Beheer › Volledige export" (issue 14, item 1; END-3), in Debian's Chromium
// against the demo server (which runs the worker): an admin opens the page, a bad age
// recipient and no reason are refused with a summary linking to each field, then asks for the
// export, waits until it is ready, sees what the archive holds and downloads it: a tar whose
// manifest.json lists every file with its SHA-256. In Dutch and French, on a desktop and a
// phone, axe clean, without sideways scroll. Screenshots: e2e/artifacts/fullexport-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expectNoAxeViolations, invite, login, shot, submit, suite, totp } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-fullexport-' });

async function shots(page, name) {
  await expectNoAxeViolations(page, `${name} on a desktop`, { keepCSP: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoAxeViolations(page, `${name} on a phone`, { keepCSP: true });
  await shot(page, name);
}

// The files of a tar archive (ustar, with PAX path records), by name.
function untar(buf) {
  const files = new Map();
  let off = 0;
  let paxPath = null;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a, b) => h.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = str(345, 500);
    const name = paxPath ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    const body = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const m = body.toString('utf8').match(/\d+ path=([^\n]*)\n/);
      paxPath = m ? m[1] : null;
      continue;
    }
    paxPath = null;
    if (type === '0' || type === '\0') files.set(name, body);
  }
  return files;
}

test('full export: an admin asks for it, waits until it is ready and downloads a verified tar (nl, fr, desktop, phone)', { timeout: 300_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE', acceptDownloads: true });
  const page = await ctx.newPage();
  try {
    const password = 'archiefkast zolder sleutelbos';
    let response = await page.goto(invite(s.kluis, 'e2e-fullexport@demo.example', 'Export Beheerder', 'nl', 'admin'));
    assert.equal(response.status(), 200);
    await page.fill('#password', password);
    await page.fill('#password_confirm', password);
    await submit(page, 'button[type=submit]');
    await login(page, s.baseURL, 'e2e-fullexport@demo.example', password);
    const secret = (await page.locator('#secret').textContent()).replace(/\s+/g, '');
    await page.fill('#code', totp(secret));
    await submit(page, 'form:has(#code) button[type=submit]');

    const url = `${s.baseURL}/demo/admin/full-export`;
    response = await page.goto(url);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Volledige export van alle gegevens');
    assert.equal(await page.locator('nav a[aria-current="page"]', { hasText: 'Volledige export' }).count() > 0, true, 'the page is marked in the navigation');
    await shots(page, 'fullexport-empty-nl');

    // No reason and a secret key where the recipient goes: 422, a summary linking to each field,
    // the secret not sent back.
    await page.fill('#recipient', 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary a[href="#reason"]').count(), 1);
    assert.match(await page.locator('.error-summary a[href="#recipient"]').textContent(), /geheime sleutel/);
    assert.equal(await page.inputValue('#recipient'), '');
    await shots(page, 'fullexport-error-nl');

    await page.fill('#reason', 'Einde van het contract: overdracht aan de nieuwe leverancier');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/full-export\?done=queued$/);

    // The demo server's worker makes it; the page says where it stands in words.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await page.locator('#fullexports-caption ~ tbody td[data-label="Stand"]').first().textContent();
      if (/Klaar om te downloaden/.test(status)) break;
      assert.doesNotMatch(status, /Mislukt/, 'the export failed');
      assert.ok(Date.now() < deadline, `not ready in time: ${status}`);
      await page.waitForTimeout(1000);
      await page.goto(url);
    }
    assert.match(await page.locator('#contents-caption').textContent(), /soorten gegevens/);
    await page.click('details.contents summary');
    assert.ok((await page.locator('table:has(#contents-caption) tbody tr').count()) > 10, 'the entities are listed');
    await shots(page, 'fullexport-ready-nl');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Downloaden")')]);
    assert.match(download.suggestedFilename(), /^kluis-demo-\d{4}-\d{2}-\d{2}\.tar$/);
    const files = untar(readFileSync(await download.path()));
    const manifest = JSON.parse(files.get('manifest.json').toString('utf8'));
    assert.equal(manifest.format, 'kluis-tenant-export/1');
    assert.equal(manifest.slug, 'demo');
    let checked = 0;
    for (const f of manifest.files) {
      if (f.path.endsWith('/')) continue;
      const b = files.get(f.path);
      assert.ok(b, `${f.path} is in the archive`);
      assert.equal(b.length, f.bytes, `${f.path}: bytes`);
      assert.equal(createHash('sha256').update(b).digest('hex'), f.sha256, `${f.path}: SHA-256`);
      checked++;
    }
    assert.ok(checked > 50, `only ${checked} files checked`);
    assert.ok(files.get('README.nl.md').length > 0, 'a README in Dutch');

    response = await page.goto(`${url}?lang=fr`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Export complet de toutes les données');
    await shots(page, 'fullexport-ready-fr');
    await page.fill('#reason', 'Contrôle');
    await page.fill('#recipient', 'age1pasbon');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary a[href="#recipient"]').textContent(), /n’est pas valide/);
    await shots(page, 'fullexport-error-fr');
  } finally {
    await ctx.close();
  }
});
