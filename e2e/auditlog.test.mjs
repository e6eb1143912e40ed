// The controller's audit log as a DPO reads it (AUD-1, AUD-2), in Debian's Chromium:
// a citizen sends a question, an admin opens it, and the DPO finds "who opened
// submission X" by choosing filters — the action from its group, the submission's
// reference as the receipt shows it, the admin from the staff list — and reads the
// answer as a sentence, in Dutch and in French, on a desktop and on a phone (no
// sideways scroll, axe clean). Screenshots go to e2e/artifacts/auditlog-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/auditlog.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  activate,
  artifactsDir,
  enrolTOTP,
  expectNoAxeViolations,
  invite,
  login,
  submit,
  suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-auditlog-' });

// The page at 1280 and 390 px wide: screenshots, no sideways scroll, the table in its box.
async function look(page, name) {
  await page.setViewportSize({ width: 1280, height: 900 });
  const desktop = await page.evaluate(() => {
    const table = document.querySelector('main table');
    const main = document.querySelector('main');
    return { table: table ? table.getBoundingClientRect().right : 0, main: main.getBoundingClientRect().right };
  });
  assert.ok(desktop.table <= desktop.main + 1, `${name}: the table is wider than its column (${desktop.table} > ${desktop.main})`);
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
  await expectNoAxeViolations(page, `${name} on a desktop`);
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    thead: document.querySelector('main table thead')?.getBoundingClientRect().height ?? 0,
  }));
  await page.screenshot({ path: join(artifactsDir, `${name}-phone.png`), fullPage: true });
  // The full page is too tall to look at: the filters and the first events apart.
  await page.screenshot({ path: join(artifactsDir, `${name}-phone-top.png`) });
  await page.locator('#results').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifactsDir, `${name}-phone-events.png`) });
  assert.ok(phone.scroll <= phone.client, `${name} scrolls sideways on a phone: ${phone.scroll} > ${phone.client}`);
  assert.ok(phone.thead <= 1, `${name}: on a phone the rows are cards, without the column heads`);
  await expectNoAxeViolations(page, `${name} on a phone`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

const LANGS = [
  {
    code: 'nl',
    action: 'Inzending geopend',
    group: 'Inzendingen',
    sentence: (ref) => `Audit Beheerder (beheerder) opende inzending ${ref} (doel: behandeling)`,
    submitted: (ref) => `Een burger diende inzending ${ref} in`,
    signIn: 'meldde zich aan als',
    noCitizen: 'geen burger',
  },
  {
    code: 'fr',
    action: 'Soumission ouverte',
    group: 'Soumissions',
    sentence: (ref) => `Audit Beheerder (administrateur) a ouvert la soumission ${ref} (finalité : traitement)`,
    submitted: (ref) => `Un citoyen a envoyé la soumission ${ref}`,
    signIn: 's’est connecté en tant que',
    noCitizen: 'aucun citoyen',
  },
];

test('audit log: a DPO finds who opened a submission by choosing filters and reads it as a sentence', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  let dpoCtx;
  try {
    // A citizen asks a question; the receipt shows the reference.
    const citizen = await ctx.newPage();
    let response = await citizen.goto(`${s.baseURL}/demo/vraag`);
    assert.equal(response.status(), 200);
    await citizen.fill('#name', 'Audit Burger');
    await citizen.fill('#email', 'audit.burger@example.be');
    await citizen.check('input[name=topic][value=waste]');
    await citizen.fill('#message', 'Wanneer is het containerpark open?');
    response = await submit(citizen, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    const reference = (await citizen.locator('.reference-number').textContent()).trim();
    assert.match(reference, /^[0-9A-Z]{5}-[0-9A-Z]{5}$/);

    // An admin gives themself the form and opens the submission.
    const admin = { email: 'e2e-audit-admin@demo.example', name: 'Audit Beheerder', password: 'lindeboom belfort kaai' };
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, admin.email, admin.name, 'nl', 'admin'), admin.password);
    await login(page, s.baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'auditlog-admin-mfa');
    await page.goto(`${s.baseURL}/demo/admin/users`);
    response = await submit(page, `main a:text-is("${admin.name}")`);
    assert.equal(response.status(), 200);
    await page.check('input[name=form][value=vraag]');
    response = await submit(page, 'form[action$="/forms"] button[type=submit]');
    assert.equal(response.status(), 200);
    response = await page.goto(`${s.baseURL}/demo/inbox`);
    assert.equal(response.status(), 200);
    response = await submit(page, `main a:text-is("${reference}")`);
    assert.equal(response.status(), 200);
    const submissionPath = new URL(page.url()).pathname;

    // The admin, who may open the submission, is linked to it from the log.
    response = await page.goto(`${s.baseURL}/demo/admin/audit?action=submission.read&object=${reference}`);
    assert.equal(response.status(), 200);
    const opened = page.locator('main table tbody tr', { hasText: `${admin.name} (beheerder) opende inzending` });
    assert.equal(await opened.count(), 1);
    assert.equal(await opened.locator(`a[href="${submissionPath}"]`).textContent(), reference);

    // The DPO signs in (a second factor is required for the role), in a browser of their own.
    const dpo = { email: 'e2e-audit-dpo@demo.example', name: 'Audit DPO', password: 'kastanje raadhuis vijver' };
    dpoCtx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
    const dpoPage = await dpoCtx.newPage();
    await activate(dpoPage, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(dpoPage, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(dpoPage, 'auditlog-dpo-mfa');

    for (const lang of LANGS) {
      response = await dpoPage.goto(`${s.baseURL}/demo/admin/audit?lang=${lang.code}`);
      assert.equal(response.status(), 200);
      // No codes on the page: sentences only, no word cut off.
      const all = await dpoPage.locator('main table').textContent();
      assert.ok(!/submission\.read|mfa\.enrol|anonymou(?!s)/.test(all), `codes or cut words on the log page (${lang.code}):\n${all}`);
      // A staff event (signing in) is about no citizen.
      const signIn = dpoPage.locator('main table tbody tr', { hasText: lang.signIn }).first();
      assert.equal((await signIn.locator('td').nth(2).textContent()).trim(), lang.noCitizen);
      await look(dpoPage, `auditlog-${lang.code}`);

      // Choose: the action from its group, the reference as on the receipt, the admin from the list.
      const group = dpoPage.locator(`#action optgroup[label="${lang.group}"]`);
      assert.equal(await group.count(), 1, `the ${lang.group} group in the action filter`);
      await dpoPage.selectOption('#action', { label: lang.action });
      await dpoPage.fill('#object', reference.toLowerCase());
      await dpoPage.selectOption('#actor', { label: admin.name });
      response = await submit(dpoPage, 'form.audit-filters button[type=submit]');
      assert.equal(response.status(), 200);
      const rows = dpoPage.locator('main table tbody tr');
      assert.equal(await rows.count(), 1, 'one event: the admin opened it');
      const text = (await rows.first().locator('td').nth(1).textContent()).replace(/\s+/g, ' ').trim();
      assert.equal(text, lang.sentence(reference));
      // The DPO handles no submissions: the reference is named, not linked; the
      // admin's name is (users are managed by admins only: no link for the DPO).
      assert.equal(await rows.first().locator(`a[href="${submissionPath}"]`).count(), 0);
      // Reading a submission is about a citizen: their pseudonym, never who they are.
      assert.match((await rows.first().locator('td').nth(2).textContent()).trim(), /^[0-9A-F]{12}$/);
      await look(dpoPage, `auditlog-who-opened-${lang.code}`);

      // Everything about the submission: the citizen sent it, with a pseudonym.
      response = await dpoPage.goto(`${s.baseURL}/demo/admin/audit?lang=${lang.code}&object=${reference}`);
      assert.equal(response.status(), 200);
      const about = (await dpoPage.locator('main table').textContent()).replace(/\s+/g, ' ');
      assert.ok(about.includes(lang.submitted(reference)), `"${lang.submitted(reference)}" in:\n${about}`);
      assert.ok(about.includes(lang.sentence(reference)));
      await look(dpoPage, `auditlog-about-${lang.code}`);

      // A filter that is not chosen from the list is named as such.
      response = await dpoPage.goto(`${s.baseURL}/demo/admin/audit?lang=${lang.code}&action=submission`);
      assert.equal(response.status(), 400);
      assert.equal(await dpoPage.locator('#action[aria-invalid=true]').count(), 1);
      await expectNoAxeViolations(dpoPage, `the log with a bad filter (${lang.code})`);
    }
  } finally {
    await dpoCtx?.close();
    await ctx.close();
  }
});
