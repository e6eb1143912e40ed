// Browser test of the municipality's look (issue 10, item 6), in Debian's Chromium:
// an admin opens the branding page, gets field errors for an accent colour below
// WCAG AA contrast (nothing saved), then uploads a logo (an SVG with a script in it)
// and sets a colour and a contact block; the public form page then shows the
// municipality's name, its logo (sanitised, from our origin) and the contact block,
// in Dutch and French, on a desktop and a phone, axe clean, without sideways scroll.
// Screenshots: e2e/artifacts/branding-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  artifactsDir,
  expectNoAxeViolations,
  invite,
  login,
  submit,
  suite,
  totp,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-branding-' });

// Screenshots at 1280 and 390 px wide; fails when the phone scrolls sideways.
async function shots(page, name) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(artifactsDir, `${name}-desktop.png`), fullPage: true });
  await expectNoAxeViolations(page, `${name} on a desktop`, { keepCSP: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  await page.screenshot({ path: join(artifactsDir, `${name}-phone.png`), fullPage: true });
  await expectNoAxeViolations(page, `${name} on a phone`, { keepCSP: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.ok(scroll <= client, `${name} scrolls sideways on a phone: ${scroll} > ${client}`);
}

// The logo: a shape and the name, plus what the sanitiser must take out.
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" onload="alert(1)">
<script>document.title='pwned'</script>
<circle cx="32" cy="32" r="30" fill="#1d5e3a"/><path d="M16 40 L32 14 L48 40 Z" fill="#ffffff"/>
<rect x="16" y="44" width="32" height="6" fill="#ffffff"/></svg>`;

test('branding: an admin sets the look, a bad colour is refused, the public form page shows it (nl, fr, desktop, phone)', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE' });
  const page = await ctx.newPage();
  try {
    // An admin, bootstrapped with the CLI, activates and enrols a second factor.
    const password = 'lindeboom waterput klokkentoren';
    let response = await page.goto(invite(s.kluis, 'e2e-branding@demo.example', 'Branding Admin', 'nl', 'admin'));
    assert.equal(response.status(), 200);
    await page.fill('#password', password);
    await page.fill('#password_confirm', password);
    await submit(page, 'button[type=submit]');
    await login(page, s.baseURL, 'e2e-branding@demo.example', password);
    assert.match(page.url(), /\/demo\/account\/mfa$/);
    const secret = (await page.locator('#secret').textContent()).replace(/\s+/g, '');
    await page.fill('#code', totp(secret));
    await submit(page, 'form:has(#code) button[type=submit]');

    // The branding page, before anything is set: the demo's legal name, Kluis's blue.
    response = await page.goto(`${s.baseURL}/demo/admin/branding`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Huisstijl van Gemeente Demo');
    await shots(page, 'branding-admin-nl');

    // A colour below contrast: 422, the summary links to the field, nothing saved.
    await page.fill('#name', 'Gemeente Zonnedal');
    await page.fill('#accent', '#66aadd');
    await page.fill('#phone', '+31 20 123 4567');
    response = await submit(page, '#branding-form button[type=submit]');
    assert.equal(response.status(), 422);
    const summary = page.locator('.error-summary');
    assert.match(await summary.locator('a[href="#accent"]').textContent(), /te weinig contrast: 2,\d:1, minstens 4,5:1/);
    assert.match(await summary.locator('a[href="#phone"]').textContent(), /Belgisch telefoonnummer/);
    assert.equal(await page.locator('#accent').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#accent').getAttribute('aria-describedby'), /accent-error/);
    assert.equal(await page.inputValue('#name'), 'Gemeente Zonnedal', 'what was typed comes back');
    await shots(page, 'branding-admin-errors-nl');
    await page.goto(`${s.baseURL}/demo/vraag`);
    assert.equal((await page.locator('.brand-name').textContent()).trim(), 'Gemeente Demo', 'nothing was saved');

    // The good settings, with the logo.
    await page.goto(`${s.baseURL}/demo/admin/branding`);
    await page.fill('#name', 'Gemeente Zonnedal');
    await page.fill('#accent', '#1d5e3a');
    await page.fill('#address', 'Markt 1\n9999 Zonnedal');
    await page.fill('#phone', '09 123 45 67');
    await page.fill('#email', 'info@zonnedal.be');
    await page.fill('#website', 'https://www.zonnedal.be');
    await page.fill('#hours', 'ma–vr 9–12 u., wo ook 14–19 u.');
    await page.setInputFiles('#logo', { name: 'zonnedal.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(LOGO_SVG) });
    response = await submit(page, '#branding-form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/branding\?saved=1$/);
    assert.match(await page.locator('.notice[role=status]').textContent(), /bewaard \(versie 1\)/);
    await shots(page, 'branding-admin-saved-nl');

    // The logo is served from our origin, sanitised, sandboxed.
    const logoURL = await page.locator('.branding-preview img').getAttribute('src');
    assert.match(logoURL, /^\/demo\/logo\?v=[0-9a-f]{16}$/);
    const logo = await page.request.get(`${s.baseURL}${logoURL}`);
    assert.equal(logo.headers()['content-type'], 'image/svg+xml');
    assert.equal(logo.headers()['x-content-type-options'], 'nosniff');
    assert.match(logo.headers()['content-security-policy'], /sandbox/);
    assert.doesNotMatch(await logo.text(), /script|onload|pwned/);

    // The admin page in French.
    await page.goto(`${s.baseURL}/demo/admin/branding?lang=fr`);
    assert.equal(await page.locator('h1').textContent(), 'Identité visuelle de Gemeente Demo');
    await shots(page, 'branding-admin-fr');

    // The public form page, as a citizen sees it, in Dutch and French.
    const citizen = await s.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const form = await citizen.newPage();
    for (const lang of ['nl', 'fr']) {
      response = await form.goto(`${s.baseURL}/demo/vraag?lang=${lang}`);
      assert.equal(response.status(), 200);
      assert.equal((await form.locator('header .brand-name').textContent()).trim(), 'Gemeente Zonnedal');
      const img = form.locator('header img.brand-logo');
      assert.equal(await img.getAttribute('src'), logoURL);
      assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the logo is drawn');
      const accent = await form.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--primary').trim());
      assert.equal(accent, '#1d5e3a', 'brand.css sets the accent');
      const footer = form.locator('footer .brand-contact');
      assert.match(await footer.textContent(), /Markt 1\s*9999 Zonnedal/);
      assert.equal(await footer.locator('a[href="tel:+3291234567"]').textContent(), '09 123 45 67');
      assert.equal(await form.title().then((t) => t.includes('pwned')), false);
      await shots(form, `branding-form-${lang}`);
    }
    await citizen.close();
  } finally {
    await ctx.close();
  }
});
