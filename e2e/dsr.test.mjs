// Data-subject requests (DSR-1, DSR-2), in Debian's Chromium: a DPO files a citizen's
// request from Privacy (every field checked, the error summary linking to each), finds it
// in the list with its deadline clock, approves it with a reason, executes it and sees the
// package downloads; in Dutch and in French, on a desktop and on a phone (no sideways
// scroll, axe clean). Screenshots go to e2e/artifacts/dsr-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/dsr.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, expectNoAxeViolations, invite, login, shot, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-dsr-' });

const LANGS = [
  { code: 'nl', section: 'Privacy', file: 'Verzoek registreren', kind: 'access', person: 'An Peeters', email: 'an.peeters@voorbeeld.be',
    nameError: 'Vul de naam van de betrokkene in', filed: 'Het verzoek is geregistreerd.', clock: 'nog ', executed: 'Het verzoek is uitgevoerd.',
    json: 'Download als JSON (met schema)' },
  { code: 'fr', section: 'Vie privée', file: 'Enregistrer une demande', kind: 'portability', person: 'Luc Dubois', email: 'luc.dubois@exemple.be',
    nameError: 'Indiquez le nom de la personne concernée', filed: 'La demande est enregistrée.', clock: 'encore ', executed: 'La demande est exécutée.',
    json: 'Télécharger en JSON (avec schéma)' },
];

test('data-subject requests: filed, approved by the DPO, then executed', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const dpo = { email: 'e2e-dsr-dpo@demo.example', name: 'Privacy DPO', password: 'kastanje raadhuis vijver' };
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(page, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(page, 'dsr-dpo-mfa');

    for (const lang of LANGS) {
      let response = await page.goto(`${s.baseURL}/demo/signed-in?lang=${lang.code}`);
      assert.equal(response.status(), 200);
      response = await submit(page, `nav a:text-is("${lang.section}")`);
      assert.equal(response.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/demo/admin/requests');
      await expectNoAxeViolations(page, `the requests list (${lang.code})`);

      response = await submit(page, `main a:text-is("${lang.file}")`);
      assert.equal(response.status(), 200);
      await expectNoAxeViolations(page, `the filing form (${lang.code})`);
      await shot(page, `dsr-new-${lang.code}`);

      await page.fill('#email', 'geen-adres');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 422);
      assert.equal((await page.locator('.error-summary a[href="#name"]').textContent()).trim(), lang.nameError);
      assert.equal(await page.locator('.error-summary a').count(), 3); // kind, name, e-mail
      assert.equal(await page.locator('#name[aria-invalid=true]').getAttribute('aria-describedby'), 'name-error');
      await expectNoAxeViolations(page, `the filing form with errors (${lang.code})`);
      await shot(page, `dsr-new-error-${lang.code}`);

      await page.check(`#kind-${lang.kind}`);
      await page.fill('#name', lang.person);
      await page.fill('#email', lang.email);
      await page.selectOption('#lang', lang.code);
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.ok((await page.locator('.notice').textContent()).includes(lang.filed));

      response = await page.goto(`${s.baseURL}/demo/admin/requests`);
      const row = page.locator('tbody tr', { hasText: lang.person });
      assert.ok((await row.textContent()).includes(lang.clock));
      await shot(page, `dsr-list-${lang.code}`);
      response = await submit(page, `tbody a:text-is("${lang.person}")`);
      assert.equal(response.status(), 200);
      await expectNoAxeViolations(page, `the request page (${lang.code})`);
      await shot(page, `dsr-request-${lang.code}`);
      // No execution is offered before the approval.
      assert.equal(await page.locator('form[action$="/execute"]').count(), 0);

      response = await submit(page, 'form[action$="/decide"] button[type=submit]');
      assert.equal(response.status(), 422);
      assert.equal(await page.locator('.error-summary a').count(), 2); // decision, reason
      await expectNoAxeViolations(page, `the decision with errors (${lang.code})`);
      await shot(page, `dsr-decide-error-${lang.code}`);
      await page.check('#decision-approve');
      await page.fill('#reason', 'Identiteitskaart gezien aan het loket');
      response = await submit(page, 'form[action$="/decide"] button[type=submit]');
      assert.equal(response.status(), 200);
      response = await submit(page, 'form[action$="/execute"] button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('.notice').textContent()).trim(), lang.executed);
      assert.equal(await page.locator(`a:text-is("${lang.json}")`).count(), 1);
      await expectNoAxeViolations(page, `the executed request (${lang.code})`);
      await shot(page, `dsr-executed-${lang.code}`);
    }

    // An erasure states what it did and what stays; a restriction offers to be lifted.
    for (const [kind, lead] of [['erasure', 'Resultaat van de wissing'], ['restriction', 'Beperking opheffen en afsluiten']]) {
      let response = await page.goto(`${s.baseURL}/demo/admin/requests/new?lang=nl`);
      await page.check(`#kind-${kind}`);
      await page.fill('#name', 'Bo Janssens');
      await page.fill('#insz', '85.07.31-003.28');
      await page.fill('#grounds', 'Verhuisd naar het buitenland');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      await page.goto(`${s.baseURL}/demo/admin/requests`);
      await submit(page, `tbody tr:has-text("${kind === 'erasure' ? 'Wissing' : 'Beperking'}") a`);
      await page.check('#decision-approve');
      await page.fill('#reason', 'Identiteit gecontroleerd');
      await submit(page, 'form[action$="/decide"] button[type=submit]');
      response = await submit(page, 'form[action$="/execute"] button[type=submit]');
      assert.equal(response.status(), 200);
      assert.ok((await page.locator('main').textContent()).includes(lead), `${kind}: ${lead}`);
      await expectNoAxeViolations(page, `the executed ${kind}`);
      await shot(page, `dsr-${kind}-nl`);
    }
  } finally {
    await ctx.close();
  }
});
