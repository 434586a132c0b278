// A small test fleet for the operations tests: `tokenfab serve` on the example three-region fleet
// file, its three nodes in-process on the synthetic engine (free loopback ports), a price book,
// a second tenant, and a traffic generator that sends chats through the gateway.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(tokenfab, args) {
  const result = spawnSync(tokenfab, args);
  assert.equal(result.status, 0, `tokenfab ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.toString();
}

// Starts the fleet in `dir`; resolves with {url (the gateway's base), keys: {tenant: key},
// stop()}. `extraArgs` go to `tokenfab serve`.
export async function startOpsFleet(tokenfab, dir, extraArgs = []) {
  let toml = fs.readFileSync(path.join('examples', 'fleet-three-regions.toml'), 'utf8');
  for (const port of [8101, 8102, 8103]) {
    toml = toml.replace(`127.0.0.1:${port}`, `127.0.0.1:${await freePort()}`);
  }
  const fleetFile = path.join(dir, 'fleet.toml');
  fs.writeFileSync(fleetFile, toml);
  const data = ['--data-dir', path.join(dir, 'data')];
  run(tokenfab, ['prices', 'set', '--model', '*', '--input', '2', '--cached-input', '0.5',
                 '--output', '8', '--currency', 'CNY', '--from', '2020-01-01', ...data]);
  run(tokenfab, ['tenants', 'set', 'acme', '--tier', 'premium', ...data]);
  const keys = {};
  keys.acme = /(tf-\S+)/.exec(run(tokenfab, ['keys', 'create', '--tenant', 'acme', ...data]))[1];
  const proc = spawn(tokenfab, ['serve', '--fleet', fleetFile, ...data, '--listen', '127.0.0.1:0',
                                '--threads', '1', '--io-threads', '1', ...extraArgs],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d.toString(); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: proc.stdout });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const endpoint = /endpoint on (http:\/\/\S+)\/v1/.exec(line);
      if (endpoint) {
        resolve({ url: endpoint[1], keys, stderr: () => stderr,
                  async stop() { proc.kill('SIGTERM'); return exited; } });
      }
    });
    proc.on('exit', (code) => reject(new Error(`tokenfab serve exited (${code}): ${stderr}`)));
  });
}

// Sends `n` chats (in `parallel` at a time, every other one streamed) as `key`, and one request
// with a wrong key.
export async function sendTraffic(url, key, n, parallel = 4) {
  const one = async (i) => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'qwen3-8b', max_tokens: 16, stream: i % 2 === 1,
                             messages: [{ role: 'user', content: `request ${i}: tell me a story` }] }),
    });
    await response.text();
    return response.status;
  };
  const statuses = [];
  for (let i = 0; i < n; i += parallel) {
    statuses.push(...await Promise.all(
        Array.from({ length: Math.min(parallel, n - i) }, (_, j) => one(i + j))));
  }
  const wrong = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer tf-wrong' },
    body: JSON.stringify({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await wrong.text();
  return statuses;
}
