// The retention page (SEC-1): an admin sees what each register category lets expire and
// the history of runs, is refused a legal hold without reason and with a wrong date at
// the fields, puts a form on hold and lifts it. In Dutch and French, on a desktop and on a
// 390 px phone, axe-clean, with screenshots in e2e/artifacts/retention-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/retention.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifactsDir, expectNoAxeViolations, invite, login, submit, suite, totp } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-retention-' });

async function look(page, name, what) {
  for (const [suffix, width] of [['desktop', 1280], ['phone', 390]]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(artifactsDir, `retention-${name}-${suffix}.png`), fullPage: true });
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
  nl: { heading: 'Bewaartermijnen', reason: 'Geef de reden van de bewaarplicht.', date: 'Schrijf de datum als dd.mm.jjjj',
    set: 'De bewaarplicht is ingesteld.', lifted: 'De bewaarplicht is opgeheven.', form: 'Vraag of melding' },
  fr: { heading: 'Durées de conservation', reason: 'Indiquez le motif de la conservation légale.', date: 'Écrivez la date au format jj.mm.aaaa',
    set: 'La conservation légale est imposée.', lifted: 'La conservation légale est levée.', form: 'Question ou signalement' },
};

test('retention page: outlook, runs, a legal hold refused, set and lifted, nl and fr, desktop and phone', { timeout: 240_000 }, async () => {
  const context = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const page = await context.newPage();
    const admin = { email: 'e2e-retention@demo.example', password: 'lindeboom waterput schelpenpad' };
    await page.goto(invite(s.kluis, admin.email, 'E2E Bewaring', 'nl', 'admin'));
    await page.fill('#password', admin.password);
    await page.fill('#password_confirm', admin.password);
    await submit(page, 'button[type=submit]');
    await login(page, s.baseURL, admin.email, admin.password);
    await page.fill('#code', totp(await page.locator('#secret').textContent()));
    await submit(page, 'form:has(#code) button[type=submit]');
    await submit(page, 'main a.button');

    for (const lang of ['nl', 'fr']) {
      const t = TEXT[lang];
      let response = await page.goto(`${s.baseURL}/demo/admin/register/retention?lang=${lang}`);
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), t.heading);
      assert.ok(await page.locator('nav a[aria-current="page"]').count() > 0, 'the page is marked in the navigation');
      await look(page, `page-${lang}`, `the retention page (${lang})`);

      await page.fill('#until', '31.02.2099');
      response = await submit(page, 'form[action$="/holds"] button[type=submit]');
      assert.equal(response.status(), 422);
      assert.match(await page.locator('.error-summary a[href="#reason"]').textContent(), new RegExp(t.reason));
      assert.match(await page.locator('.error-summary a[href="#until"]').textContent(), new RegExp(t.date));
      assert.equal(await page.getAttribute('#reason', 'aria-invalid'), 'true');
      await look(page, `error-${lang}`, `the hold form with errors (${lang})`);

      await page.selectOption('#form', { label: t.form });
      await page.fill('#reason', lang === 'nl' ? 'Inspectie door de toezichthouder' : 'Inspection par l’autorité de contrôle');
      await page.fill('#until', '31.12.2099');
      response = await submit(page, 'form[action$="/holds"] button[type=submit]');
      assert.equal(response.status(), 200);
      assert.ok((await page.locator('main').textContent()).includes(t.set));
      assert.ok((await page.locator('#holds ~ div table').textContent()).includes('31.12.2099'));
      await look(page, `held-${lang}`, `the page with a hold (${lang})`);

      response = await submit(page, 'form[action$="/lift"] button[type=submit]');
      assert.equal(response.status(), 200);
      assert.ok((await page.locator('main').textContent()).includes(t.lifted));
    }
  } finally {
    await context.close();
  }
});
