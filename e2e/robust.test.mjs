// Browser test: one submission whose sealed answers were damaged fails only its own row (SEC-3).
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/robust.test.mjs
//
// Starts `kluis serve --demo`, has a citizen send two questions, damages one ciphertext with
// sqlite3 (as a bad disk or a hand in the database would), grants a clerk the form in the
// database, and checks as that clerk, in nl and fr, desktop and phone: the inbox lists both,
// the damaged one as "Kan niet worden geopend"; its page says it cannot be opened (409) with a
// reference and a way back; axe finds nothing; no sideways scrolling on a phone. Screenshots:
// e2e/artifacts/robust-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  artifactsDir,
  expectNoAxeViolations,
  invite,
  login,
  suite,
} from './harness.mjs';

const VIEWPORTS = [
  { name: 'desktop', options: { viewport: { width: 1280, height: 900 } } },
  { name: 'phone', options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
];
const LANGS = [
  { code: 'nl', locale: 'nl-BE', unreadable: 'Kan niet worden geopend', title: /kan niet worden geopend/ },
  { code: 'fr', locale: 'fr-BE', unreadable: 'Ne peut pas être ouvert', title: /ne peut pas être ouvert/ },
];

const s = suite({ tmpPrefix: 'kluis-e2e-robust-' });

// sql runs statements on the demo's SQLite database, beside the running server.
function sql(statement) {
  const res = spawnSync('sqlite3', ['-cmd', '.timeout 10000', join(s.kluis.workDir, 'data', 'kluis.db'), statement], { encoding: 'utf8' });
  assert.equal(res.status, 0, `sqlite3: ${res.stderr}`);
  return res.stdout.trim();
}

async function sendQuestion(page, name) {
  await page.goto(`${s.kluis.baseURL}/demo/vraag`);
  await page.fill('#name', name);
  await page.fill('#email', 'burger@demo.example');
  await page.check('input[name=topic][value=waste]');
  await page.fill('#message', 'De container in de Kerkstraat is vol.');
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);
  assert.equal(response.status(), 200, `sending ${name}: ${page.url()}`);
}

// The sqlite3 tool damages the ciphertext; CI installs it (.ci/run), elsewhere its absence skips.
const haveSqlite3 = spawnSync('sqlite3', ['-version']).status === 0;
if (!haveSqlite3 && (process.env.CI === 'true' || process.env.CI === '1')) {
  throw new Error('sqlite3 is required for e2e/robust.test.mjs in CI (apt-get install sqlite3)');
}

test('an unreadable submission fails only its own row, in nl and fr, desktop and phone', {
  timeout: 180_000,
  skip: haveSqlite3 ? false : 'sqlite3 is not installed (apt-get install sqlite3)',
}, async () => {
  const citizen = await s.browser.newPage({ locale: 'nl-BE' });
  await sendQuestion(citizen, 'Goed Leesbaar');
  await sendQuestion(citizen, 'Kapot Versleuteld');
  await citizen.close();
  const [id, reference] = sql(`SELECT id, reference FROM submissions ORDER BY created_at DESC, id DESC LIMIT 1`).split('|');
  // One byte less: the AES-GCM tag no longer matches.
  sql(`UPDATE submissions SET data = substr(data, 1, length(data) - 1) WHERE id = '${id}'`);

  const password = 'kastanje rivierbocht lindelaan';
  const link = invite(s.kluis, 'e2e-robust@demo.example', 'Robuuste Behandelaar', 'nl');
  const setup = await s.browser.newPage();
  await setup.goto(link);
  await setup.fill('#password', password);
  await setup.fill('#password_confirm', password);
  await Promise.all([setup.waitForNavigation(), setup.click('button[type=submit]')]);
  await setup.close();
  sql(`INSERT INTO form_access (tenant_id, user_id, form_key, granted_by, granted_at)
       SELECT tenant_id, id, 'vraag', 'e2e', 0 FROM users WHERE email_index IS NOT NULL AND status = 'active'
       AND id NOT IN (SELECT user_id FROM form_access)`);

  for (const lang of LANGS) {
    for (const vp of VIEWPORTS) {
      const ctx = await s.browser.newContext({ ...vp.options, bypassCSP: true, locale: lang.locale });
      const page = await ctx.newPage();
      await login(page, s.kluis.baseURL, 'e2e-robust@demo.example', password);
      let response = await page.goto(`${s.kluis.baseURL}/demo/inbox?lang=${lang.code}`);
      assert.equal(response.status(), 200, 'the inbox answers');
      const body = await page.locator('main').innerText();
      assert.ok(body.includes('Goed Leesbaar'), 'the readable submission is listed with its summary');
      assert.ok(body.includes(reference), 'the damaged submission is listed by its reference');
      assert.equal(await page.locator(`text=${lang.unreadable}`).count(), 1, 'one row is marked');
      await page.screenshot({ path: join(artifactsDir, `robust-inbox-${lang.code}-${vp.name}.png`), fullPage: true });
      await expectNoAxeViolations(page, `inbox with an unreadable row (${lang.code}, ${vp.name})`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');

      response = await page.goto(`${s.kluis.baseURL}/demo/inbox/submissions/${id}?lang=${lang.code}`);
      assert.equal(response.status(), 409, 'its page answers 409, not 500');
      assert.match(await page.locator('h1').innerText(), lang.title);
      assert.ok((await page.locator('main').innerText()).includes(reference), 'the page names the submission');
      await page.screenshot({ path: join(artifactsDir, `robust-unreadable-${lang.code}-${vp.name}.png`), fullPage: true });
      await expectNoAxeViolations(page, `unreadable submission page (${lang.code}, ${vp.name})`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
      await page.click(`main a[href="/demo/inbox"]`);
      assert.ok(page.url().endsWith('/demo/inbox'), 'the page leads back to the inbox');
      await ctx.close();
    }
  }
});
