// `tokenfab node` driven by the official OpenAI SDK (the `openai` npm package, version pinned in
// package-lock.json) on a tiny real model: models, completions and chat, streamed and whole,
// usage, n, logprobs, and errors surfaced as the SDK's typed errors with our messages.
//
//   node node_openai_sdk_test.mjs TOKENFAB_BINARY
import assert from 'node:assert/strict';
import fs from 'node:fs';
import OpenAI from 'openai';
import { check, getJson, makeTinyModel, startNode, tempDir, waitFor } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node node_openai_sdk_test.mjs TOKENFAB');
  process.exit(2);
}

const dir = tempDir('tokenfab-node-sdk-');
const model = makeTinyModel(tokenfab, dir);
const node = await startNode(tokenfab, ['-m', model, '-t', '1', '--api-key', 'test-key']);
const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: 'test-key', maxRetries: 0 });

try {
  await check('models.list names the served model', async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['tiny']);
    assert.equal(models.data[0].object, 'model');
  });

  await check('completions.create: text, finish_reason, usage', async () => {
    const c = await client.completions.create({
      model: 'tiny', prompt: 'Once upon a time', max_tokens: 6, temperature: 0,
      ignore_eos: true,
    });
    assert.equal(c.object, 'text_completion');
    assert.match(c.id, /^cmpl-/);
    assert.equal(typeof c.choices[0].text, 'string');
    assert.ok(c.choices[0].text.length > 0);
    assert.equal(c.choices[0].finish_reason, 'length');
    assert.equal(c.usage.completion_tokens, 6);
    assert.equal(c.usage.prompt_tokens, 5);  // <|begin_of_text|> Once upon a time
    assert.equal(c.usage.total_tokens, 11);
    assert.equal(c.usage.prompt_tokens_details.cached_tokens, 0);
  });

  await check('greedy is deterministic', async () => {
    const body = { model: 'tiny', prompt: 'The sky is', max_tokens: 8, temperature: 0 };
    const a = await client.completions.create(body);
    const b = await client.completions.create(body);
    assert.equal(a.choices[0].text, b.choices[0].text);
  });

  await check('chat.completions.create through the chat template', async () => {
    const c = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello!' }],
      max_completion_tokens: 5, seed: 3, ignore_eos: true,
    });
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.choices[0].message.role, 'assistant');
    assert.equal(typeof c.choices[0].message.content, 'string');
    assert.equal(c.choices[0].finish_reason, 'length');
    // The llama3 template wraps both turns in header tokens: many more than the words.
    assert.ok(c.usage.prompt_tokens > 15, `prompt_tokens ${c.usage.prompt_tokens}`);
    assert.equal(c.usage.completion_tokens, 5);
  });

  await check('streamed chat: role first, content deltas, finish, usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny', messages: [{ role: 'user', content: 'Tell me a story' }],
      max_tokens: 12, stream: true, stream_options: { include_usage: true }, ignore_eos: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.length > 0);
    const finishes = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean);
    assert.deepEqual(finishes, ['length']);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.completion_tokens, 12);
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + 12);
    assert.ok(new Set(chunks.map((c) => c.id)).size === 1);
  });

  await check('streamed completion equals the whole one (greedy)', async () => {
    const body = { model: 'tiny', prompt: 'Hello world', max_tokens: 10, temperature: 0 };
    const whole = await client.completions.create(body);
    const stream = await client.completions.create({ ...body, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    assert.equal(text, whole.choices[0].text);
  });

  await check('n choices and logprobs', async () => {
    const c = await client.chat.completions.create({
      model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], n: 3, max_tokens: 4,
      logprobs: true, top_logprobs: 2, ignore_eos: true,
    });
    assert.deepEqual(c.choices.map((x) => x.index), [0, 1, 2]);
    for (const choice of c.choices) {
      assert.equal(choice.logprobs.content.length, 4);
      for (const entry of choice.logprobs.content) {
        assert.ok(entry.logprob <= 0);
        assert.equal(entry.top_logprobs.length, 2);
        assert.ok(Array.isArray(entry.bytes));
      }
    }
    assert.equal(c.usage.completion_tokens, 12);
    const t = await client.completions.create({
      model: 'tiny', prompt: 'x', max_tokens: 3, logprobs: 1, ignore_eos: true,
    });
    assert.equal(t.choices[0].logprobs.tokens.length, 3);
    assert.equal(t.choices[0].logprobs.token_logprobs.length, 3);
  });

  await check('a prefix served again is reported as cached', async () => {
    const prompt = 'word '.repeat(80);
    const first = await client.completions.create({ model: 'tiny', prompt, max_tokens: 1 });
    const second = await client.completions.create({ model: 'tiny', prompt, max_tokens: 1 });
    assert.equal(first.usage.prompt_tokens_details.cached_tokens, 0);
    assert.ok(second.usage.prompt_tokens_details.cached_tokens >= 64,
      JSON.stringify(second.usage));
  });

  await check('400: the SDK raises BadRequestError with our message and param', async () => {
    await assert.rejects(
      client.completions.create({ model: 'tiny', prompt: 'x', temperature: 'hot' }),
      (err) => {
        assert.ok(err instanceof OpenAI.BadRequestError, err.constructor.name);
        assert.equal(err.status, 400);
        assert.equal(err.param, 'temperature');
        assert.equal(err.type, 'invalid_request_error');
        assert.match(err.message, /'temperature' must be a number/);
        return true;
      });
    await assert.rejects(
      client.chat.completions.create({ model: 'tiny', messages: [{ role: 'robot', content: 'x' }] }),
      (err) => err instanceof OpenAI.BadRequestError && err.param === 'messages[0].role');
  });

  await check('404: unknown model is NotFoundError with code model_not_found', async () => {
    await assert.rejects(
      client.completions.create({ model: 'gpt-9', prompt: 'x' }),
      (err) => {
        assert.ok(err instanceof OpenAI.NotFoundError, err.constructor.name);
        assert.equal(err.code, 'model_not_found');
        assert.match(err.message, /gpt-9/);
        return true;
      });
  });

  await check('401: a wrong key is AuthenticationError', async () => {
    const bad = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: 'nope', maxRetries: 0 });
    await assert.rejects(bad.models.list(), (err) => {
      assert.ok(err instanceof OpenAI.AuthenticationError, err.constructor.name);
      assert.equal(err.status, 401);
      return true;
    });
  });

  await check('aborting a stream cancels it and frees its KV blocks', async () => {
    const before = (await getJson(`${node.url}/load`)).body;
    const controller = new AbortController();
    const stream = await client.completions.create(
      { model: 'tiny', prompt: 'x', max_tokens: 200, stream: true, ignore_eos: true },
      { signal: controller.signal });
    let seen = 0;
    try {
      for await (const chunk of stream) {
        assert.equal(typeof chunk.choices[0].text, 'string');
        if (++seen === 3) controller.abort();
      }
    } catch (err) {
      assert.ok(err instanceof OpenAI.APIUserAbortError, err.constructor.name);
    }
    assert.equal(seen, 3, 'the stream ended at the abort');
    await waitFor(async () => {
      const load = (await getJson(`${node.url}/load`)).body;
      return load.running === 0 && load.kv_blocks_free === before.kv_blocks_total;
    }, 'the KV blocks to be freed');
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const generated = Number(/tokenfab:generation_tokens_total\{[^}]*\} (\S+)/.exec(metrics)[1]);
    assert.ok(metrics.includes('finished_reason="abort"'));
    assert.ok(/tokenfab:request_success_total\{[^}]*finished_reason="abort"\} [1-9]/.test(metrics),
      'the aborted request is counted as abort');
    assert.ok(generated > 0);
  });
} finally {
  const { code } = await node.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(code, 0, `tokenfab node exit code ${code}: ${node.stderr()}`);
}
