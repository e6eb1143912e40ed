// A form in steps as a citizen uses it (issue 10), in Debian's Chromium: the demo's
// residents' parking permit, three pages and an attachment scanned by a real clamd. The
// citizen is stopped by the first page's own checks, fills each page, chooses the file and
// goes back a step (everything kept, the file too), reviews the answers, changes one page
// from the review, opens the full privacy notice and sends; the receipt lists the file.
// In Dutch and French, at desktop and phone width; axe on every page, no sideways scroll,
// a screenshot of each state in e2e/artifacts/steps-<lang>-<viewport>-<state>.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/steps.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  KluisServer,
  artifactsDir,
  expectNoAxeViolations,
  launchChromium,
  makeArtifactsDir,
  startClamd,
} from './harness.mjs';

let kluis;
let baseURL;
let browser;
let clamd;

before(async () => {
  makeArtifactsDir();
  clamd = await startClamd();
  kluis = new KluisServer({
    tmpPrefix: 'kluis-e2e-steps-',
    // Every step is a post: the per-address limit would stop four citizens on one address.
    env: { KLUIS_FORM_RATE_LIMIT: '1000', ...(clamd ? { KLUIS_CLAMD: `unix:${clamd.socket}` } : {}) },
  });
  await kluis.start();
  baseURL = kluis.baseURL;
  browser = await launchChromium({ extraArgs: ['--disable-quic'] });
});

after(async () => {
  await browser?.close();
  await kluis?.stop();
  clamd?.stop();
});

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

const LANGS = [
  { code: 'nl', locale: 'nl-BE', htmlLang: 'nl-BE', title: 'Parkeervergunning voor bewoners', step: (n) => `Stap ${n} van 3:`,
    next: 'Volgende', prev: 'Vorige', send: 'Verzenden', change: 'Wijzigen: Adres en wagen', required: /Vul dit veld in/,
    review: 'Kijk uw antwoorden na', kept: /Al toegevoegd: inschrijvingsbewijs\.pdf/, received: /goed ontvangen/, status: 'Nieuw',
    pages: ['Uw gegevens', 'Adres en wagen', 'Bewijsstuk', 'Nakijken en verzenden'], full: 'De volledige privacyverklaring bij dit formulier' },
  { code: 'fr', locale: 'fr-BE', htmlLang: 'fr-BE', title: 'Permis de stationnement pour riverains', step: (n) => `Étape ${n} sur 3 :`,
    next: 'Suivant', prev: 'Précédent', send: 'Envoyer', change: 'Modifier : Adresse et véhicule', required: /Complétez ce champ/,
    review: 'Vérifiez vos réponses', kept: /Déjà ajouté : inschrijvingsbewijs\.pdf/, received: /a bien reçu/, status: 'Nouveau',
    pages: ['Vos données', 'Adresse et véhicule', 'Justificatif', 'Vérifier et envoyer'], full: 'La déclaration de confidentialité complète de ce formulaire' },
];

const VIEWPORTS = [
  { name: 'desktop', options: { viewport: { width: 1280, height: 900 } } },
  { name: 'phone', options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
];

for (const l of LANGS) {
  for (const vp of VIEWPORTS) {
    test(`steps-${l.code}-${vp.name}: a citizen fills a three-page form, goes back, reviews, sends, and later looks up the status`, { timeout: 180_000 }, async (t) => {
      if (!clamd) {
        t.skip('clamd not installed (apt-get install clamav-daemon): the form takes an attachment');
        return;
      }
      const context = await browser.newContext({ ...vp.options, bypassCSP: true, locale: l.locale, reducedMotion: 'reduce' });
      try {
        const page = await context.newPage();
        // Every state: the language, no sideways scroll, axe clean, a screenshot.
        const check = async (state) => {
          assert.equal(await page.locator('html').getAttribute('lang'), l.htmlLang, `${state}: html lang`);
          const o = await page.evaluate(() => ({ s: document.documentElement.scrollWidth, c: document.documentElement.clientWidth }));
          assert.ok(o.s <= o.c, `${state} scrolls sideways: ${o.s} > ${o.c}`);
          await page.screenshot({ path: join(artifactsDir, `steps-${l.code}-${vp.name}-${state}.png`), fullPage: true });
          await expectNoAxeViolations(page, `${state} (${l.code}, ${vp.name})`);
        };
        // The step indicator: an ordered list, the current step marked for assistive technology.
        const atStep = async (n, state) => {
          assert.equal(await page.locator('nav.steps ol > li').count(), 4, `${state}: four entries in the step indicator`);
          assert.equal((await page.locator('nav.steps li[aria-current="step"]').textContent()).trim(), l.pages[n - 1], `${state}: current step`);
          if (n <= 3) assert.match(await page.locator('#step-heading').textContent(), new RegExp(`^\\s*${l.step(n)}\\s*${l.pages[n - 1]}\\s*$`));
        };
        const press = async (name) => {
          const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
          return response;
        };

        let response = await page.goto(`${baseURL}/demo/?lang=${l.code}`);
        assert.equal(response.status(), 200);
        [response] = await Promise.all([page.waitForNavigation(), page.click(`main a:text-is("${l.title}")`)]);
        assert.equal(response.status(), 200);
        await atStep(1, 'step 1');
        assert.equal(await page.locator('#plate').count(), 0, 'one page at a time');
        await check('step1');

        // Next judges this page only.
        response = await press(l.next);
        assert.equal(response.status(), 422);
        assert.match(await page.locator('.error-summary').textContent(), l.required);
        assert.equal(await page.locator('.error-summary a[href="#plate"]').count(), 0, 'another page is not judged');
        await atStep(1, 'step 1 with errors');
        await check('step1-errors');

        await page.fill('#name', 'Sofie Claes');
        await page.fill('#email', 'sofie.claes@example.be');
        await page.fill('#phone', '0470 12 34 56');
        response = await press(l.next);
        assert.equal(response.status(), 200);
        await atStep(2, 'step 2');
        await check('step2');

        await page.fill('#address_street', 'Veldstraat');
        await page.fill('#address_number', '3');
        await page.fill('#address_postcode', '9000');
        await page.fill('#address_municipality', 'Gent');
        await page.fill('#plate', '1-ABC-123');
        response = await press(l.next);
        assert.equal(response.status(), 200);
        await atStep(3, 'step 3');
        await check('step3');

        // The file chosen, then back a step: everything kept, the file too.
        await page.setInputFiles('#registration', { name: 'inschrijvingsbewijs.pdf', mimeType: 'application/pdf', buffer: PDF });
        await page.fill('#remarks', 'Tweede wagen van het gezin.');
        response = await press(l.prev);
        assert.equal(response.status(), 200);
        await atStep(2, 'back at step 2');
        assert.equal(await page.locator('#plate').inputValue(), '1-ABC-123', 'previous keeps what was typed');
        assert.equal(await page.locator('#address_street').inputValue(), 'Veldstraat');
        await check('step2-back');
        response = await press(l.next);
        await atStep(3, 'step 3 again');
        assert.match(await page.locator('.file-kept').textContent(), l.kept, 'the attachment is kept, not chosen again');
        assert.equal(await page.locator('#remarks').inputValue(), 'Tweede wagen van het gezin.');
        await check('step3-kept');

        // The review: every answer, per page, a change button each, the notice in short.
        response = await press(l.next);
        assert.equal(response.status(), 200);
        await atStep(4, 'review');
        const main = await page.locator('main').textContent();
        for (const want of ['Sofie Claes', 'sofie.claes@example.be', 'Veldstraat 3, 9000 Gent', '1-ABC-123', 'inschrijvingsbewijs.pdf',
          'Tweede wagen van het gezin.', l.review]) {
          assert.ok(main.includes(want), `the review shows ${want}`);
        }
        assert.equal(await page.locator('.review-group').count(), 3);
        assert.equal(await page.locator('.notice-short > ul > li').count(), 4, 'who, why, how long, your rights');
        assert.equal(await page.locator('details.notice-full').getAttribute('open'), null, 'the full notice is a click away');
        await check('review');
        await page.locator('details.notice-full summary').click();
        assert.ok(await page.locator('.notice-art13').isVisible(), 'the full notice opens');
        await check('review-notice-open');

        // Change the second page from the review, and back to the review.
        response = await press(l.change);
        await atStep(2, 'changing step 2');
        assert.equal(await page.locator('#plate').inputValue(), '1-ABC-123');
        await page.fill('#plate', '2-XYZ-987');
        await press(l.next);
        await press(l.next);
        await atStep(4, 'review after the change');
        assert.ok((await page.locator('main').textContent()).includes('2-XYZ-987'), 'the change is on the review');

        response = await press(l.send);
        assert.equal(response.status(), 200);
        assert.match(page.url(), /\/demo\/receipt\/parkeervergunning$/);
        assert.match(await page.locator('.notice[role=status]').textContent(), l.received);
        assert.match(await page.locator('.reference-number').textContent(), /^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
        assert.match(await page.locator('main').textContent(), /2-XYZ-987[\s\S]*inschrijvingsbewijs\.pdf/);
        await check('receipt');

        // Later, from the e-loket's navigation: the request looked up by its reference and the
        // address given — the status only, nothing of the answers.
        const reference = (await page.locator('.reference-number').textContent()).trim();
        response = await page.goto(`${baseURL}/demo/?lang=${l.code}`);
        assert.equal(response.status(), 200);
        await Promise.all([page.waitForNavigation(), page.click('header nav a[href="/demo/lookup"]')]);
        await page.fill('#reference', reference);
        await page.fill('#email', 'sofie.claes@example.be');
        [response] = await Promise.all([page.waitForNavigation(), page.click('main form[action$="/lookup"] button[type=submit]')]);
        assert.equal(response.status(), 200);
        const found = await page.locator('main').textContent();
        assert.ok(found.includes(reference) && found.includes(l.status), `the look-up shows ${reference} as ${l.status}`);
        assert.ok(!found.includes('2-XYZ-987') && !found.includes('sofie.claes'), 'the look-up shows no answers');
        await check('lookup');
      } finally {
        await context.close();
      }
    });
  }
}
