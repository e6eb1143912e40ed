// Browser test of the civil servant's national register look-up and the security adviser's
// monthly overview (issue 17, items 3 and 4), in Debian's Chromium. The demo has no MAGDA
// simulator yet, so the pages are served by the Go test TestRegisterLookupServeForBrowser: the
// real router and store (SQLite) with the simulator behind it over mutual TLS, a clerk an admin
// authorised, and an allowance submission whose house number differs from the register's.
// The clerk is refused without a reason (the error summary links to the field), looks the
// address up (the difference said in words), and saves it into the file; the admin reads the
// month's counts. axe finds nothing in nl and fr, on a desktop and a 390 px phone.
// Screenshots: e2e/artifacts/lookup-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as wait } from 'node:timers/promises';
import { deskContext, expectNoAxeViolations, launchChromium, makeArtifactsDir, repoRoot, shot, submit, tail } from './harness.mjs';

let server;
let info;
let browser;
let infoFile;
let workDir;
const log = [];

before(async () => {
  makeArtifactsDir();
  workDir = mkdtempSync(join(tmpdir(), 'kluis-e2e-lookup-'));
  infoFile = join(workDir, 'serve.json');
  server = spawn('go', ['test', './internal/web', '-run', '^TestRegisterLookupServeForBrowser$', '-count=1', '-timeout', '10m'], {
    cwd: repoRoot,
    env: { ...process.env, KLUIS_LOOKUP_SERVE: infoFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const s of [server.stdout, server.stderr]) s.on('data', (d) => log.push(String(d)));
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.exited = exited;
  // go test builds the package first: allow it the time a shared machine needs.
  for (let i = 0; i < 3000 && !existsSync(infoFile); i++) {
    if (server.exitCode !== null) throw new Error(`the look-up server stopped:\n${tail(log)}`);
    await wait(100);
  }
  assert.ok(existsSync(infoFile), `the look-up server did not start:\n${tail(log)}`);
  info = JSON.parse(readFileSync(infoFile, 'utf8'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (infoFile) writeFileSync(`${infoFile}.done`, '');
  if (server) await server.exited;
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// as opens a desktop context signed in as who ('clerk' or 'admin').
async function as(who) {
  const ctx = await browser.newContext({ ...deskContext, ignoreHTTPSErrors: true }); // the test server's own certificate
  await ctx.addCookies([{ name: info.cookie, value: info[who], url: info.baseURL, secure: true, httpOnly: true, sameSite: 'Lax' }]);
  return ctx;
}

// axeBoth checks the page on a desktop and on a 390 px phone.
async function axeBoth(page, what) {
  await expectNoAxeViolations(page, `${what} on a desktop`);
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoAxeViolations(page, `${what} on a phone`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('lookup: the clerk checks the address in the register, sees the difference in words and saves it; the adviser reads the month', { timeout: 600_000 }, async () => {
  const clerkCtx = await as('clerk');
  const adminCtx = await as('admin');
  try {
    const page = await clerkCtx.newPage();
    const words = {
      nl: { differs: 'Verschilt', lookup: 'Raadpleeg het Rijksregister', reason: 'Schrijf waarom', save: 'Bewaar in het dossier' },
      fr: { differs: 'Différent', lookup: 'Consulter le Registre national', reason: 'Indiquez pourquoi', save: 'Enregistrer au dossier' },
    };
    for (const lang of ['nl', 'fr']) {
      const w = words[lang];
      let response = await page.goto(`${info.baseURL}${info.lookup}?lang=${lang}`);
      assert.equal(response.status(), 200, `the look-up form in ${lang}`);
      assert.equal(await page.inputValue('#insz'), '85073003328', 'the INSZ comes from the submission');
      // No reason: refused at the field, linked from the summary.
      response = await submit(page, `main form button:text("${w.lookup}")`);
      assert.equal(response.status(), 422);
      assert.match(await page.locator('.error-summary a[href="#reason"]').textContent(), new RegExp(w.reason));
      await axeBoth(page, `the refused look-up in ${lang}`);
      await shot(page, `lookup-refused-${lang}`);
      await page.fill('#reason', lang === 'nl' ? 'Adrescontrole voor de toelage' : "Contrôle d'adresse pour l'allocation");
      response = await submit(page, `main form button:text("${w.lookup}")`);
      assert.equal(response.status(), 200, `the answer in ${lang}`);
      assert.match(await page.locator('tr.differs').first().textContent(), new RegExp(w.differs));
      assert.match(await page.locator('main table').textContent(), /Voorbeeldstraat/);
      await axeBoth(page, `the answer in ${lang}`);
      await shot(page, `lookup-answer-${lang}`);
    }
    // Saved into the file: back on the submission, the note names the register's address.
    const response = await submit(page, 'main form button:text("Enregistrer au dossier")');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('ol.history').textContent(), /Voorbeeldstraat 12, 9000 Gent/);

    const admin = await adminCtx.newPage();
    for (const lang of ['nl', 'fr']) {
      const r = await admin.goto(`${info.baseURL}${info.calls}?lang=${lang}`);
      assert.equal(r.status(), 200, `the overview in ${lang}`);
      assert.match(await admin.locator('main').textContent(), lang === 'nl' ? /2 raadplegingen\./ : /2 consultations\./);
      await axeBoth(admin, `the overview in ${lang}`);
      await shot(admin, `lookup-calls-${lang}`);
    }
  } finally {
    await clerkCtx.close();
    await adminCtx.close();
  }
});
