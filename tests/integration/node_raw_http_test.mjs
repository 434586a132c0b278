// `tokenfab node` against raw HTTP: malformed and hostile input (bad JSON, invalid UTF-8, huge
// bodies and headers, a malformed request line), slow clients (one that sends too slowly, one
// that stops reading its stream) and a client that disconnects mid-stream. Every error must be
// an OpenAI-shaped JSON error with the right status, and every abandoned request must release
// its KV blocks. Runs the synthetic engine (no model file).
//
//   node node_raw_http_test.mjs TOKENFAB_BINARY
import assert from 'node:assert/strict';
import net from 'node:net';
import { check, getJson, startNode, waitFor } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node node_raw_http_test.mjs TOKENFAB');
  process.exit(2);
}

const node = await startNode(tokenfab, [
  '--engine', 'synthetic', '--vocab', 'llama3', '--served-model-name', 'synth',
  '--synthetic-ttft-ms', '5', '--synthetic-tpot-ms', '1',
  '--max-body-bytes', '65536', '--read-timeout-s', '1', '--write-timeout-s', '1',
]);

// Sends `bytes` on a fresh connection and collects everything until the server closes it.
function exchange(bytes) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(node.port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => { data += d.toString('latin1'); });
    socket.on('error', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.write(bytes);
  });
}

function post(path, body, extra = '') {
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
         `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extra}\r\n` + body;
}

// Status and the JSON error of a raw response.
function parseError(raw) {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  let body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  if (/transfer-encoding: chunked/i.test(head)) {
    body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
  }
  const error = JSON.parse(body).error;
  assert.equal(typeof error.message, 'string');
  assert.equal(typeof error.type, 'string');
  assert.ok('param' in error && 'code' in error);
  return { status, error, head };
}

// Requests the engine ended as aborted (cancelled) so far.
async function aborted() {
  const metrics = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/tokenfab:request_success_total\{[^}]*finished_reason="abort"\} (\S+)/.exec(metrics)[1]);
}

async function idle() {
  const total = (await getJson(`${node.url}/load`)).body.kv_blocks_total;
  await waitFor(async () => {
    const load = (await getJson(`${node.url}/load`)).body;
    return load.running === 0 && load.waiting === 0 && load.kv_blocks_free === total;
  }, 'the node to be idle with every KV block free');
}

try {
  await check('bad JSON is a 400 JSON error', async () => {
    const { status, error } = parseError(await exchange(post('/v1/completions', '{"prompt": ')));
    assert.equal(status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /not valid JSON/);
  });

  await check('invalid UTF-8 in a string is a 400', async () => {
    const body = Buffer.concat([Buffer.from('{"prompt": "'), Buffer.from([0xff, 0xfe]),
                                Buffer.from('"}')]);
    const head = `POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n` +
                 'Connection: close\r\n\r\n';
    const { status } = parseError(await exchange(Buffer.concat([Buffer.from(head), body])));
    assert.equal(status, 400);
  });

  await check('a body over --max-body-bytes is a 413 before it is sent', async () => {
    const head = 'POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n';
    const { status, error } = parseError(await exchange(head));
    assert.equal(status, 413);
    assert.equal(error.code, 'request_too_large');
  });

  await check('a huge header is a 431', async () => {
    const raw = await exchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70000)}\r\n\r\n`);
    assert.equal(parseError(raw).status, 431);
  });

  await check('a malformed request line is a 400', async () => {
    const raw = await exchange('BLAH\r\n\r\n');
    assert.equal(Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)[1]), 400);
  });

  await check('a client sending too slowly gets 408', async () => {
    // Half a request, then nothing: the read timeout (1 s) answers.
    const raw = await exchange('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"pro');
    assert.equal(parseError(raw).status, 408);
  });

  await check('unknown paths and methods are JSON 404/405', async () => {
    const close = 'Host: x\r\nConnection: close\r\n\r\n';
    assert.equal(parseError(await exchange(`GET /nope HTTP/1.1\r\n${close}`)).status, 404);
    const { status, head } = parseError(
      await exchange(`DELETE /v1/completions HTTP/1.1\r\n${close}`));
    assert.equal(status, 405);
    assert.match(head, /Allow: POST/i);
  });

  await check('mid-stream disconnect cancels the request and frees its KV blocks', async () => {
    await idle();
    const before = await aborted();
    await new Promise((resolve) => {
      const socket = net.connect(node.port, '127.0.0.1');
      let seen = '';
      socket.on('data', (d) => {
        seen += d.toString();
        if ((seen.match(/data: /g) ?? []).length >= 3) {
          socket.destroy();
          resolve();
        }
      });
      socket.write(post('/v1/completions',
        '{"prompt": "x", "max_tokens": 5000, "ignore_eos": true, "stream": true}'));
    });
    await idle();
    assert.equal(await aborted(), before + 1);
  });

  await check('a client that stops reading is dropped and its request cancelled', async () => {
    await idle();
    const before = await aborted();
    const socket = net.connect(node.port, '127.0.0.1');
    socket.setNoDelay(true);
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    socket.pause();  // never read
    socket.write(post('/v1/completions',
      '{"prompt": "x", "max_tokens": 8000, "n": 8, "ignore_eos": true, "stream": true}'));
    await waitFor(async () => (await getJson(`${node.url}/load`)).body.running > 0,
                  'the stream to start');
    // Its socket buffers fill; after the write timeout the node gives up on it.
    await idle();
    assert.equal(await aborted(), before + 8, 'all 8 choices were cancelled, not finished');
    socket.destroy();
    await closed;
  });

  await check('the node still serves after all that', async () => {
    const response = await fetch(`${node.url}/v1/completions`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'synth', prompt: 'x', max_tokens: 3, ignore_eos: true }),
    });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).usage.completion_tokens, 3);
  });
} finally {
  const { code } = await node.stop();
  assert.equal(code, 0, `tokenfab node exit code ${code}: ${node.stderr()}`);
}
