// The rolling upgrade of docs/deploy.md, without the registry: a gateway over a fleet file of
// three nodes (synthetic engine, fixed loopback ports as a fleet file or StatefulSet names would
// give them) serves streaming chats from several clients without pause while every node is
// replaced in turn: SIGTERM, its streams finish and it exits cleanly, a new process starts on
// the same address, the gateway sees it healthy, the next one goes. Every request must succeed
// with a whole stream, and every replacement must serve some of them.
//
//   node rolling_upgrade_test.mjs TOKENFAB
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from './ops_fleet.mjs';
import { check, tempDir, waitFor } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node rolling_upgrade_test.mjs TOKENFAB');
  process.exit(2);
}
const kNodes = 3;
const kClients = 6;
const kShutdownGraceS = 10;

// A process that prints `listening on URL` first; resolves with {url, exited, stop}.
function startListening(args) {
  const proc = spawn(tokenfab, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d.toString(); });
  const exited =
    new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: proc.stdout });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /listening on (http:\/\/\S+)$/.exec(line);
      if (m) resolve({ url: m[1], exited, stderr: () => stderr, stop: () => proc.kill('SIGTERM') });
    });
    proc.on('exit', (code) => reject(new Error(`tokenfab ${args[0]} exited (${code}): ${stderr}`)));
  });
}

function startNode(port) {
  return startListening(['node', '--engine', 'synthetic', '--vocab', 'llama3',
                         '--served-model-name', 'demo', '--host', '127.0.0.1',
                         '--port', String(port), '--io-threads', '1',
                         '--synthetic-ttft-ms', '20', '--synthetic-tpot-ms', '10',
                         '--shutdown-grace-s', String(kShutdownGraceS)]);
}

function run(args) {
  const result = spawnSync(tokenfab, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `tokenfab ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const dir = tempDir('tokenfab-rolling-');
const ports = [];
for (let i = 0; i < kNodes; ++i) ports.push(await freePort());
const fleetFile = path.join(dir, 'fleet.toml');
fs.writeFileSync(fleetFile, [
  'currency = "CNY"',
  '[[regions]]', 'name = "west"',
  '[[sites]]', 'name = "hub"', 'region = "west"',
  '[sites.energy]', 'pue = 1.2', 'green_share = 0.5', 'carbon_g_per_kwh = 300', 'price = 0.4',
  ...ports.flatMap((port, i) => [
    '[[upstreams]]', `name = "node-${i}"`, `url = "http://127.0.0.1:${port}"`,
    'kind = "tokenfab-node"', 'models = ["demo"]', 'site = "hub"',
    '[upstreams.hardware]', 'kind = "cpu"', 'model = "test"', 'count = 1', 'peak_tflops = 1',
    'mem_bandwidth_gbps = 50', 'power_idle_w = 10', 'power_max_w = 50']),
  '[[models]]', 'name = "demo"', 'vocab = "llama3"', ''].join('\n'));
const data = ['--data-dir', path.join(dir, 'data')];
run(['tenants', 'set', 'acme', '--tier', 'premium', ...data]);
// A gateway serves no model without a price.
run(['prices', 'set', '--model', 'demo', '--input', '2', '--cached-input', '0.5', '--output', '8',
     '--currency', 'CNY', '--from', '2020-01-01', ...data]);
const key = /(tf-\S+)/.exec(run(['keys', 'create', '--tenant', 'acme', ...data]))[1];

const nodes = await Promise.all(ports.map(startNode));
const gateway = await startListening(['gateway', '--fleet', fleetFile, ...data,
                                      '--listen', '127.0.0.1:0', '--io-threads', '1',
                                      '--no-slo-admission', '--poll-interval-ms', '100']);
const upstreams = async () => (await (await fetch(`${gateway.url}/fleet`)).json()).upstreams;
await waitFor(async () => (await upstreams()).every((u) => u.healthy), 'every node healthy');

// Clients: streamed chats back to back until told to stop; each outcome recorded.
const outcomes = [];
let sending = true;
async function client(c) {
  for (let n = 0; sending; ++n) {
    let outcome;
    try {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo', stream: true, max_tokens: 20,
                               messages: [{ role: 'user', content: `client ${c} request ${n}` }] }),
      });
      const body = await response.text();
      const whole = response.status === 200 && body.includes('"finish_reason":"length"') &&
                    body.trimEnd().endsWith('data: [DONE]');
      outcome = whole ? 'ok' : `${response.status}: ${body.slice(-300)}`;
    } catch (e) {
      outcome = `client error: ${e.message}`;
    }
    outcomes.push(outcome);
  }
}
const clients = [...Array(kClients).keys()].map(client);

await check('every node replaced in turn under load; every request served whole', async () => {
  try {
    await waitFor(async () => outcomes.length >= 20, 'traffic before the upgrade');
    for (let i = 0; i < kNodes; ++i) {
      const before = outcomes.length;
      // 1-2: drain while streams are in flight on the node; they must finish.
      await waitFor(async () => (await upstreams())[i].in_flight > 0, `streams on node-${i}`);
      nodes[i].stop();
      const { code, signal } = await nodes[i].exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null },
                       `node-${i} exits after its drain`);
      nodes[i] = await startNode(ports[i]);  // 4: the new version on the same address
      await waitFor(async () => (await upstreams())[i].healthy,
                    `the gateway to see node-${i} again`);
      // 6: the new node serves before the next one drains.
      await waitFor(async () => (await (await fetch(`${nodes[i].url}/metrics`)).text())
        .split('\n').some((l) => /^tokenfab:e2e_request_latency_seconds_count\S* [1-9]/.test(l)),
      `node-${i}'s replacement to serve`);
      assert.ok(outcomes.length > before, 'requests went on during the replacement');
    }
  } finally {
    sending = false;
    await Promise.all(clients);
    const failed = outcomes.filter((o) => o !== 'ok');
    const first = failed.length ? `; first: ${failed[0]}` : '';
    console.log(`# ${outcomes.length} requests, ${failed.length} failed${first}`);
  }
  const failed = outcomes.filter((o) => o !== 'ok');
  assert.deepEqual(failed, [], `${failed.length} of ${outcomes.length} requests failed`);
});

gateway.stop();
assert.equal((await gateway.exited).code, 0, gateway.stderr());
for (const node of nodes) node.stop();
await Promise.all(nodes.map((n) => n.exited));
fs.rmSync(dir, { recursive: true, force: true });
