// Browser test of the per-person keys setting (issue 12, item 3; DSR-1), in Debian's
// Chromium: an admin opens the page (what the keys do and do not protect), a post
// without a choice is refused with a summary linking to the field, then switches them
// on; in Dutch and French, on a desktop and a phone, axe clean, without sideways scroll.
// Screenshots: e2e/artifacts/keys-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, invite, login, shot, submit, suite, totp } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-keys-' });

// Axe on a desktop and on a phone, then the screenshots of both (harness shot: it fails
// when the phone scrolls sideways).
async function shots(page, name) {
  await expectNoAxeViolations(page, `${name} on a desktop`, { keepCSP: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoAxeViolations(page, `${name} on a phone`, { keepCSP: true });
  await shot(page, name);
}

test('keys: an admin switches per-person keys on; a post without a choice is refused (nl, fr, desktop, phone)', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE' });
  const page = await ctx.newPage();
  try {
    const password = 'lindeboom waterput klokkentoren';
    let response = await page.goto(invite(s.kluis, 'e2e-keys@demo.example', 'Keys Admin', 'nl', 'admin'));
    assert.equal(response.status(), 200);
    await page.fill('#password', password);
    await page.fill('#password_confirm', password);
    await submit(page, 'button[type=submit]');
    await login(page, s.baseURL, 'e2e-keys@demo.example', password);
    const secret = (await page.locator('#secret').textContent()).replace(/\s+/g, '');
    await page.fill('#code', totp(secret));
    await submit(page, 'form:has(#code) button[type=submit]');

    response = await page.goto(`${s.baseURL}/demo/admin/keys`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Sleutels per persoon');
    assert.ok(await page.locator('#person_keys-off').isChecked(), 'off by default');
    await shots(page, 'keys-admin-nl');

    // No choice at all (both radios cleared by hand): 422, the summary links to the field.
    await page.evaluate(() => document.querySelectorAll('input[name=person_keys]').forEach((i) => (i.checked = false)));
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary a[href="#person_keys-on"]').textContent(), 'Kies aan of uit.');
    await shots(page, 'keys-admin-error-nl');

    await page.check('#person_keys-on');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/keys\?saved=1$/);
    assert.match(await page.locator('.notice').textContent(), /in het logboek opgenomen/);
    assert.ok(await page.locator('#person_keys-on').isChecked());

    response = await page.goto(`${s.baseURL}/demo/admin/keys?lang=fr`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Clés par personne');
    await shots(page, 'keys-admin-fr');
  } finally {
    await ctx.close();
  }
});
