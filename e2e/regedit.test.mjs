// The processing register edited in the browser (REG-1): an admin changes a category's
// retention period in the register form, sees the comparison (what changes, which forms'
// data the new retention applies to) before saving, goes back to the form with what was
// typed, and saves; a broken rule is refused at its field; two versions are compared.
// In Dutch and French, on a desktop and on a 390 px phone, axe-clean, with screenshots
// of every page in e2e/artifacts/regedit-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/regedit.test.mjs
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

const s = suite({ tmpPrefix: 'kluis-e2e-regedit-' });

// Screenshots at 1280 and 390 px wide, axe at both widths, and no sideways scrolling on
// the phone (WCAG 1.4.10).
async function look(page, name, what) {
  for (const [suffix, width] of [['desktop', 1280], ['phone', 390]]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(artifactsDir, `regedit-${name}-${suffix}.png`), fullPage: true });
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    assert.ok(scroll <= client, `${what} scrolls sideways at ${width} px: ${scroll} > ${client}`);
    await expectNoAxeViolations(page, `${what} at ${width} px`, { keepCSP: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const TEXT = {
  nl: {
    category: 'Contactgegevens: naam, e-mail, telefoon',
    preview: 'Bekijk de wijzigingen',
    line: (o, n) => `Bewaartermijn in dagen: ${o} dagen → ${n} dagen`,
    shorter: (o, n) => `wordt korter: van ${o} naar ${n} dagen`,
    forms: 'Dit geldt voor de gegevens van:',
    save: 'Opslaan',
    back: 'Terug',
    saved: (v) => `Het register is opgeslagen als versie ${v}.`,
    number: 'Bewaartermijn in dagen: vul een geheel getal in',
    compare: 'Van versie 1 naar versie 2',
  },
  fr: {
    category: 'Coordonnées : nom, e-mail, téléphone',
    preview: 'Voir les modifications',
    line: (o, n) => `Délai de conservation en jours : ${o} jours → ${n} jours`,
    shorter: (o, n) => `devient plus court : de ${o} à ${n} jours`,
    forms: 'Cela s\'applique aux données de :',
    save: 'Enregistrer',
    back: 'Retour',
    saved: (v) => `version ${v}`,
    number: 'Délai de conservation en jours : indiquez un nombre entier',
    compare: 'De la version 1 à la version 2',
  },
};

test('register edited in the browser: a retention period changed through the comparison, nl and fr, desktop and phone', { timeout: 240_000 }, async () => {
  const context = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const page = await context.newPage();
    // An admin, bootstrapped with the CLI, with a second factor.
    const admin = { email: 'e2e-regedit@demo.example', password: 'lindeboom waterput schelpenpad' };
    await page.goto(invite(s.kluis, admin.email, 'E2E Register', 'nl', 'admin'));
    await page.fill('#password', admin.password);
    await page.fill('#password_confirm', admin.password);
    await submit(page, 'button[type=submit]');
    await login(page, s.baseURL, admin.email, admin.password);
    assert.match(page.url(), /\/demo\/account\/mfa/);
    await page.fill('#code', totp(await page.locator('#secret').textContent()));
    await submit(page, 'form:has(#code) button[type=submit]');
    await submit(page, 'main a.button');

    let retention = 730;
    let version = 1;
    for (const lang of ['nl', 'fr']) {
      const t = TEXT[lang];
      const next = lang === 'nl' ? 365 : 400;
      // The register page lists the categories; the admin opens one.
      let response = await page.goto(`${s.baseURL}/demo/admin/register?lang=${lang}`);
      assert.equal(response.status(), 200);
      await look(page, `register-${lang}`, `the register page (${lang})`);
      response = await submit(page, `#register-edit ~ ul a[href$="?item=contact"]`);
      assert.equal(response.status(), 200);
      assert.match(page.url(), /\/demo\/admin\/register\/edit\/categories\?item=contact$/);
      assert.equal(await page.inputValue('#retention_days'), String(retention));
      await look(page, `form-${lang}`, `the category form (${lang})`);

      // A broken rule first: refused at the field, nothing saved.
      await page.fill('#retention_days', 'twee jaar');
      response = await submit(page, 'button[value=preview]');
      assert.equal(response.status(), 422);
      assert.match(await page.locator('.error-summary a[href="#retention_days"]').textContent(), new RegExp(t.number));
      assert.equal(await page.getAttribute('#retention_days', 'aria-invalid'), 'true');
      await look(page, `form-error-${lang}`, `the category form with an error (${lang})`);

      // The new period: the comparison before saving.
      await page.fill('#retention_days', String(next));
      response = await submit(page, 'button[value=preview]');
      assert.equal(response.status(), 200);
      const main = () => page.locator('main').textContent();
      let text = await main();
      assert.ok(text.includes(t.line(retention, next)), `the comparison says ${t.line(retention, next)}:\n${text}`);
      if (next < retention) assert.ok(text.includes(t.shorter(retention, next)), 'the retention impact says shorter');
      assert.ok(text.includes(t.forms), 'the retention impact names the forms whose data it applies to');
      assert.ok(!/\b(retention_days|anonymise|contact)\b/.test(text), 'no raw codes on the comparison');
      await look(page, `preview-${lang}`, `the comparison (${lang})`);

      // Back keeps the edit; the comparison again, then save.
      await submit(page, `button[value=back]`);
      assert.equal(await page.inputValue('#retention_days'), String(next), '"back" keeps what was typed');
      await submit(page, 'button[value=preview]');
      response = await submit(page, 'button[value=save]');
      assert.equal(response.status(), 200);
      version++;
      assert.match(page.url(), new RegExp(`/demo/admin/register\\?saved=${version}$`));
      assert.ok((await page.locator('.notice[role=status]').textContent()).includes(t.saved(version)));
      retention = next;

      // The two versions compared from the history.
      response = await page.goto(`${s.baseURL}/demo/admin/register/compare?from=1&to=2&lang=${lang}`);
      assert.equal(response.status(), 200);
      text = await main();
      assert.ok(text.includes(t.compare) && text.includes(t.line(730, 365)), `the comparison of versions 1 and 2:\n${text}`);
      await look(page, `compare-${lang}`, `the version comparison (${lang})`);
    }

    // The general details' form and every section's form to add an item, in Dutch.
    for (const section of ['general', 'purposes', 'categories', 'data-subjects', 'recipients', 'sub-processors', 'applications']) {
      const response = await page.goto(`${s.baseURL}/demo/admin/register/edit/${section}?lang=nl`);
      assert.equal(response.status(), 200);
      await look(page, `add-${section}`, `the form to add to ${section}`);
    }
    // Removing a recipient that categories still name is refused, naming them; removing
    // a sub-processor nothing names goes to the comparison.
    await page.goto(`${s.baseURL}/demo/admin/register/edit/recipients?item=case-system`);
    let response = await submit(page, 'form:has(input[name=op][value=remove]) button');
    assert.equal(response.status(), 422);
    assert.ok((await page.locator('#register-other').textContent()).includes('Bij gegevenscategorie'));
    await look(page, 'remove-refused', 'a refused removal');
    await page.goto(`${s.baseURL}/demo/admin/register/edit/sub-processors?item=backup`);
    response = await submit(page, 'form:has(input[name=op][value=remove]) button');
    assert.equal(response.status(), 200);
    assert.ok((await page.locator('main').textContent()).includes('Verwijderd: subverwerker'));
    await look(page, 'preview-remove', 'the comparison of a removal');

    // YAML stays for bulk work: an upload goes through the same comparison before it is saved.
    const yaml = await (await page.request.get(`${s.baseURL}/demo/admin/register.yaml`)).text();
    const edited = yaml.replace('retention_days: 1825', 'retention_days: 3650');
    assert.notEqual(edited, yaml, 'the download has a retention of 1825 days');
    await page.goto(`${s.baseURL}/demo/admin/register?lang=fr`);
    await page.setInputFiles('#register-file', { name: 'register.yaml', mimeType: 'application/yaml', buffer: Buffer.from(edited) });
    response = await submit(page, 'form:has(#register-file) button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok((await page.locator('main').textContent()).includes('1825 jours → 3650 jours'), 'the upload is compared first');
    await look(page, 'preview-upload-fr', 'the comparison of an upload');
    response = await submit(page, 'button:text-is("Enregistrer")');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/register\?saved=4$/);
  } finally {
    await context.close();
  }
});
