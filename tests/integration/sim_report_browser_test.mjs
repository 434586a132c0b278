// The twin's HTML report in a real browser: `tokenfab sim --html` on the example fleet and
// workload with two policies; headless Chromium opens the file (file://, no server), and the
// test reads the rendered DOM: the summary table, every chart the report's data asks for drawn
// by the shared chart code (pixels on its canvas, its title), and no console error or request
// for anything but the file itself. Saves a screenshot.
//
//   node sim_report_browser_test.mjs TOKENFAB SCREENSHOT.png
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from './headless_browser.mjs';
import { check, tempDir } from './node_harness.mjs';

const [tokenfab, screenshot] = process.argv.slice(2);
if (!tokenfab || !screenshot) {
  console.error('usage: node sim_report_browser_test.mjs TOKENFAB SCREENSHOT.png');
  process.exit(2);
}
const dir = tempDir('tokenfab-sim-report-');
const report = path.join(dir, 'report.html');
execFileSync(tokenfab, ['sim', '--fleet', 'examples/fleet-three-regions.toml',
                        '--workload', 'examples/sim-workload.toml', '--policy', 'least-load',
                        '--policy', 'cost-slo', '--duration', '20', '--html', report],
             { stdio: ['ignore', 'ignore', 'inherit'] });
const url = pathToFileURL(report).href;
let browser;
try {
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
  const consoleErrors = [];
  const foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => { if (r.url() !== url) foreign.push(r.url()); });
  await page.goto(url);

  await check('the summary table names both policies', async () => {
    const table = await page.$eval('#table', (e) => e.textContent);
    assert.match(table, /least-load/);
    assert.match(table, /cost-slo/);
  });

  await check('every chart of the report is drawn', async () => {
    const wanted = await page.evaluate(() => window.SIM.sections.flatMap(
        (s) => s.charts.map((c) => c.options.title)));
    // TTFT and TPOT CDFs for all tiers and each tier, 3 policy bars + a site's utilisation each,
    // and 4 plots over time per policy.
    assert.ok(wanted.length >= 4 + 4 + 8, wanted.join(', '));
    for (const t of ['TTFT CDF, all tiers', 'TPOT CDF, all tiers', 'goodput, requests/s',
                     'SLO attainment', 'energy cost per million tokens', 'tokens/s']) {
      assert.ok(wanted.includes(t), `${t} in ${wanted.join(', ')}`);
    }
    const titles = await page.$$eval('.u-title', (list) => list.map((t) => t.textContent));
    assert.deepEqual(titles, wanted);
    const canvases = await page.$$eval('canvas', (list) => list.map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) ++painted;
      return { w: c.width, h: c.height, painted };
    }));
    assert.equal(canvases.length, wanted.length);
    for (const c of canvases) assert.ok(c.w > 100 && c.painted > 100, JSON.stringify(c));
  });

  await check('no console error, nothing but the file requested', async () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(foreign, []);
  });

  fs.mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);
} finally {
  if (browser) await browser.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
