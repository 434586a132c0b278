// Shared helpers of the `tokenfab node` integration tests: make a tiny model, start a node on
// port 0 (reading the bound address from its first output line), poll its JSON endpoints, and
// read a process's resident memory.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// A model of the tiny test shape (2 layers of dim 64, the llama3 vocabulary and template).
export function makeTinyModel(tokenfab, dir) {
  const file = path.join(dir, 'tiny.gguf');
  const result = spawnSync(tokenfab, ['model', 'create', '--shape', 'tiny', '-o', file]);
  assert.equal(result.status, 0, result.stderr.toString());
  return file;
}

// Starts `tokenfab node ARGS --port 0`; resolves once it prints its address.
export function startNode(tokenfab, args) {
  const proc = spawn(tokenfab, ['node', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d.toString(); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: proc.stdout });
  const ready = new Promise((resolve, reject) => {
    lines.once('line', (line) => {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (!match) reject(new Error(`unexpected first line: ${line}`));
      else resolve(match[1]);
    });
    proc.on('exit', (code) => reject(new Error(`tokenfab node exited (${code}): ${stderr}`)));
  });
  return ready.then(async (url) => {
    const node = {
      url,
      port: Number(new URL(url).port),
      proc,
      exited,
      stderr: () => stderr,
      async stop(signal = 'SIGTERM') {
        if (proc.exitCode === null) proc.kill(signal);
        return exited;
      },
    };
    // Ready once the model is loaded.
    await waitFor(async () => (await fetch(`${url}/health`)).status === 200, 'the node to load');
    return node;
  });
}

export async function getJson(url) {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

// Polls `condition` (async) until true; fails after `tries` attempts.
export async function waitFor(condition, what, tries = 3000) {
  for (let i = 0; i < tries; ++i) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Resident set size of a process, KiB, from /proc/PID/status.
export function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

export async function check(name, fn) {
  await fn();
  console.log(`ok - ${name}`);
}
