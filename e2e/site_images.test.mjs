// Browser test of the site's images (issue 15, item 1), in Debian's Chromium: an admin uploads
// an SVG disguised as a PNG and a PNG without alternative text (both refused with the field's
// message, nothing saved), then a PNG with its alt text; pastes the listed snippet into a page,
// publishes it; a visitor sees the image with its alt text, served as image/png with nosniff.
// axe clean in nl and fr; screenshots on a desktop and a 390 px phone without sideways scroll:
// e2e/artifacts/site-images-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
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

const s = suite({ tmpPrefix: 'kluis-e2e-siteimg-' });

// png encodes a w×h image in two colours (a green field under a blue sky).
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const [r, g, b] = y < h / 2 ? [70, 130, 200] : [60, 150, 70];
    for (let x = 0; x < w; x++) raw.set([r, g, b], y * (w * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

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
