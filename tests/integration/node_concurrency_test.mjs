// 256 concurrent streams against `tokenfab node` on a tiny real model complete without error,
// and the node's memory returns to its baseline afterwards.
//
// Memory: resident set size (VmRSS in /proc/PID/status). The baseline is taken after one
// warm-up round of the same 256 streams (so allocator arenas, thread stacks, KV pages touched and
// connection buffers have reached their working size) once the node is idle again. Then three
// more rounds (768 requests); once idle, RSS must be within 16 MiB of the baseline: per-request
// state that leaked at ~20 KiB or more per request would exceed it.
//
//   node node_concurrency_test.mjs TOKENFAB_BINARY
import assert from 'node:assert/strict';
import fs from 'node:fs';
import OpenAI from 'openai';
import { check, getJson, makeTinyModel, rssKiB, startNode, tempDir, waitFor } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node node_concurrency_test.mjs TOKENFAB');
  process.exit(2);
}

const kStreams = 256;
const kTokens = 24;
const kToleranceKiB = 16 * 1024;

const dir = tempDir('tokenfab-node-load-');
const model = makeTinyModel(tokenfab, dir);
const node = await startNode(tokenfab, ['-m', model, '-t', '2', '--max-running', '256']);
const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: 'unused', maxRetries: 0 });

// One stream: its text, finish reason and usage.
async function stream(i) {
  const s = await client.chat.completions.create({
    model: 'tiny', messages: [{ role: 'user', content: `Request number ${i}: tell me a story` }],
    max_tokens: kTokens, ignore_eos: true, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of s) {
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  return { text, finish, usage };
}

async function round() {
  const started = Date.now();
  const results = await Promise.allSettled(Array.from({ length: kStreams }, (_, i) => stream(i)));
  const failed = results.filter((r) => r.status === 'rejected');
  assert.equal(failed.length, 0, `failed streams: ${failed.slice(0, 3).map((r) => r.reason)}`);
  for (const { value } of results) {
    assert.equal(value.finish, 'length');
    assert.equal(value.usage.completion_tokens, kTokens);
  }
  return (Date.now() - started) / 1000;
}

async function idle() {
  await waitFor(async () => {
    const load = (await getJson(`${node.url}/load`)).body;
    return load.running === 0 && load.waiting === 0 && load.kv_blocks_free === load.kv_blocks_total;
  }, 'the node to be idle');
}

try {
  let baseline = 0;
  await check(`warm-up: ${kStreams} concurrent streams`, async () => {
    const seconds = await round();
    await idle();
    baseline = rssKiB(node.proc.pid);
    console.log(`# warm-up ${seconds.toFixed(1)} s; baseline RSS ${(baseline / 1024).toFixed(1)} MiB`);
  });

  await check(`3 more rounds of ${kStreams} concurrent streams, all complete`, async () => {
    for (let r = 0; r < 3; ++r) {
      const seconds = await round();
      const peak = rssKiB(node.proc.pid);
      console.log(`# round ${r + 1}: ${seconds.toFixed(1)} s, RSS after ${(peak / 1024).toFixed(1)} MiB`);
    }
  });

  await check('memory returns to the baseline', async () => {
    await idle();
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /tokenfab:streams_open 0\n/);
    const after = rssKiB(node.proc.pid);
    console.log(`# after: RSS ${(after / 1024).toFixed(1)} MiB (baseline ${(baseline / 1024).toFixed(1)} MiB, ` +
                `tolerance ${kToleranceKiB / 1024} MiB)`);
    assert.ok(after <= baseline + kToleranceKiB,
      `RSS grew from ${baseline} KiB to ${after} KiB`);
  });
} finally {
  const { code } = await node.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(code, 0, `tokenfab node exit code ${code}: ${node.stderr()}`);
}
