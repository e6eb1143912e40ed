// Containment of a breach (BRE-2) and the assistance pages (BRE-4) in the browser: the demo's
// admin (TOTP) creates an API key, records a breach about it with only a description, and from
// the breach's page revokes the key — a confirmation page, then the measure on the form's next
// version and in the draft texts. The DPIA information page is checked too. axe on every page,
// nl and fr; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectNoAxeViolations, inBothLanguages, operatorAndAdmin, shot, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-contain-' });

test('breach: the admin revokes the leaked API key from the breach page', { timeout: 300_000 }, async () => {
  const { baseURL } = s;
  const { opCtx, adminCtx, admin, op } = await operatorAndAdmin(s.kluis, s.browser, 'contain');
  try {
    // An API key for one form.
    await admin.goto(`${baseURL}/demo/admin/api-keys`);
    await admin.fill('#name', 'Koppeling zaaksysteem');
    await admin.check('#scope-0');
    await admin.check('#form-0');
    let response = await submit(admin, 'main form:has(#name) button[type=submit]');
    assert.equal(response.status(), 200);

    // A breach about it, with only a description.
    await admin.goto(`${baseURL}/demo/admin/breaches/new`);
    await admin.fill('#description', 'De API-sleutel van de koppeling stond in een publieke repository.');
    response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    const breachPath = new URL(admin.url()).pathname;
    assert.match(breachPath, /^\/demo\/admin\/breaches\/[0-9a-z]+$/);
    assert.match(await admin.locator('#contain-api_key option').first().innerText(), /Koppeling zaaksysteem/);
    await inBothLanguages(admin, baseURL, breachPath, 'contain-breach');

    // Revoke it: first the confirmation, then the measure on version 2.
    await admin.goto(`${baseURL}${breachPath}?lang=nl`);
    response = await submit(admin, 'form:has(#contain-api_key) button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('main').innerText(), /U trekt de API-sleutel “Koppeling zaaksysteem” in/);
    await expectNoAxeViolations(admin, 'the confirmation in nl');
    await shot(admin, 'contain-confirm-nl');
    await admin.goto(`${baseURL}${breachPath}?lang=fr`);
    response = await submit(admin, 'form:has(#contain-api_key) button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('main').innerText(), /Vous révoquez la clé API « Koppeling zaaksysteem »/);
    await expectNoAxeViolations(admin, 'the confirmation in fr');
    await shot(admin, 'contain-confirm-fr');
    await admin.goto(`${baseURL}${breachPath}?lang=nl`);
    await submit(admin, 'form:has(#contain-api_key) button[type=submit]');
    response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(admin.url().endsWith('?done=contain'), admin.url());
    const main = await admin.locator('main').innerText();
    assert.match(main, /Meldingsformulier \(versie 2\)/);
    assert.match(main, /API-sleutel “Koppeling zaaksysteem” ingetrokken door Contain Admin om verdere schade te voorkomen\./);
    assert.match(await admin.locator('#draft-subjects').inputValue(), /Wat wij deden om verdere schade te voorkomen: .*Koppeling zaaksysteem/);
    assert.match(main, /Er zijn geen actieve API-sleutels\./);
    await inBothLanguages(admin, baseURL, `${breachPath}?done=contain`, 'contain-done');

    // The key is revoked on its own page.
    await admin.goto(`${baseURL}/demo/admin/api-keys`);
    assert.equal(await admin.locator('main form[action$="/revoke"]').count(), 0, 'no key left to revoke');

    // The DPIA information, and its text file.
    await inBothLanguages(admin, baseURL, '/demo/admin/dpia', 'dpia');
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('main a[href$="/dpia.txt"]')]);
    assert.match(download.suggestedFilename(), /^dpia-info-demo-\d{4}-\d{2}-\d{2}\.txt$/);
    // The supplier's side: the admin grants the operator access; the operator opens a breach
    // and ends that access from the breach's update form.
    await admin.goto(`${baseURL}/demo/admin/operators`);
    await admin.fill('#email', 'e2e-contain-op@leverancier.example');
    await admin.fill('#reason', 'Onderzoek van het datalek');
    response = await submit(admin, 'main form:has(#email) button[type=submit]');
    assert.equal(response.status(), 200);
    await op.goto(`${baseURL}/operator/breaches/new`);
    await op.selectOption('#tenant', 'demo');
    await op.fill('#description', 'Verdachte aanmelding met het account van een medewerker van de leverancier.');
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    const opPath = await op.locator('main table a[href^="/operator/breaches/demo/"]').first().getAttribute('href');
    await op.goto(`${baseURL}${opPath}`);
    assert.match(await op.locator('#contain-grant').innerText(), /e2e-contain-op@leverancier\.example/);
    assert.equal(await op.locator('#contain-api_key').count(), 0, 'the controller\'s keys are not the supplier\'s to end');
    await inBothLanguages(op, baseURL, opPath, 'contain-operator');
    await op.goto(`${baseURL}${opPath}?lang=nl`);
    await op.selectOption('#contain-grant', { label: 'e2e-contain-op@leverancier.example' });
    response = await submit(op, 'form:has(#contain-grant) button[type=submit]');
    assert.equal(response.status(), 200);
    await expectNoAxeViolations(op, 'the operator\'s confirmation');
    await shot(op, 'contain-operator-confirm-nl');
    response = await submit(op, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(op.url().endsWith('/operator/breaches?done=contain'), op.url());
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
