// Browser test of the site's images (issue 15, item 1), in Debian's Chromium: an admin uploads
// an SVG disguised as a PNG and a PNG without alternative text (both refused with the field's
// message, nothing saved), then a PNG with its alt text; pastes the listed snippet into a page,
// publishes it; a visitor sees the image with its alt text, served as image/png with nosniff.
// axe clean in nl and fr; screenshots on a desktop and a 390 px phone without sideways scroll:
// e2e/artifacts/site-images-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activate,
  deskContext,
  enrolTOTP,
  expectNoAxeViolations,
  inBothLanguages,
  invite,
  login,
  png,
  shot,
  submit,
  suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-siteimg-' });

async function noSidewaysScroll(page, what) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(over <= 0, `${what} scrolls sideways by ${over}px on a phone`);
}

test('site images: refused SVG and missing alt text, an upload shown on a published page (nl, fr, desktop, phone)', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  const page = await ctx.newPage();
  try {
    const email = 'e2e-siteimg-admin@demo.example';
    await activate(page, invite(s.kluis, email, 'Beeld Redacteur', 'nl', 'admin'), 'kastanje raadhuis lenteregen');
    await login(page, s.baseURL, email, 'kastanje raadhuis lenteregen');
    await enrolTOTP(page, 'site-images-admin-mfa');
    await inBothLanguages(page, s.baseURL, '/demo/admin/site/images', 'site-images-empty');

    // An SVG named .png and sent as image/png: refused by its bytes.
    await page.goto(`${s.baseURL}/demo/admin/site/images?lang=nl`);
    await page.setInputFiles('#file', { name: 'logo.png', mimeType: 'image/png',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>') });
    await page.fill('#alt-nl', 'Logo');
    let response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary a[href="#file"]').textContent(), /geen PNG, JPEG of WebP/);
    assert.equal(await page.locator('#file').getAttribute('aria-invalid'), 'true');
    await expectNoAxeViolations(page, 'site images with an error');
    await shot(page, 'site-images-errors-nl');

    // A PNG without alternative text: refused on the field.
    const image = png(480, 240);
    await page.setInputFiles('#file', { name: 'park.png', mimeType: 'image/png', buffer: image });
    await page.fill('#alt-nl', '');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary a[href="#alt-nl"]').textContent(), /alternatieve tekst/);
    assert.equal(await page.locator('.site-images li').count(), 0, 'nothing saved');

    // With its alt text: kept, listed with a snippet.
    await page.setInputFiles('#file', { name: 'park.png', mimeType: 'image/png', buffer: image });
    await page.fill('#alt-nl', 'Het stadspark onder een blauwe lucht');
    await page.fill('#alt-fr', 'Le parc de la ville sous un ciel bleu');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice[role=status]').textContent(), /opgeladen/);
    const snippet = await page.locator('.site-images input[readonly]').first().inputValue();
    const m = snippet.match(/^!\[Het stadspark onder een blauwe lucht\]\((\/demo\/site\/images\/[0-9a-f]+)\)$/);
    assert.ok(m, `snippet ${snippet}`);
    const src = m[1];
    const img = await page.request.get(`${s.baseURL}${src}`);
    assert.equal(img.status(), 200);
    assert.equal(img.headers()['content-type'], 'image/png');
    assert.equal(img.headers()['x-content-type-options'], 'nosniff');
    await inBothLanguages(page, s.baseURL, '/demo/admin/site/images', 'site-images-list');

    // A page with the snippet, published.
    await page.goto(`${s.baseURL}/demo/admin/site/new?lang=nl`);
    await page.fill('#slug', 'stadspark');
    await page.fill('#nl-title', 'Het stadspark');
    await page.fill('#nl-body', `## Ligging\n\nHet park ligt achter het gemeentehuis.\n\n${snippet}\n`);
    await page.fill('#fr-title', 'Le parc de la ville');
    await page.fill('#fr-body', `## Situation\n\nLe parc est derrière la maison communale.\n\n![Le parc de la ville sous un ciel bleu](${src})\n`);
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    response = await submit(page, `form[action$="/publish"] button`);
    assert.equal(response.status(), 200);

    const visitorCtx = await s.browser.newContext(deskContext);
    const visitor = await visitorCtx.newPage();
    await inBothLanguages(visitor, s.baseURL, '/demo/site/stadspark', 'site-images-public');
    await visitor.goto(`${s.baseURL}/demo/site/stadspark?lang=nl`);
    const shown = visitor.locator(`.site-body img[src="${src}"]`);
    assert.equal(await shown.getAttribute('alt'), 'Het stadspark onder een blauwe lucht');
    assert.ok(await shown.evaluate((el) => el.complete && el.naturalWidth === 480), 'the image loads');
    await visitorCtx.close();

    // On a phone: no sideways scroll, screenshots.
    const phoneCtx = await s.browser.newContext({ ...deskContext, viewport: { width: 390, height: 844 }, storageState: await ctx.storageState() });
    const phone = await phoneCtx.newPage();
    for (const lang of ['nl', 'fr']) {
      await phone.goto(`${s.baseURL}/demo/admin/site/images?lang=${lang}`);
      await noSidewaysScroll(phone, `images page (${lang})`);
      await shot(phone, `site-images-list-phone-${lang}`);
      await phone.goto(`${s.baseURL}/demo/site/stadspark?lang=${lang}`);
      await noSidewaysScroll(phone, `public page (${lang})`);
      await shot(phone, `site-images-public-phone-${lang}`);
    }
    await phoneCtx.close();
  } finally {
    await ctx.close();
  }
});
