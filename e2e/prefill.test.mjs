// Prefill from the national register (LOC-2, REG-4) in Debian's Chromium: the demo's social
// allowance form prefills the national register number (read-only), the name and the address.
// A citizen signs in through the local FAS simulator (cmd/fassim: a loopback OpenID provider,
// not FAS) as a MAGDA simulator persona; Kluis asks the demo's MAGDA simulator over mutual TLS;
// the form opens prefilled with a notice of what and from where, is completed and sent, and the
// receipt shows the data with its source. A persona unknown to the register gets the clear
// message and an empty, usable form. Dutch and French, desktop and phone, axe clean.
// Screenshots: e2e/artifacts/prefill-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/prefill.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expectNoAxeViolations, repoRoot, shot, startClamd, submit, suite } from './harness.mjs';

const MINIMAL_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const SECRET = 'fassim-e2e-client-secret';

const clamd = await startClamd();
// A fixed base address: FAS (here its simulator) sends the browser back to the callback Kluis
// names from it.
const s = suite({ tmpPrefix: 'kluis-e2e-prefill-', host: '127.0.0.1', env: clamd ? { KLUIS_CLAMD: `unix:${clamd.socket}` } : {} });

// The FAS simulator, built and started on 127.0.0.1; its issuer is what Kluis is configured with.
let fassim;
let fassimDir;
let issuer;
before(async () => {
  fassimDir = mkdtempSync(join(tmpdir(), 'kluis-e2e-fassim-'));
  const bin = join(fassimDir, 'fassim');
  const build = spawnSync('go', ['build', '-o', bin, './cmd/fassim'], { cwd: repoRoot, env: { ...process.env, CGO_ENABLED: '0' }, encoding: 'utf8' });
  assert.equal(build.status, 0, `go build ./cmd/fassim: ${build.stderr}`);
  fassim = spawn(bin, ['-client-id', 'kluis-e2e'], { env: { ...process.env, FASSIM_CLIENT_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
  issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fassim did not start within 30s')), 30_000);
    fassim.once('exit', (code) => reject(new Error(`fassim exited (${code})`)));
    createInterface({ input: fassim.stdout }).on('line', (l) => {
      const m = /^fassim issuer (\S+)$/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
});
after(() => {
  fassim?.kill('SIGTERM');
  clamd?.stop();
  if (fassimDir) rmSync(fassimDir, { recursive: true, force: true });
});

let configured = false;
// FAS eID for the demo municipality, at the simulator.
function configureFAS() {
  if (configured) return;
  const secretFile = join(s.kluis.workDir, 'fas-secret');
  writeFileSync(secretFile, SECRET);
  const res = s.kluis.cliGranted(['oidc', 'add', '--tenant', 'demo', '--preset', 'fas-eid', '--issuer', issuer, '--client-id', 'kluis-e2e',
    '--client-secret-file', secretFile]);
  assert.equal(res.status, 0, `kluis oidc add: ${res.stderr}`);
  configured = true;
}

async function axeBoth(page, what) {
  await expectNoAxeViolations(page, `${what} (desktop)`);
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoAxeViolations(page, `${what} (phone)`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

// Opens the allowance form in lang, signs in at the simulator as the persona with insz and
// returns the page Kluis answers with.
async function signInToPrefill(page, lang, insz, offer) {
  let response = await page.goto(`${s.baseURL}/demo/toelage?lang=${lang}`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator(`main a:text-is("${offer}")`).count(), 1, 'no offer to prefill');
  await shot(page, `prefill-offer-${lang}`);
  await axeBoth(page, `the form with the offer (${lang})`);
  response = await submit(page, `main a:text-is("${offer}")`);
  assert.equal(response.status(), 200);
  assert.match(await page.locator('h1').textContent(), /FAS-simulator/);
  await page.check(`input[name=fassim_persona][value="${insz}"]`);
  response = await submit(page, 'button[type=submit]');
  assert.equal(response.status(), 200);
  return response;
}

test('prefill: a persona signs in with eID, the form opens prefilled, is sent, the receipt shows the data', { timeout: 300_000 }, async (t) => {
  if (!clamd) {
    t.skip('clamd not installed (apt-get install clamav-daemon): the form needs an upload');
    return;
  }
  configureFAS();
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const page = await ctx.newPage();
    await signInToPrefill(page, 'nl', '85073003328', 'Aanmelden met eID om vooraf in te vullen');
    const notice = await page.locator('.prefill-notice').textContent();
    assert.match(notice, /Vooraf ingevuld uit het Rijksregister, via MAGDA, op \d\d\.\d\d\.\d{4}/);
    assert.match(notice, /Rijksregisternummer[\s\S]*Naam en voornaam[\s\S]*Adres/);
    assert.equal(await page.locator('#insz').inputValue(), '85073003328');
    assert.equal(await page.locator('#insz').getAttribute('readonly'), '', 'the national register number is read-only');
    assert.equal(await page.locator('#name').inputValue(), 'Anouk Maria Testelmans');
    assert.equal(await page.locator('#name').getAttribute('readonly'), null, 'the name can be corrected');
    assert.equal(await page.locator('#address_street').inputValue(), 'Voorbeeldstraat');
    assert.equal(await page.locator('#address_postcode').inputValue(), '9000');
    assert.equal(await page.locator('#email').inputValue(), '', 'nothing the form does not prefill');
    assert.doesNotMatch(await page.content(), /1985-07-30|Belg\b/, 'no more of the answer than the form declares');
    await shot(page, 'prefill-form-nl');
    await axeBoth(page, 'the prefilled form');

    const next = () => submit(page, 'main form button[value=next]');
    await page.fill('#email', 'anouk@example.be');
    let response = await next();
    assert.equal(response.status(), 200);
    await page.fill('#household', '2');
    await page.fill('#income', '1400');
    await page.fill('#iban', 'BE68 5390 0754 7034');
    await page.check('#truthful');
    await page.setInputFiles('#certificate', { name: 'inkomensattest.pdf', mimeType: 'application/pdf', buffer: MINIMAL_PDF });
    response = await next();
    assert.equal(response.status(), 200);
    response = await submit(page, 'main form button[value=send]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/receipt\/toelage$/);
    const main = await page.locator('main').textContent();
    assert.match(main, /85\.07\.30-033\.28 \(bron: Rijksregister, \d\d\.\d\d\.\d{4}\)/);
    assert.match(main, /Anouk Maria Testelmans \(bron: Rijksregister/);
    assert.match(main, /Voorbeeldstraat 12, 9000 Gent \(bron: Rijksregister/);
    await shot(page, 'prefill-receipt-nl');
    await axeBoth(page, 'the receipt');
  } finally {
    await ctx.close();
  }
});

test('prefill: in French, a persona opens the form prefilled', { timeout: 180_000 }, async () => {
  configureFAS();
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'fr-BE', reducedMotion: 'reduce' });
  try {
    const page = await ctx.newPage();
    await signInToPrefill(page, 'fr', '92020226470', 'Se connecter avec eID pour préremplir');
    assert.match(await page.locator('.prefill-notice').textContent(), /Prérempli depuis le Registre national, via MAGDA, le/);
    assert.equal(await page.locator('#name').inputValue(), 'Camille Exemple');
    assert.equal(await page.locator('#address_street').inputValue(), "Rue de l'Exemple");
    await shot(page, 'prefill-form-fr');
    await axeBoth(page, 'the prefilled form in French');
  } finally {
    await ctx.close();
  }
});

for (const c of [
  { lang: 'nl', offer: 'Aanmelden met eID om vooraf in te vullen', message: /Het Rijksregister kent geen persoon met dit rijksregisternummer/ },
  { lang: 'fr', offer: 'Se connecter avec eID pour préremplir', message: /Registre national/ },
]) {
  test(`prefill-${c.lang}: a persona unknown to the register gets a clear message and an empty, usable form`, { timeout: 180_000 }, async () => {
    configureFAS();
    const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, reducedMotion: 'reduce' });
    try {
      const page = await ctx.newPage();
      await signInToPrefill(page, c.lang, '60010199746', c.offer);
      assert.match(await page.locator('.notice.warning').textContent(), c.message);
      assert.equal(await page.locator('#insz').inputValue(), '');
      assert.equal(await page.locator('#insz').getAttribute('readonly'), null, 'an empty field stays open');
      assert.equal(await page.locator('.prefill-notice').count(), 0);
      await shot(page, `prefill-unknown-${c.lang}`);
      await axeBoth(page, `the form after an unknown person (${c.lang})`);
      // Usable: typed by hand, the first step is accepted.
      await page.fill('#insz', '60.01.01-997.46');
      await page.fill('#name', 'Test Persoon');
      await page.fill('#email', 'test@example.be');
      await page.fill('#address_street', 'Straat');
      await page.fill('#address_number', '1');
      await page.fill('#address_postcode', '9000');
      await page.fill('#address_municipality', 'Gent');
      const response = await submit(page, 'main form button[value=next]');
      assert.equal(response.status(), 200);
      assert.equal(await page.locator('.error-summary').count(), 0);
    } finally {
      await ctx.close();
    }
  });
}
