// deploy/ as operators run it: promtool checks the shipped Prometheus configuration and alerting
// rules; Debian's prometheus scrapes a three-site test fleet (`tokenfab serve --fleet`, synthetic
// engines, an operator token on its operations routes) with the token and with traffic, loads the rules, and every query of every panel of deploy/grafana's
// dashboard returns data through its HTTP API.
//
//   node prometheus_dashboard_test.mjs TOKENFAB
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { check, tempDir } from './node_harness.mjs';
import { freePort, sendTraffic, startOpsFleet } from './ops_fleet.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node prometheus_dashboard_test.mjs TOKENFAB');
  process.exit(2);
}
const rules = path.resolve('deploy/prometheus/tokenfab_alerts.yml');
const dashboard = JSON.parse(fs.readFileSync('deploy/grafana/tokenfab_fleet.json', 'utf8'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = tempDir('tokenfab-prometheus-');
// The operator token, in the file the shipped configuration names beside itself.
const tokenFile = path.join(dir, 'operator-token');
fs.writeFileSync(tokenFile, 'prometheus-test-operator-token\n');

await check('promtool accepts the shipped configuration and rules', async () => {
  for (const file of ['prometheus.yml', 'tokenfab_alerts.yml']) {
    fs.copyFileSync(path.join('deploy/prometheus', file), path.join(dir, file));
  }
  const config = spawnSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')]);
  assert.equal(config.status, 0, `${config.stdout}${config.stderr}`);
});

// The fleet's operations routes need the operator token; Prometheus scrapes with it.
const fleet = await startOpsFleet(tokenfab, dir, ['--operator-token-file', tokenFile]);
const port = await freePort();
const api = `http://127.0.0.1:${port}/api/v1`;
// The shipped rules, scraping the test gateway every second.
fs.writeFileSync(path.join(dir, 'prometheus.yml'), [
  'global: {scrape_interval: 1s, evaluation_interval: 1s}',
  `rule_files: ["${rules}"]`,
  'scrape_configs:',
  '  - job_name: tokenfab-gateway',
  `    authorization: {credentials_file: "${tokenFile}"}`,
  `    static_configs: [{targets: ["${new URL(fleet.url).host}"]}]`,
  ''].join('\n'));
const prometheus = spawn('prometheus', [
  `--config.file=${path.join(dir, 'prometheus.yml')}`,
  `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
  `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
prometheus.stderr.on('data', (d) => { log += d.toString(); });

async function query(expr) {
  const response = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
  const body = await response.json();
  assert.equal(body.status, 'success', `${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}

try {
  for (let i = 0; i < 100; ++i) {
    try {
      if ((await query('up{job="tokenfab-gateway"} == 1')).length === 1) break;
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  assert.equal((await query('up{job="tokenfab-gateway"} == 1')).length, 1, 'the gateway is scraped');
  // The panels' queries whose answer has no finite value.
  async function emptyPanels() {
    const empty = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m');
        const result = await query(expr);
        if (!result.some((r) => Number.isFinite(Number(r.value[1])))) {
          empty.push(`${panel.title}: ${expr}`);
        }
      }
    }
    return empty;
  }

  await check('every panel query of the Grafana dashboard returns data', async () => {
    // Traffic once the gateway is scraped, round after round: the first makes the series, the
    // next ones move them after a scrape has seen them, so that rates have two points.
    let empty = [];
    for (let round = 0; round < 20; ++round) {
      const statuses = await sendTraffic(fleet.url, fleet.keys.acme, 8);
      assert.deepEqual([...new Set(statuses)], [200]);
      await sleep(1200);
      if (round >= 1 && (empty = await emptyPanels()).length === 0) break;
    }
    assert.deepEqual(empty, []);
    const queries = dashboard.panels.reduce((n, p) => n + p.targets.length, 0);
    assert.ok(queries >= 17, `${queries} queries`);
  });

  await check('prometheus loaded every alerting and recording rule, all healthy', async () => {
    const body = await (await fetch(`${api}/rules`)).json();
    const loaded = body.data.groups.flatMap((g) => g.rules);
    assert.equal(loaded.length, 10);
    for (const rule of loaded) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
  });
} catch (e) {
  console.error(`prometheus log (last 4000 characters):\n${log.slice(-4000)}`);
  throw e;
} finally {
  prometheus.kill('SIGTERM');
  await new Promise((resolve) => prometheus.on('exit', resolve));
  const { code } = await fleet.stop();
  assert.equal(code, 0, fleet.stderr());
  fs.rmSync(dir, { recursive: true, force: true });
}
