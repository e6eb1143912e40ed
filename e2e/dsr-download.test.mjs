// The citizen downloads their data (DSR-1), in Debian's Chromium, on a phone: a citizen who
// sent a question through the e-loket signs in on /demo/privacy/request with a one-time code
// and asks for access (Dutch) or portability (French); the DPO approves and executes the
// request in the back office; the answer-ready mail carries an expiring link; on its page the
// citizen asks a code, a wrong one is a field error, the right one downloads the package —
// saved by the browser and opened: a ZIP with package.json, its schema, the CSV files and the
// overview PDF in the citizen's language. A wrong link is a clear 404. axe finds nothing on any
// page, in nl and fr, at 390 px. Screenshots: e2e/artifacts/dsr-download-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/dsr-download.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activate, codeOf, enrolTOTP, expectNoAxeViolations, invite, login, shot, startSMTPCapture, submit, suite, unQP } from './harness.mjs';

const capture = await startSMTPCapture();
const s = suite({ tmpPrefix: 'kluis-e2e-download-', env: {
  KLUIS_SMTP_HOST: '127.0.0.1', KLUIS_SMTP_PORT: String(capture.port), KLUIS_SMTP_TLS: 'none', KLUIS_SMTP_FROM: 'Kluis <noreply@demo.example>' } });

const address = 'download.e2e@example.be';
const phone = { width: 390, height: 844 };
const LANGS = [
  { code: 'nl', locale: 'nl-BE', kind: 'access', done: 'Uw verzoek is ingediend', heading: 'Uw gegevens downloaden', sent: 'Kijk in uw mailbox',
    codeError: 'Deze code klopt niet of is verlopen', pdf: 'overzicht.pdf', unknown: 'Deze link werkt niet' },
  { code: 'fr', locale: 'fr-BE', kind: 'portability', done: 'Votre demande a été introduite', heading: 'Télécharger vos données',
    sent: 'Consultez votre boîte mail', codeError: 'Ce code est incorrect ou a expiré', pdf: 'apercu.pdf', unknown: 'Ce lien ne fonctionne pas' },
];

// check runs axe at phone width and takes the desktop and phone screenshots.
async function check(page, what, name) {
  await page.setViewportSize(phone);
  await expectNoAxeViolations(page, `${what} (phone)`);
  await shot(page, name);
  await page.setViewportSize(phone);
}

test('download: one-time code, access asked, the DPO approves, the citizen downloads the package', { timeout: 600_000 }, async () => {
  const dpoCtx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  const dir = mkdtempSync(join(tmpdir(), 'kluis-e2e-download-saved-'));
  let mails = 0;
  try {
    // The DPO, signed in once.
    const dpo = { email: 'e2e-download-dpo@demo.example', name: 'Privacy DPO', password: 'kastanje raadhuis vijver' };
    const staff = await dpoCtx.newPage();
    await activate(staff, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(staff, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(staff, 'dsr-download-dpo-mfa');

    let asked = false;
    for (const L of LANGS) {
      const ctx = await s.browser.newContext({ viewport: phone, bypassCSP: true, locale: L.locale, reducedMotion: 'reduce',
        acceptDownloads: true, isMobile: true, hasTouch: true });
      try {
        const page = await ctx.newPage();
        if (!asked) {
          // The citizen's data: a question sent through the e-loket with the address.
          await page.goto(`${s.baseURL}/demo/vraag?lang=nl`);
          await page.fill('#name', 'Burger Download');
          await page.fill('#email', address);
          await page.check('input[name=topic][value=waste]');
          await page.fill('#message', 'MARKER-E2E-DOWNLOAD De container is niet opgehaald.');
          assert.equal((await submit(page, 'main form button[type=submit]')).status(), 200);
          asked = true;
        }
        // Signs in with a one-time code and asks.
        await page.goto(`${s.baseURL}/demo/privacy/request?lang=${L.code}`);
        await page.fill('#email', address);
        await page.check(`#kind-${L.kind}`);
        assert.equal((await submit(page, 'main form button[type=submit]')).status(), 200);
        await page.fill('#code', codeOf(await capture.waitForMail(address, ++mails)));
        assert.equal((await submit(page, 'main form button[type=submit]')).status(), 200);
        assert.equal((await page.locator('h1').textContent()).trim(), L.done);
        const reference = (await page.locator('.reference-number').textContent()).trim();

        // The DPO approves and executes.
        let response = await staff.goto(`${s.baseURL}/demo/admin/requests/${reference}?lang=nl`);
        assert.equal(response.status(), 200);
        await staff.check('#decision-approve');
        await staff.fill('#reason', 'Adres bevestigd met een eenmalige code');
        assert.equal((await submit(staff, 'form[action$="/decide"] button[type=submit]')).status(), 200);
        assert.equal((await submit(staff, 'form[action$="/execute"] button[type=submit]')).status(), 200);
        assert.ok(await staff.locator('a[href$="/package?format=zip"]').count(), 'staff can download the ZIP');
        if (L.code === 'nl') {
          await expectNoAxeViolations(staff, 'the executed request in the back office');
          await shot(staff, 'dsr-download-staff-nl');
        }

        // The answer-ready mail's link: a token and the language, nothing personal.
        const ready = unQP(await capture.waitForMail(address, ++mails));
        assert.ok(ready.includes(reference), 'the answer-ready mail names the reference');
        const m = ready.match(/\/demo\/privacy\/package\/([A-Za-z0-9_-]{20,})\?lang=(nl|fr|en)/);
        assert.ok(m, `no link in ${ready}`);
        assert.equal(m[2], L.code);
        assert.ok(!m[0].includes('download.e2e'), 'the link names the person');

        response = await page.goto(`${s.baseURL}${m[0]}`);
        assert.equal(response.status(), 200);
        assert.equal((await page.locator('h1').textContent()).trim(), L.heading);
        const main = await page.locator('main').textContent();
        assert.ok(main.includes(L.pdf), 'the page says what is in the package');
        assert.ok(/\d\d\.\d\d\.\d{4}/.test(main), 'the page says until when');
        assert.ok(!main.includes(address) && !main.includes('MARKER'), 'the page reveals nothing before the code');
        await check(page, `the download page (${L.code})`, `dsr-download-link-${L.code}`);

        assert.equal((await submit(page, 'main form[action$="/code"] button[type=submit]')).status(), 200);
        assert.equal((await page.locator('main h2').nth(1).textContent()).trim(), L.sent);
        await check(page, `the download code step (${L.code})`, `dsr-download-code-${L.code}`);
        const code = codeOf(await capture.waitForMail(address, ++mails));

        await page.fill('#code', code === '000000' ? '000001' : '000000');
        assert.equal((await submit(page, 'main form[action$="/download"] button[type=submit]')).status(), 422);
        assert.ok((await page.locator('.error-summary a[href="#code"]').textContent()).includes(L.codeError));
        assert.equal(await page.locator('#code[aria-invalid=true]').getAttribute('aria-describedby'), 'code-hint code-error');
        await check(page, `a wrong download code (${L.code})`, `dsr-download-code-error-${L.code}`);

        // The right code: the browser saves the ZIP, which holds what the page promised.
        await page.fill('#code', code);
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('main form[action$="/download"] button[type=submit]')]);
        const saved = join(dir, `${L.code}-${download.suggestedFilename()}`);
        await download.saveAs(saved);
        assert.ok(download.suggestedFilename().endsWith('.zip'), download.suggestedFilename());
        const listing = execFileSync('unzip', ['-Z1', saved], { encoding: 'utf8' }).split('\n').filter(Boolean);
        for (const want of ['package.json', 'package.schema.json', 'package.csv', 'submissions.csv', L.pdf]) {
          assert.ok(listing.includes(want), `the ZIP lacks ${want}: ${listing.join(', ')}`);
        }
        const pkg = JSON.parse(execFileSync('unzip', ['-p', saved, 'package.json'], { encoding: 'utf8' }));
        assert.equal(pkg.reference, reference);
        assert.equal(pkg.submissions.length, 1);
        assert.ok(JSON.stringify(pkg.submissions[0].answers).includes('MARKER-E2E-DOWNLOAD'));
        const pdf = execFileSync('unzip', ['-p', saved, L.pdf]);
        assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
        // The page is still there after the download, with one download fewer left.
        await check(page, `the download page after the download (${L.code})`, `dsr-download-after-${L.code}`);

        // A link that is none: a clear page in the citizen's language, nothing revealed.
        response = await page.goto(`${s.baseURL}/demo/privacy/package/not-a-real-token?lang=${L.code}`);
        assert.equal(response.status(), 404);
        assert.equal((await page.locator('h1').textContent()).trim(), L.unknown);
        await check(page, `an unknown link (${L.code})`, `dsr-download-unknown-${L.code}`);
      } finally {
        await ctx.close();
      }
    }
  } finally {
    await dpoCtx.close();
    capture.close();
  }
});
