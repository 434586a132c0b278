// The operations page in a real browser: a three-region test fleet (`tokenfab serve --fleet` on
// the example fleet, synthetic engines) with traffic; headless Chromium opens GET /dashboard,
// and the test reads the rendered DOM: the sites and upstreams of the fleet with their figures,
// the charts drawn (pixels on their canvases), the top tenant and the refused request, and no
// console error or request to any other host. Saves a screenshot.
//
//   node dashboard_browser_test.mjs TOKENFAB SCREENSHOT.png
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from './headless_browser.mjs';
import { check, tempDir } from './node_harness.mjs';
import { sendTraffic, startOpsFleet } from './ops_fleet.mjs';

const [tokenfab, screenshot] = process.argv.slice(2);
if (!tokenfab || !screenshot) {
  console.error('usage: node dashboard_browser_test.mjs TOKENFAB SCREENSHOT.png');
  process.exit(2);
}
const dir = tempDir('tokenfab-dashboard-');
const fleet = await startOpsFleet(tokenfab, dir, ['--ops-sample-ms', '250']);
let browser;
try {
  const statuses = await sendTraffic(fleet.url, fleet.keys.acme, 24);
  assert.deepEqual([...new Set(statuses)], [200]);

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1900 } });
  const consoleErrors = [];
  const foreign = [];
  const failed = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(fleet.url)) foreign.push(r.url()); });
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });

  await page.goto(`${fleet.url}/dashboard`);
  // More traffic while the page is open, so that its charts move; then two polls after it.
  await sendTraffic(fleet.url, fleet.keys.acme, 8);
  const updates = await page.evaluate(() => Number(document.body.dataset.updates || 0));
  await page.waitForFunction((n) => Number(document.body.dataset.updates || 0) >= n + 2,
                             updates, { timeout: 15000 });

  await check('the page lists the fleet\'s regions, sites and upstreams with live figures', async () => {
    const sites = await page.$$eval('#sites tbody tr', (rows) => rows.map(
        (r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(sites.map((r) => r.slice(0, 2)),
                     [['cn-west', 'hub-west'], ['cn-east', 'coast-east'], ['sg', 'edge-sg']]);
    for (const row of sites) {
      assert.equal(row[2], '1 / 1', `site ${row[1]} up`);
      assert.match(row[4], /^\d+\.\d{4}$/, `price this hour at ${row[1]}`);
    }
    assert.equal(sites[2][4], '1.1520', 'edge-sg: 0.16 USD at 7.2 CNY/USD');
    assert.equal(sites[0][5], '55 %');
    // Some site served tokens, and its cost and carbon per million tokens are shown.
    const served = sites.filter((r) => Number(r[6]) > 0);
    assert.ok(served.length >= 1, JSON.stringify(sites));
    for (const row of served) {
      assert.match(row[8], /\d/, `energy cost per Mtok at ${row[1]}`);
      assert.match(row[9], /\d/, `gCO2 per Mtok at ${row[1]}`);
    }
    const upstreams = await page.$$eval('#upstreams tbody tr', (rows) => rows.map(
        (r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(upstreams.map((r) => [r[2], r[3], r[4]]),
                     [['hub-node-1', 'up', 'closed'], ['coast-node-1', 'up', 'closed'],
                      ['edge-node-1', 'up', 'closed']]);
    const cards = await page.$eval('#cards', (e) => e.textContent);
    assert.match(cards, /3 \/ 3upstreams up/);
  });

  await check('the charts are drawn, the SLO lines with them', async () => {
    const canvases = await page.$$eval('canvas', (list) => list.map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) ++painted;
      return { w: c.width, h: c.height, painted };
    }));
    // tokens, requests, utilisation, queue, power, and TTFT + TPOT of the premium tier.
    assert.ok(canvases.length >= 7, `${canvases.length} canvases`);
    for (const c of canvases) assert.ok(c.w > 100 && c.painted > 100, JSON.stringify(c));
    const titles = await page.$$eval('.u-title', (list) => list.map((t) => t.textContent));
    assert.ok(titles.includes('TTFT, tier premium'), titles.join(', '));
    const legends = await page.$eval('#tier-charts', (e) => e.textContent);
    assert.match(legends, /SLO/);
    const tokensPerS = await page.$eval('#cards .card .v', (e) => e.textContent);
    assert.notEqual(tokensPerS, '–');
  });

  await check('tenants, refusals, no console error, nothing from another host', async () => {
    const top = await page.$eval('#tenants-tokens tbody tr td', (e) => e.textContent);
    assert.equal(top, 'acme');
    const spend = await page.$eval('#tenants-spend tbody tr', (e) => e.textContent);
    assert.match(spend, /acme.*[1-9].*CNY/);
    const kinds = await page.$eval('#errors-by-kind', (e) => e.textContent);
    assert.match(kinds, /invalid_api_key\s*2/);  // one wrong key per sendTraffic()
    assert.deepEqual(failed, []);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(foreign, []);
  });

  fs.mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
} finally {
  if (browser) await browser.close();
  const { code } = await fleet.stop();
  assert.equal(code, 0, fleet.stderr());
  fs.rmSync(dir, { recursive: true, force: true });
}
