// The Files and Batches APIs through the official OpenAI SDK, on `tokenfab serve` with its demo
// model: files.create, batches.create / retrieve / list / cancel, the output file's lines (one per
// custom_id, in OpenAI's format), tenant isolation, service_tier echoed on chat, and a kill -9 of the server
// mid-batch: after a restart the batch completes with every line answered once and the ledger
// holding exactly one usage event per line.
//
//   node batch_sdk_test.mjs TOKENFAB_BINARY
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import OpenAI, { toFile } from 'openai';
import { check, tempDir, waitFor } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node batch_sdk_test.mjs TOKENFAB');
  process.exit(2);
}

const kMaxFileBytes = 64 << 10;

// Starts `tokenfab serve` on `dataDir`; resolves once it prints its endpoint.
function startServe(dataDir) {
  const proc = spawn(tokenfab, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
                                '--threads', '1', '--io-threads', '1',
                                '--max-file-bytes', String(kMaxFileBytes)],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d.toString(); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: proc.stdout });
  let key = null;
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const keyMatch = /^your API key .*: (\S+)$/.exec(line);
      if (keyMatch) key = keyMatch[1];
      const endpoint = /endpoint on (http:\/\/\S+\/v1)/.exec(line);
      if (endpoint) resolve({ url: endpoint[1], key, proc, exited, stderr: () => stderr });
    });
    proc.on('exit', (code) => reject(new Error(`tokenfab serve exited (${code}): ${stderr}`)));
  });
}

function requests(count, prefix, maxTokens = 4) {
  const lines = [];
  for (let i = 0; i < count; ++i) {
    lines.push(JSON.stringify({
      custom_id: `${prefix}-${i}`, method: 'POST', url: '/v1/chat/completions',
      body: { model: 'tokenfab-demo', messages: [{ role: 'user', content: `Count to ${i}.` }],
              max_tokens: maxTokens, temperature: 0 },
    }));
  }
  return lines.join('\n') + '\n';
}

async function upload(client, text) {
  return client.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
}

async function waitForStatus(client, id, statuses, tries = 2000) {
  let batch = null;
  await waitFor(async () => {
    batch = await client.batches.retrieve(id);
    return statuses.includes(batch.status);
  }, `batch ${id} to reach ${statuses}`, tries);
  return batch;
}

// The output file's lines by custom_id (each must occur once).
async function outputLines(client, fileId) {
  const text = await (await client.files.content(fileId)).text();
  const byId = new Map();
  for (const line of text.trim().split('\n')) {
    const item = JSON.parse(line);
    assert.ok(!byId.has(item.custom_id), `custom_id ${item.custom_id} twice`);
    byId.set(item.custom_id, item);
  }
  return byId;
}

function ledgerRequests(dataDir) {
  const usage = spawnSync(tokenfab, ['usage', '--data-dir', dataDir, '--format', 'csv']);
  assert.equal(usage.status, 0, usage.stderr.toString());
  const [header, row] = usage.stdout.toString().trim().split('\n');
  const columns = header.split(',');
  const values = Object.fromEntries(row.split(',').map((v, i) => [columns[i], v]));
  return { requests: Number(values.requests), completion: Number(values.completion_tokens) };
}

const dataDir = path.join(tempDir('tokenfab-batch-'), 'data');
let server = await startServe(dataDir);
const key = server.key;
let client = new OpenAI({ baseURL: server.url, apiKey: key, maxRetries: 0 });

try {
  await check('chat echoes the service tier it was served at', async () => {
    const flex = await client.chat.completions.create({
      model: 'tokenfab-demo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
      service_tier: 'flex',
    });
    assert.equal(flex.service_tier, 'flex');
    const plain = await client.chat.completions.create({
      model: 'tokenfab-demo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
    });
    assert.equal(plain.service_tier, 'default');
    await assert.rejects(
      client.chat.completions.create({
        model: 'tokenfab-demo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
        service_tier: 'turbo',
      }),
      (err) => err instanceof OpenAI.BadRequestError && /service_tier/.test(err.message));
  });

  await check('files.create stores a batch file; retrieve and list show it', async () => {
    const file = await upload(client, requests(3, 'small'));
    assert.match(file.id, /^file-/);
    assert.equal(file.purpose, 'batch');
    assert.equal((await client.files.retrieve(file.id)).bytes, file.bytes);
    const listed = [];
    for await (const f of client.files.list()) listed.push(f.id);
    assert.ok(listed.includes(file.id));
    const stranger = new OpenAI({ baseURL: server.url, apiKey: 'tf-not-a-key', maxRetries: 0 });
    await assert.rejects(stranger.files.retrieve(file.id),
                         (err) => err instanceof OpenAI.AuthenticationError);
    await assert.rejects(upload(client, 'x'.repeat(kMaxFileBytes + 1)),
                         (err) => err.status === 413 && err.code === 'file_too_large');
    await assert.rejects(upload(client, ''),
                         (err) => err instanceof OpenAI.BadRequestError && err.code === 'empty_file');
    await assert.rejects(
      client.files.create({ file: await toFile(Buffer.from('{}'), 'a.jsonl'), purpose: 'fine-tune' }),
      (err) => err instanceof OpenAI.BadRequestError && err.code === 'invalid_purpose');
    const doomed = await upload(client, requests(1, 'doomed'));
    assert.equal((await client.files.delete(doomed.id)).deleted, true);
    await assert.rejects(client.files.retrieve(doomed.id),
                         (err) => err instanceof OpenAI.NotFoundError);
  });

  await check('a batch runs to completed with an output line per custom_id', async () => {
    const file = await upload(client, requests(6, 'done'));
    const created = await client.batches.create({
      input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h',
      metadata: { job: 'sdk-test' },
    });
    assert.match(created.id, /^batch_/);
    assert.equal(created.metadata.job, 'sdk-test');
    const batch = await waitForStatus(client, created.id, ['completed', 'failed']);
    assert.equal(batch.status, 'completed', JSON.stringify(batch));
    assert.deepEqual(batch.request_counts, { total: 6, completed: 6, failed: 0 });
    assert.ok(batch.in_progress_at && batch.finalizing_at && batch.completed_at);
    assert.equal(batch.error_file_id, null);
    const lines = await outputLines(client, batch.output_file_id);
    assert.equal(lines.size, 6);
    for (let i = 0; i < 6; ++i) {
      const line = lines.get(`done-${i}`);
      assert.equal(line.error, null);
      assert.equal(line.response.status_code, 200);
      assert.equal(line.response.body.object, 'chat.completion');
      assert.ok(line.response.body.usage.completion_tokens >= 1);
    }
    const listed = [];
    for await (const b of client.batches.list({ limit: 1 })) listed.push(b.id);
    assert.ok(listed.includes(created.id), `${listed}`);

    // Another tenant sees neither the batch nor its files.
    const made = spawnSync(tokenfab, ['keys', 'create', '--tenant', 'other', '--data-dir', dataDir]);
    assert.equal(made.status, 0, made.stderr.toString());
    const other = new OpenAI({ baseURL: server.url, apiKey: made.stdout.toString().trim(),
                               maxRetries: 0 });
    await assert.rejects(other.batches.retrieve(created.id),
                         (err) => err instanceof OpenAI.NotFoundError);
    await assert.rejects(other.files.content(batch.output_file_id),
                         (err) => err instanceof OpenAI.NotFoundError);
    await assert.rejects(other.files.delete(file.id), (err) => err instanceof OpenAI.NotFoundError);
    const theirs = [];
    for await (const f of other.files.list()) theirs.push(f.id);
    assert.deepEqual(theirs, []);
    assert.deepEqual((await other.batches.list()).data, []);
  });

  await check('a bad input file fails validation naming each bad line', async () => {
    const text = requests(1, 'ok') + '{oops\n' +
                 JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/completions',
                                  body: { model: 'tokenfab-demo' } }) + '\n';
    const file = await upload(client, text);
    const created = await client.batches.create({
      input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h',
    });
    const batch = await waitForStatus(client, created.id, ['failed', 'completed']);
    assert.equal(batch.status, 'failed');
    assert.deepEqual(batch.errors.data.map((e) => e.line), [2, 3]);
  });

  await check('cancel stops a running batch; the rest is reported as cancelled', async () => {
    const file = await upload(client, requests(300, 'cancel', 64));
    const created = await client.batches.create({
      input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h',
    });
    // Running, not still validating (a batch cancelled then has no lines and no files).
    const running = await waitForStatus(client, created.id, ['in_progress', 'finalizing', 'completed']);
    assert.equal(running.status, 'in_progress');
    const cancelling = await client.batches.cancel(created.id);
    assert.ok(['cancelling', 'cancelled'].includes(cancelling.status), cancelling.status);
    const batch = await waitForStatus(client, created.id, ['cancelled']);
    assert.ok(batch.cancelled_at >= batch.cancelling_at);
    assert.ok(batch.request_counts.completed < 300);
    const errors = await outputLines(client, batch.error_file_id);
    const notRun = [...errors.values()].filter((l) => l.error?.code === 'batch_cancelled');
    assert.equal(notRun.length, 300 - batch.request_counts.completed);
    await assert.rejects(client.batches.cancel('batch_nope'),
                         (err) => err instanceof OpenAI.NotFoundError);
  });
} catch (err) {
  server.proc.kill('SIGKILL');
  throw err;
}

server.proc.kill('SIGTERM');
assert.equal((await server.exited).code, 0, server.stderr());

await check('kill -9 mid-batch: after a restart every line is answered and billed once', async () => {
  // A ledger of its own, so that its usage is this batch's alone.
  const crashDir = path.join(tempDir('tokenfab-batch-crash-'), 'data');
  server = await startServe(crashDir);
  const crashKey = server.key;
  client = new OpenAI({ baseURL: server.url, apiKey: crashKey, maxRetries: 0 });
  const file = await upload(client, requests(40, 'crash', 8));
  const created = await client.batches.create({
    input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h',
  });
  await waitFor(async () => {
    const b = await client.batches.retrieve(created.id);
    return b.request_counts.completed >= 5;
  }, 'some lines to finish');
  server.proc.kill('SIGKILL');
  await server.exited;
  server = await startServe(crashDir);
  client = new OpenAI({ baseURL: server.url, apiKey: crashKey, maxRetries: 0 });
  const batch = await waitForStatus(client, created.id, ['completed', 'failed']);
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 40, completed: 40, failed: 0 });
  const lines = await outputLines(client, batch.output_file_id);
  assert.equal(lines.size, 40);
  const outputCompletion = [...lines.values()]
      .reduce((sum, l) => sum + l.response.body.usage.completion_tokens, 0);
  server.proc.kill('SIGTERM');
  assert.equal((await server.exited).code, 0, server.stderr());
  // One usage event per line (a line in flight at the kill ran again under the same request id
  // and was not billed again), and the ledger's tokens are the output file's.
  const ledger = ledgerRequests(crashDir);
  assert.equal(ledger.requests, 40);
  assert.equal(ledger.completion, outputCompletion);
});
