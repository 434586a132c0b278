// `tokenfab node --engine synthetic` end to end: no model file, tokens from a vocabulary at the
// configured TTFT and TPOT, through the official OpenAI SDK; a full node answers 429 with
// Retry-After (the SDK's RateLimitError); SIGTERM lets a stream in progress finish, then exits 0.
//
//   node node_synthetic_test.mjs TOKENFAB_BINARY
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { check, getJson, startNode, waitFor } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node node_synthetic_test.mjs TOKENFAB');
  process.exit(2);
}

const kTtftMs = 60;
const kTpotMs = 15;

const node = await startNode(tokenfab, [
  '--engine', 'synthetic', '--vocab', 'qwen3', '--served-model-name', 'synthetic-qwen',
  '--synthetic-ttft-ms', String(kTtftMs), '--synthetic-prompt-tokens', '16',
  '--synthetic-tpot-ms', String(kTpotMs), '--max-running', '1', '--max-waiting', '1',
  '--shutdown-grace-s', '20',
]);
const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: 'unused', maxRetries: 0 });

try {
  await check('synthetic chat streams real text at the configured TTFT and TPOT', async () => {
    const start = performance.now();
    const stream = await client.chat.completions.create({
      model: 'synthetic-qwen', messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 20, ignore_eos: true, stream: true, stream_options: { include_usage: true },
    });
    const times = [];
    let text = '';
    let usage = null;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta?.content ?? '';
      if (piece) {
        times.push(performance.now() - start);
        text += piece;
      }
      usage = chunk.usage ?? usage;
    }
    assert.ok(text.trim().length > 0);
    assert.equal(usage.completion_tokens, 20);
    const ttft = times[0];
    const tpot = (times.at(-1) - times[0]) / (times.length - 1);
    console.log(`# TTFT ${ttft.toFixed(1)} ms, TPOT ${tpot.toFixed(1)} ms over ${times.length} chunks`);
    // The performance model's time is a floor; the machine only adds to it.
    assert.ok(ttft >= kTtftMs * 0.8 && ttft < kTtftMs + 1000, `TTFT ${ttft}`);
    assert.ok(tpot >= kTpotMs * 0.8 && tpot < kTpotMs * 10, `TPOT ${tpot}`);
  });

  await check('a full node answers 429 with Retry-After (RateLimitError)', async () => {
    const long = { model: 'synthetic-qwen', prompt: 'x', max_tokens: 2000, ignore_eos: true,
                   stream: true };
    const a = await client.completions.create(long);
    const aIter = a[Symbol.asyncIterator]();
    await aIter.next();  // A runs
    const b = await client.completions.create(long);  // B waits: the queue is full
    await waitFor(async () => (await getJson(`${node.url}/load`)).body.waiting === 1, 'B to wait');
    await assert.rejects(client.completions.create({ model: 'synthetic-qwen', prompt: 'x' }),
      (err) => {
        assert.ok(err instanceof OpenAI.RateLimitError, err.constructor.name);
        assert.equal(err.status, 429);
        assert.ok(Number(err.headers.get('retry-after')) >= 1);
        assert.match(err.message, /queue is full/);
        return true;
      });
    a.controller.abort();
    b.controller.abort();
    await waitFor(async () => {
      const load = (await getJson(`${node.url}/load`)).body;
      return load.running === 0 && load.waiting === 0;
    }, 'the node to be idle');
  });

  await check('SIGTERM: the stream in progress finishes, then the node exits 0', async () => {
    const stream = await client.completions.create({
      model: 'synthetic-qwen', prompt: 'x', max_tokens: 30, ignore_eos: true, stream: true,
    });
    let chunks = 0;
    let finish = null;
    let signalled = false;
    for await (const chunk of stream) {
      ++chunks;
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (!signalled) {
        signalled = true;
        node.proc.kill('SIGTERM');
      }
    }
    assert.equal(finish, 'length');
    assert.ok(chunks >= 30);
    const { code } = await node.exited;
    assert.equal(code, 0);
    await assert.rejects(fetch(`${node.url}/health`));  // no longer listening
  });
} finally {
  const { code } = await node.stop();
  assert.equal(code, 0, `tokenfab node exit code ${code}: ${node.stderr()}`);
}
