// Every kind of data-subject request (DSR-1), in Debian's Chromium: the public page offers
// all six kinds, each explained, and refuses a rectification without what is wrong, field by
// field; the DPO files a rectification for a citizen, approves it, and corrects a value: a
// phone number the form would refuse is refused with the form's own message and nothing
// changes, a good value is saved and the old one shown in the history; an objection is
// decided with its own choices (a purpose, freeze or erase) and upheld; an erasure reports per
// place what it removed and kept. Dutch and French, desktop and phone (no sideways scroll), axe
// clean. Screenshots: e2e/artifacts/kinds-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/kinds.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, expectNoAxeViolations, invite, login, shot, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-kinds-' });

const LANGS = [
  { code: 'nl', wrongError: 'Zeg welk gegeven fout is', phoneError: 'Vul een geldig telefoonnummer in', rectified: 'De waarde is verbeterd',
    history: 'Verbeterde waarden', places: 'Per plaats', upheld: 'Bezwaar gegrond (verwerking stopt)' },
  { code: 'fr', wrongError: 'Indiquez quelle donnée est inexacte', phoneError: 'Indiquez un numéro de téléphone valable', rectified: 'La valeur a été rectifiée',
    history: 'Valeurs rectifiées', places: 'Par emplacement', upheld: 'Opposition fondée (le traitement s\'arrête)' },
];

test('every kind: filed on the public page, rectified by the DPO as the form validates', { timeout: 300_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const page = await ctx.newPage();
    for (const L of LANGS) {
      // The citizen's data: a question with a name and an address.
      await page.goto(`${s.baseURL}/demo/vraag?lang=nl`);
      await page.fill('#name', `Burger ${L.code}`);
      await page.fill('#email', `kinds.${L.code}@example.be`);
      await page.check('input[name=topic][value=waste]');
      await page.fill('#message', 'De container is niet opgehaald.');
      assert.equal((await submit(page, 'main form button[type=submit]')).status(), 200);

      let response = await page.goto(`${s.baseURL}/demo/privacy/request?lang=${L.code}`);
      assert.equal(response.status(), 200);
      for (const kind of ['access', 'portability', 'rectification', 'erasure', 'restriction', 'objection']) {
        assert.equal(await page.locator(`#kind-${kind}`).count(), 1, kind);
      }
      await expectNoAxeViolations(page, `the public request page (${L.code})`);
      await shot(page, `kinds-citizen-${L.code}`);
      await page.fill('#email', `kinds.${L.code}@example.be`);
      await page.check('#kind-rectification');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 422);
      assert.equal((await page.locator('.error-summary a[href="#wrong"]').textContent()).trim(), L.wrongError);
      assert.equal(await page.locator('#wrong[aria-invalid=true]').getAttribute('aria-describedby'), 'wrong-hint wrong-error');
      await expectNoAxeViolations(page, `the public request page with errors (${L.code})`);
      await shot(page, `kinds-citizen-error-${L.code}`);
      await page.fill('#wrong', 'Mijn telefoonnummer');
      await page.fill('#correction', '0470 12 34 56');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal(await page.locator('input[name=challenge]').count(), 1);
    }

    const dpo = { email: 'e2e-kinds-dpo@demo.example', name: 'Kinds DPO', password: 'kastanje raadhuis vijver' };
    await activate(page, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(page, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(page, 'kinds-dpo-mfa');
    for (const L of LANGS) {
      let response = await page.goto(`${s.baseURL}/demo/admin/requests/new?lang=${L.code}`);
      await page.check('#kind-rectification');
      await page.fill('#name', `Burger ${L.code}`);
      await page.fill('#email', `kinds.${L.code}@example.be`);
      await page.fill('#wrong', 'Telefoonnummer');
      await page.fill('#correction', '0470 12 34 56');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      await page.goto(`${s.baseURL}/demo/admin/requests?lang=${L.code}`);
      const row = page.locator('tbody tr', { hasText: `Burger ${L.code}` });
      assert.match(await row.textContent(), /VZ-\d{4}-\d{4}/);
      await submit(page, `tbody tr:has-text("Burger ${L.code}") a`);
      await page.check('#decision-approve');
      await page.fill('#reason', 'Identiteit gecontroleerd');
      response = await submit(page, 'form[action$="/decide"] button[type=submit]');
      assert.equal(response.status(), 200);
      await expectNoAxeViolations(page, `the rectification form (${L.code})`);
      await shot(page, `kinds-rectify-${L.code}`);

      const phone = await page.locator('#target option', { hasText: /· (Telefoonnummer|Numéro de téléphone)/ }).first().getAttribute('value');
      await page.selectOption('#target', phone);
      await page.fill('#value', 'geen nummer');
      response = await submit(page, 'form[action$="/rectify"] button[type=submit]');
      assert.equal(response.status(), 422);
      assert.ok((await page.locator('.error-summary a[href="#value"]').textContent()).includes(L.phoneError));
      assert.equal(await page.locator('#value[aria-invalid=true]').getAttribute('aria-describedby'), 'value-hint value-error');
      await expectNoAxeViolations(page, `the rectification with an error (${L.code})`);
      await shot(page, `kinds-rectify-error-${L.code}`);

      await page.fill('#value', '0470 12 34 56');
      response = await submit(page, 'form[action$="/rectify"] button[type=submit]');
      assert.equal(response.status(), 200);
      assert.ok((await page.locator('.notice').textContent()).includes(L.rectified));
      assert.ok((await page.locator('main').textContent()).includes(L.history));
      await expectNoAxeViolations(page, `the rectification history (${L.code})`);
      await shot(page, `kinds-rectified-${L.code}`);

      // An objection is decided with its own choices.
      await page.goto(`${s.baseURL}/demo/admin/requests/new?lang=${L.code}`);
      await page.check('#kind-objection');
      await page.fill('#name', `Bezwaar ${L.code}`);
      await page.fill('#email', `kinds.${L.code}@example.be`);
      await page.fill('#grounds', 'Geen nieuwsbrief meer');
      assert.equal((await submit(page, 'main form button[type=submit]')).status(), 200);
      await page.goto(`${s.baseURL}/demo/admin/requests?lang=${L.code}`);
      await submit(page, `tbody tr:has-text("Bezwaar ${L.code}") a`);
      assert.equal((await page.locator('label[for=decision-approve]').textContent()).trim(), L.upheld);
      await expectNoAxeViolations(page, `the objection (${L.code})`);
      await shot(page, `kinds-objection-${L.code}`);
      await page.selectOption('#purpose', 'online-services');
      await page.check('#decision-approve');
      await page.fill('#reason', 'Bezwaar gegrond');
      assert.equal((await submit(page, 'form[action$="/decide"] button[type=submit]')).status(), 200);
      assert.equal((await submit(page, 'form[action$="/execute"] button[type=submit]')).status(), 200);
      await expectNoAxeViolations(page, `the upheld objection (${L.code})`);
      await shot(page, `kinds-objection-upheld-${L.code}`);

      // An erasure says per place what it removed and what it kept, and why.
      await page.goto(`${s.baseURL}/demo/admin/requests/new?lang=${L.code}`);
      await page.check('#kind-erasure');
      await page.fill('#name', `Wissing ${L.code}`);
      await page.fill('#email', `kinds.${L.code}@example.be`);
      await page.fill('#grounds', 'Verhuisd');
      assert.equal((await submit(page, 'main form button[type=submit]')).status(), 200);
      await page.goto(`${s.baseURL}/demo/admin/requests?lang=${L.code}`);
      await submit(page, `tbody tr:has-text("Wissing ${L.code}") a`);
      await page.check('#decision-approve');
      await page.fill('#reason', 'Identiteit gecontroleerd');
      assert.equal((await submit(page, 'form[action$="/decide"] button[type=submit]')).status(), 200);
      assert.equal((await submit(page, 'form[action$="/execute"] button[type=submit]')).status(), 200);
      assert.ok((await page.locator('main').textContent()).includes(L.places), L.places);
      await expectNoAxeViolations(page, `the erasure report (${L.code})`);
      await shot(page, `kinds-erasure-${L.code}`);
    }
  } finally {
    await ctx.close();
  }
});
