// Clause coverage in the browser (SEC-5): the demo server reads its clause results from
// KLUIS_CLAUSE_RESULTS; the test writes that file for the binary's own commit (one clause
// test passed, one failed), and a supplier operator opens "Clausules en hun tests" from the
// realm's home: the run's commit, the count of clauses covered, AUD-3 failed, a filter by
// chapter. Then a file of another commit: nothing shown as this build's. axe on every page,
// nl and fr; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inBothLanguages, operatorAndAdmin, submit, suite } from './harness.mjs';

const dir = mkdtempSync(join(tmpdir(), 'kluis-e2e-ccover-'));
const results = join(dir, 'clause-results.txt');
const s = suite({ tmpPrefix: 'kluis-e2e-ccover-', env: { KLUIS_CLAUSE_RESULTS: results } });

const write = (commit) => writeFileSync(results, [
  '# kluis clause results', `commit ${commit}`, 'time 2026-12-05T11:30:00Z', 'scope full',
  'go\tgithub.com/kluis/kluis/internal/cli\tTestClauseAUD3_EveryTenantCommandNeedsAGrant\tpass',
  'go\tgithub.com/kluis/kluis/internal/cli\tTestClauseAUD3_FirstAdminWithoutGrant\tfail', ''].join('\n'));

test('ClauseSEC5: the operators\' clause page names the CI run, counts the clauses covered and filters by chapter', { timeout: 240_000 }, async (t) => {
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const baseURL = s.kluis.baseURL;
  const version = s.kluis.cli(['version']);
  assert.equal(version.status, 0, version.stderr);
  const commit = /^commit (\S+)$/m.exec(version.stdout)[1];
  write(commit);
  const { opCtx, adminCtx, op } = await operatorAndAdmin(s.kluis, s.browser, 'ccover');
  try {
    await op.goto(`${baseURL}/operator/signed-in`);
    await Promise.all([op.waitForNavigation(), op.click('a[href="/operator/clauses"]')]);
    let main = await op.locator('main').innerText();
    assert.match(main, /Clausules en hun tests/);
    if (commit !== 'unknown') {
      assert.ok(main.includes(`Uitkomsten van de CI-run van commit ${commit}, beëindigd op 05.12.2026 12:30`), main.slice(0, 600));
    }
    assert.match(main, /55 van de 55 clausules hebben een test; bij 0 zijn alle tests geslaagd\./);
    const aud3 = await op.locator('#aud-3').innerText();
    assert.match(aud3, /AUD-3\s+mislukt/);
    assert.match(aud3, /geslaagd\s+internal\/cli\s+TestClauseAUD3_EveryTenantCommandNeedsAGrant/);
    assert.match(aud3, /niet uitgevoerd in deze build/);

    // The filter: chapter 9 shows LOC-1 … LOC-4 only.
    await op.selectOption('#section', '9');
    await submit(op, '.clause-filter button[type=submit]');
    assert.equal(await op.locator('article.clause').count(), 4);
    assert.match(await op.locator('main').innerText(), /4 clausules getoond\./);
    assert.equal(await op.locator('#reg-1').count(), 0);
    await inBothLanguages(op, baseURL, '/operator/clauses?section=9', 'ccover-section');
    await inBothLanguages(op, baseURL, '/operator/clauses', 'ccover');

    // Results of another commit are not this build's.
    write('0000000000000000000000000000000000000000');
    await op.goto(`${baseURL}/operator/clauses?lang=nl`);
    main = await op.locator('main').innerText();
    if (commit !== 'unknown') {
      assert.match(main, /Niet uitgevoerd in deze build: het resultatenbestand is van commit 0{40}/);
      assert.doesNotMatch(await op.locator('#aud-3').innerText(), /geslaagd|mislukt/);
    }
    await inBothLanguages(op, baseURL, '/operator/clauses?section=3', 'ccover-other-commit');
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
