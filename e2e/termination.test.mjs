// The end of a contract (END-3, END-4, END-5) in the browser: the supplier's operator, on the
// operators' realm with TOTP, opens the demo's termination → a step without its confirmation
// is refused, named in the error summary → freezes the demo → the public form says in nl and
// fr that it takes no new requests (410) → hands over the final export → the demo's admin
// sees the procedure under Beheer › Einde contract and confirms receipt (refused without the
// tick first) → the operator stops processing, deletes, destroys the keys, checks and makes
// the certificate, and downloads it as PDF and signed JSON. axe on every page, nl and fr;
// screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  expectNoAxeViolations, inBothLanguages, operatorAndAdmin, shot, submit, suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-termination-' });

const bothLanguages = (page, path, name) => inBothLanguages(page, s.kluis.baseURL, path, name);

const summaryLinks = (page) => page.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));

test('termination: frozen, handed over, receipt confirmed, destroyed and certified', { timeout: 300_000 }, async () => {
  const baseURL = s.kluis.baseURL;
  const { opCtx, adminCtx, op, admin } = await operatorAndAdmin(s.kluis, s.browser, 'termination');
  try {
    // Before: the controller sees that nothing is under way.
    await bothLanguages(admin, '/demo/admin/termination', 'termination-admin-none');

    // The operator's list and the demo's procedure.
    await op.goto(`${baseURL}/operator/signed-in`);
    let response = await submit(op, 'main a:text-is("Einde contract van een bestuur")');
    assert.equal(response.status(), 200);
    await bothLanguages(op, '/operator/terminations', 'termination-operator-list');
    await bothLanguages(op, '/operator/terminations/demo', 'termination-operator-freeze');

    // A step without its confirmation: refused, named in the summary.
    await op.goto(`${baseURL}/operator/terminations/demo`);
    await op.fill('#receipt_days', '400');
    response = await submit(op, 'main form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await summaryLinks(op), ['#receipt_days', '#confirm']);
    assert.equal(await op.locator('#confirm').getAttribute('aria-invalid'), 'true');
    await expectNoAxeViolations(op, 'the freeze with errors');
    await shot(op, 'termination-operator-freeze-error-nl');

    // Freeze.
    await op.fill('#receipt_days', '30');
    await op.check('#confirm');
    response = await submit(op, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await op.locator('.notice').innerText(), /Stap gedaan: Bevriezen/);

    // The public form says so, in both languages, with 410.
    const citizen = await opCtx.browser().newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE', bypassCSP: true });
    try {
      const page = await citizen.newPage();
      for (const lang of ['nl', 'fr']) {
        response = await page.goto(`${baseURL}/demo/vraag?lang=${lang}`);
        assert.equal(response.status(), 410, `frozen form in ${lang}`);
        assert.match(await page.locator('h1').innerText(), lang === 'nl' ? /geen nieuwe aanvragen/ : /plus de nouvelles demandes/);
        await expectNoAxeViolations(page, `the frozen form in ${lang}`);
        await shot(page, `termination-public-frozen-${lang}`);
        response = await page.goto(`${baseURL}/demo/?lang=${lang}`);
        assert.equal(response.status(), 200, `frozen front page in ${lang}`);
        assert.equal(await page.locator('main a[href="/demo/vraag"]').count(), 0, 'the frozen front page offers a form');
        await expectNoAxeViolations(page, `the frozen front page in ${lang}`);
        await shot(page, `termination-public-front-${lang}`);
      }
    } finally {
      await citizen.close();
    }

    // The hand-over: a manifest that is no hash is refused on its field.
    await op.goto(`${baseURL}/operator/terminations/demo`);
    await op.fill('#manifest_sha256', 'abc');
    await op.fill('#files', '12');
    await op.check('#confirm');
    response = await submit(op, 'main form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await summaryLinks(op), ['#manifest_sha256', '#received_by']);
    await expectNoAxeViolations(op, 'the hand-over with errors');
    await shot(op, 'termination-operator-export-error-nl');
    await op.fill('#manifest_sha256', 'ab'.repeat(32));
    await op.fill('#received_by', 'Algemeen directeur, Gemeente Demo');
    await op.check('#confirm');
    response = await submit(op, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    await bothLanguages(op, '/operator/terminations/demo', 'termination-operator-waiting');

    // The controller confirms receipt; without the tick it is refused.
    await bothLanguages(admin, '/demo/admin/termination', 'termination-admin-receipt');
    await admin.goto(`${baseURL}/demo/admin/termination`);
    response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await summaryLinks(admin), ['#received']);
    await expectNoAxeViolations(admin, 'the receipt with errors');
    await shot(admin, 'termination-admin-receipt-error-nl');
    await admin.check('#received');
    response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('.notice').innerText(), /ontvangst van de eindexport is bevestigd/);
    await bothLanguages(admin, '/demo/admin/termination', 'termination-admin-confirmed');

    // The rest, one confirmed step at a time.
    for (const step of ['Verwerking gestopt', 'Gegevens gewist', 'Sleutels vernietigd', 'Controle van oude kopieën', 'Vernietigingsattest']) {
      await op.goto(`${baseURL}/operator/terminations/demo`);
      assert.match(await op.locator('#next-step').innerText(), new RegExp(step));
      await op.check('#confirm');
      response = await submit(op, 'main form button[type=submit]');
      assert.equal(response.status(), 200, step);
    }
    response = await admin.goto(`${baseURL}/demo/admin/termination`);
    assert.equal(response.status(), 503, 'the tenant answers after the stop');
    await bothLanguages(op, '/operator/terminations/demo', 'termination-operator-complete');

    // The certificate, as PDF and as signed JSON.
    await op.goto(`${baseURL}/operator/terminations/demo`);
    const [pdf] = await Promise.all([op.waitForEvent('download'), op.click('main a[href$="/certificate/pdf"]')]);
    assert.equal(pdf.suggestedFilename(), 'destruction-certificate-demo.pdf');
    assert.ok(readFileSync(await pdf.path()).subarray(0, 4).toString() === '%PDF');
    const [json] = await Promise.all([op.waitForEvent('download'), op.click('main a[href$="/certificate/json"]')]);
    const cert = JSON.parse(readFileSync(await json.path(), 'utf8'));
    assert.equal(cert.format, 'kluis-destruction-certificate/v1');
    const file = await json.path();
    const res = s.kluis.cli(['certificate', 'verify', file]);
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^VALID/);
    await bothLanguages(op, '/operator/terminations', 'termination-operator-list-done');
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
