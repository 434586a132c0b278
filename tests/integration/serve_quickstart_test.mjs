// `tokenfab serve` with no fleet, as the README's first command runs it: a fresh data folder gets
// a demo model, a SQLite ledger and one API key printed once; the endpoint answers the official
// OpenAI SDK through the gateway (headers name the upstream and region), refuses a wrong key,
// and the ledger holds exactly the usage the client saw. A second start reuses the model and the
// key and prints no new one.
//
//   node serve_quickstart_test.mjs TOKENFAB_BINARY
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import OpenAI from 'openai';
import { check, tempDir } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node serve_quickstart_test.mjs TOKENFAB');
  process.exit(2);
}

// Starts `tokenfab serve` on `dataDir`; resolves with its endpoint and the key it printed (if any)
// once it prints its endpoint line.
function startServe(dataDir) {
  const proc = spawn(tokenfab, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
                                '--threads', '1', '--io-threads', '1'],
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
      if (endpoint) {
        resolve({ url: endpoint[1], key, proc, exited, stderr: () => stderr,
                  async stop() { proc.kill('SIGTERM'); return exited; } });
      }
    });
    proc.on('exit', (code) => reject(new Error(`tokenfab serve exited (${code}): ${stderr}`)));
  });
}

const dataDir = path.join(tempDir('tokenfab-serve-'), 'data');
let seen = { requests: 0, prompt: 0, completion: 0, seconds: 0, energyWh: 0, costMicros: 0 };

// The embedded default's demo price book (apps/tokenfab/embedded_default.h): CNY per million tokens, 2.00 for
// uncached prompt tokens, 0.50 for cached ones, 8.00 for completion tokens; the ledger rounds
// each request's cost half up to a micro-yuan. In micro-yuan per token: 2, 0.5 and 8.
function demoCostMicros(usage) {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return Math.floor((usage.prompt_tokens - cached) * 2 + cached * 0.5 +
                    usage.completion_tokens * 8 + 0.5);
}

const first = await startServe(dataDir);
try {
  await check('the first start makes the demo model and prints a key', async () => {
    assert.match(first.key ?? '', /^tf-/);
    assert.ok(fs.existsSync(path.join(dataDir, 'models', 'tokenfab-demo.gguf')));
    assert.ok(fs.existsSync(path.join(dataDir, 'ledger.sqlite')));
    assert.match(first.stderr(), /creating the demo model/);
  });

  const client = new OpenAI({ baseURL: first.url, apiKey: first.key, maxRetries: 0 });

  await check('the SDK lists the model and gets a chat answer through the gateway', async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['tokenfab-demo']);
    const started = performance.now();
    const { data, response } = await client.chat.completions.create({
      model: 'tokenfab-demo', messages: [{ role: 'user', content: 'Hello, factory!' }],
      max_tokens: 8, temperature: 0,
    }).withResponse();
    seen.seconds += (performance.now() - started) / 1000;
    assert.equal(response.headers.get('x-tokenfab-upstream'), 'local-node');
    assert.equal(response.headers.get('x-tokenfab-region'), 'local');
    assert.equal(data.choices[0].message.role, 'assistant');
    assert.ok(data.usage.prompt_tokens > 0);
    assert.ok(data.usage.completion_tokens >= 1 && data.usage.completion_tokens <= 8);
    seen.requests += 1;
    seen.prompt += data.usage.prompt_tokens;
    seen.completion += data.usage.completion_tokens;
    seen.costMicros += demoCostMicros(data.usage);
  });

  await check('a stream relays chunk by chunk and ends with usage', async () => {
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: 'tokenfab-demo', messages: [{ role: 'user', content: 'Stream, please.' }],
      max_tokens: 12, stream: true, stream_options: { include_usage: true }, seed: 7,
    });
    let chunks = 0;
    let usage = null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) ++chunks;
      usage = chunk.usage ?? usage;
    }
    seen.seconds += (performance.now() - started) / 1000;
    assert.ok(chunks >= 1);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    seen.requests += 1;
    seen.prompt += usage.prompt_tokens;
    seen.completion += usage.completion_tokens;
    seen.costMicros += demoCostMicros(usage);
  });

  await check('the gateway meters energy within the local site\'s power envelope', async () => {
    // The embedded default's one node: a CPU drawing 10 W idle to 65 W at full load, at a site of
    // PUE 1.2. No request can be billed more than 65 W * 1.2 = 78 W for longer than the client
    // waited for it; and a request that made tokens drew some energy (at least the idle 10 W
    // while it was served), so the total is positive.
    const metricsUrl = first.url.replace(/\/v1$/, '/metrics');
    const metric = (text, name) => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : NaN;
    };
    let text = '';
    for (let i = 0; i < 100; ++i) {
      text = await (await fetch(metricsUrl)).text();
      if (metric(text, 'tokenfab_gateway_completion_tokens_total') === seen.completion &&
          metric(text, 'tokenfab_gateway_energy_joules_total') > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(metric(text, 'tokenfab_gateway_completion_tokens_total'), seen.completion, text);
    seen.energyWh = metric(text, 'tokenfab_gateway_energy_joules_total') / 3600;
    assert.ok(seen.energyWh > 0, `energy ${seen.energyWh} Wh`);
    const ceilingWh = 65 * 1.2 * seen.seconds / 3600;
    assert.ok(seen.energyWh <= ceilingWh,
              `energy ${seen.energyWh} Wh over ${seen.seconds} s exceeds 78 W (${ceilingWh} Wh)`);
  });

  await check('a wrong key is a 401 the SDK surfaces', async () => {
    const stranger = new OpenAI({ baseURL: first.url, apiKey: 'tf-not-a-key', maxRetries: 0 });
    await assert.rejects(
      stranger.chat.completions.create({
        model: 'tokenfab-demo', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
      }),
      (err) => err instanceof OpenAI.AuthenticationError && err.status === 401 && err.message.length > 0);
  });
} finally {
  const { code } = await first.stop();
  assert.equal(code, 0, first.stderr());
}

await check('the ledger holds the usage the client saw, token for token', async () => {
  const usage = spawnSync(tokenfab, ['usage', '--data-dir', dataDir, '--format', 'csv']);
  assert.equal(usage.status, 0, usage.stderr.toString());
  const [header, row] = usage.stdout.toString().trim().split('\n');
  const columns = header.split(',');
  const values = Object.fromEntries(row.split(',').map((v, i) => [columns[i], v]));
  assert.equal(Number(values.requests), seen.requests);
  assert.equal(Number(values.prompt_tokens), seen.prompt);
  assert.equal(Number(values.completion_tokens), seen.completion);
  // The ledger holds the energy the gateway metered, printed to nine significant digits.
  assert.ok(Math.abs(Number(values.energy_wh) - seen.energyWh) <= 1e-8 * seen.energyWh,
            `ledger ${values.energy_wh} Wh, metered ${seen.energyWh} Wh`);
});

await check('usage shows the demo price book and the site\'s energy economics', async () => {
  const usage = spawnSync(tokenfab, ['usage', '--data-dir', dataDir, '--by', 'tenant,site,tier',
                                     '--format', 'json']);
  assert.equal(usage.status, 0, usage.stderr.toString());
  const report = JSON.parse(usage.stdout.toString());
  assert.equal(report.energy_currency, 'CNY');
  assert.equal(report.rows.length, 1, usage.stdout.toString());
  const row = report.rows[0];
  assert.deepEqual([row.tenant, row.site, row.tier], ['default', 'local', 'standard']);
  assert.equal(row.currency, 'CNY');
  // The price: the demo book applied to the token counts the client saw.
  assert.ok(seen.costMicros > 0);
  assert.equal(row.cost_micros, seen.costMicros);
  // The energy: within the local CPU's 10-65 W envelope (PUE 1.2) over the time served; its
  // carbon at 250 g/kWh, its cost at 0.398 CNY/kWh, 55 % of it green.
  const wh = row.energy_wh;
  assert.ok(wh > 0 && wh <= 65 * 1.2 * seen.seconds / 3600, `energy ${wh} Wh`);
  const near = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-12);
  assert.ok(near(row.carbon_g, wh / 1000 * 250), `carbon ${row.carbon_g} g for ${wh} Wh`);
  assert.ok(near(row.energy_cost, wh / 1000 * 0.398), `energy cost ${row.energy_cost}`);
  assert.ok(near(row.margin, seen.costMicros / 1e6 - wh / 1000 * 0.398), `margin ${row.margin}`);
  assert.ok(near(row.green_share, 0.55), `green share ${row.green_share}`);

  // The table for people: no figure rounds away to zero.
  const table = spawnSync(tokenfab, ['usage', '--data-dir', dataDir]);
  assert.equal(table.status, 0, table.stderr.toString());
  const text = table.stdout.toString();
  assert.match(text, /[0-9.]+ (µWh|mWh|Wh)/, text);
  assert.doesNotMatch(text, / 0\.000 Wh| 0\.000000  /, text);

  // The HTML report: self-contained, with the report's data.
  const chart = path.join(path.dirname(dataDir), 'usage.html');
  const charted = spawnSync(tokenfab, ['usage', '--data-dir', dataDir, '--by', 'model',
                                       '--chart', chart]);
  assert.equal(charted.status, 0, charted.stderr.toString());
  const html = fs.readFileSync(chart, 'utf8');
  assert.match(html, /uPlot/);
  assert.match(html, /"model":"tokenfab-demo"/);
  assert.doesNotMatch(html, /src="http/);
});

const second = await startServe(dataDir);
try {
  await check('a second start reuses the model and the key, and prints no new key', async () => {
    assert.equal(second.key, null);
    assert.doesNotMatch(second.stderr(), /creating the demo model/);
    const client = new OpenAI({ baseURL: second.url, apiKey: first.key, maxRetries: 0 });
    const answer = await client.completions.create({
      model: 'tokenfab-demo', prompt: 'Once upon a time', max_tokens: 4,
    });
    assert.ok(answer.usage.completion_tokens >= 1);
  });
} finally {
  const { code } = await second.stop();
  assert.equal(code, 0, second.stderr());
}
