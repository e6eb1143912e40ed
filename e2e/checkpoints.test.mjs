// Checkpoints the controller keeps (AUD-2, ADT-1), in Debian's Chromium: the DPO opens the log's
// Checkpoints page, reads the verification key and its fingerprint, signs a checkpoint now, and
// downloads it and the key; the downloaded files verify the live log with `kluis audit verify`.
// The page in Dutch and French, on a desktop and a phone: axe clean, no sideways scroll.
// Screenshots go to e2e/artifacts/checkpoints-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/checkpoints.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activate, enrolTOTP, expectNoAxeViolations, invite, login, shot, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-checkpoints-' });

test('checkpoints: the DPO signs one now, downloads it and the key, and they verify the log', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({
    viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce', acceptDownloads: true,
  });
  try {
    const dpo = { email: 'e2e-cp-dpo@demo.example', name: 'Controle DPO', password: 'schelde belfort lakenhal' };
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(page, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(page, 'checkpoints-dpo-mfa');

    // From the log by the section's sub-navigation.
    let response = await page.goto(`${s.baseURL}/demo/admin/audit`);
    assert.equal(response.status(), 200);
    response = await submit(page, 'nav a:text-is("Controlepunten")');
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/demo/admin/audit/checkpoints');
    const vkey = await page.inputValue('#verifier-key');
    assert.match(vkey, /^[^+\s]+\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    assert.match(await page.locator('#key-fingerprint').textContent(), /^SHA256:[A-Za-z0-9+/]{43}$/);

    // Sign one now: the page says which, and lists it first.
    response = await submit(page, 'form[action$="/admin/audit/checkpoints"] button[type=submit]');
    assert.equal(response.status(), 200);
    const notice = await page.locator('.notice[role=status]').textContent();
    const size = Number(/controlepunt van (\d+) gebeurtenissen is ondertekend/.exec(notice)?.[1]);
    assert.ok(size > 0, `no signed size in: ${notice}`);
    assert.equal(Number(await page.locator('main table tbody tr:first-child th').textContent()), size);

    // Download the checkpoint and the key, as files.
    const [cpDownload] = await Promise.all([page.waitForEvent('download'), page.click(`main table a[href$="/checkpoints/${size}"]`)]);
    assert.equal(cpDownload.suggestedFilename(), `demo-audit-${size}.note`);
    const cpFile = join(s.kluis.workDir, cpDownload.suggestedFilename());
    await cpDownload.saveAs(cpFile);
    const [keyDownload] = await Promise.all([page.waitForEvent('download'), page.click('main a[href$="/checkpoints/key"]')]);
    assert.match(keyDownload.suggestedFilename(), /-audit\.pub$/);
    const keyFile = join(s.kluis.workDir, keyDownload.suggestedFilename());
    await keyDownload.saveAs(keyFile);
    assert.equal(readFileSync(keyFile, 'utf8'), `${vkey}\n`);
    const note = readFileSync(cpFile, 'utf8');
    const lines = note.split('\n');
    assert.equal(lines[1], String(size), `the checkpoint's size line:\n${note}`);
    assert.match(lines[2], /^[A-Za-z0-9+/]{43}=$/);
    assert.ok(lines[4].startsWith(`— ${vkey.split('+')[0]} `), `the signature line:\n${note}`);

    // The files verify the live log; a checkpoint changed after signing does not.
    let res = s.kluis.cli(['audit', 'verify', '--tenant', 'demo', '--checkpoint', cpFile, '--key', keyFile]);
    assert.equal(res.status, 0, `kluis audit verify: ${res.stdout}${res.stderr}`);
    assert.match(res.stdout, /intact/);
    const forged = join(s.kluis.workDir, 'forged.note');
    writeFileSync(forged, note.replace(`\n${size}\n`, `\n${size - 1}\n`));
    res = s.kluis.cli(['audit', 'verify', '--tenant', 'demo', '--checkpoint', forged, '--key', keyFile]);
    assert.notEqual(res.status, 0, `a forged checkpoint verified: ${res.stdout}`);

    // The same key is published to everybody.
    const published = await (await ctx.request.get(`${s.baseURL}/.well-known/kluis-audit-key`)).text();
    assert.equal(published.split('\n')[0], vkey);

    // The page in Dutch and French, on a desktop and a phone.
    for (const lang of ['nl', 'fr']) {
      response = await page.goto(`${s.baseURL}/demo/admin/audit/checkpoints?lang=${lang}`);
      assert.equal(response.status(), 200);
      await expectNoAxeViolations(page, `the checkpoints page (${lang})`);
      await shot(page, `checkpoints-${lang}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await expectNoAxeViolations(page, `the checkpoints page on a phone (${lang})`);
      await page.screenshot({ path: join('e2e', 'artifacts', `checkpoints-${lang}-phone-top.png`) });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    assert.equal(await page.locator('main h1').textContent(), 'Points de contrôle du journal');
  } finally {
    await ctx.close();
  }
});

test('checkpoints: an admin sets the checkpoint webhook; a refused address is named on its field', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const admin = { email: 'e2e-cp-admin@demo.example', name: 'Controle Beheerder', password: 'vismarkt gravensteen kouter' };
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, admin.email, admin.name, 'nl', 'admin'), admin.password);
    await login(page, s.baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'checkpoints-admin-mfa');
    let response = await page.goto(`${s.baseURL}/demo/admin/audit/checkpoints`);
    assert.equal(response.status(), 200);

    await page.fill('#hook-url', 'http://archief.demo.example/kluis');
    response = await submit(page, 'form[action$="/checkpoints/webhook"] button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary a[href="#hook-url"]').textContent(), /https:\/\//);
    assert.equal(await page.getAttribute('#hook-url', 'aria-invalid'), 'true');
    await expectNoAxeViolations(page, 'the checkpoints page with a refused address');
    await shot(page, 'checkpoints-hook-error-nl');

    await page.fill('#hook-url', 'https://archief.demo.example/kluis/controlepunten');
    response = await submit(page, 'form[action$="/checkpoints/webhook"] button[type=submit]');
    assert.equal(response.status(), 201);
    assert.ok((await page.inputValue('#hook-secret')).length >= 32);
    assert.ok((await page.locator('main dl.facts').last().textContent()).includes('https://archief.demo.example/kluis/controlepunten'));
    await expectNoAxeViolations(page, 'the checkpoints page with the new hook');
    await shot(page, 'checkpoints-hook-nl');
  } finally {
    await ctx.close();
  }
});
