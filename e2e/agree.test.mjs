// The processing agreement in the browser (REG-1, SUB-1, BRE-5): the demo's admin drafts the
// agreement, opens the version (the PDF's accessible twin) and is told that only the DPO,
// signed in through FAS eID or itsme, accepts it for the controller; the supplier's operator,
// on the operators' realm, accepts it. The DPIA draft of one processing (BRE-4). axe on every page, nl and fr; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inBothLanguages, operatorAndAdmin, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-agree-' });

test('agreement: drafted by the controller, accepted by the supplier', { timeout: 300_000 }, async () => {
  const baseURL = s.kluis.baseURL;
  const { opCtx, adminCtx, op, admin } = await operatorAndAdmin(s.kluis, s.browser, 'agree');
  try {
    await inBothLanguages(admin, baseURL, '/demo/admin/agreement', 'agree-offer');
    await admin.goto(`${baseURL}/demo/admin/agreement?lang=nl`);
    let response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(admin.url(), /\/demo\/admin\/agreement\/1$/);
    assert.match(await admin.locator('main').innerText(), /Alleen de functionaris voor gegevensbescherming/);
    await inBothLanguages(admin, baseURL, '/demo/admin/agreement/1', 'agree-version');

    await inBothLanguages(op, baseURL, '/operator/agreements', 'agree-operator');
    await op.goto(`${baseURL}/operator/agreements?lang=nl`);
    await op.check('#confirm-demo');
    response = await submit(op, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await op.locator('main').innerText(), /Uw aanvaarding is vastgelegd/);

    await inBothLanguages(admin, baseURL, '/demo/admin/agreement', 'agree-accepted-by-supplier');

    // The DPIA draft of one processing, from Privacy › Hulp bij uw DPIA (BRE-4).
    await admin.goto(`${baseURL}/demo/admin/dpia?lang=nl`);
    response = await submit(admin, 'main a[href="/demo/admin/dpia/online-services"]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('main').innerText(), /\[TE VERVOLLEDIGEN\]/);
    await inBothLanguages(admin, baseURL, '/demo/admin/dpia/online-services', 'agree-dpia');
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
