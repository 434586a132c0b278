// End-to-end test of `tokenfab tokenize`: flags, output formats, exit codes, and --jsonl over the
// whole tokenizer corpus against the reference ids.
//
//   node tokenizer_cli_test.mjs TOKENFAB_BINARY CORPUS.jsonl GPT2_REFERENCE.jsonl
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const [tokenfab, corpusPath, referencePath] = process.argv.slice(2);
if (!referencePath) {
  console.error('usage: node tokenizer_cli_test.mjs TOKENFAB CORPUS.jsonl GPT2_REFERENCE.jsonl');
  process.exit(2);
}

function run(args, input) {
  const result = spawnSync(tokenfab, ['tokenize', ...args], { input, maxBuffer: 1 << 28 });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function check(name, fn) {
  fn();
  console.log(`ok - ${name}`);
}

check('ids as a JSON array, no BOS unless --add-special', () => {
  assert.deepEqual(run(['--vocab', 'llama3'], 'Hello world'), { status: 0, stdout: '[9906,1917]\n', stderr: '' });
  assert.equal(run(['--vocab', 'llama3', '--add-special'], 'Hello world').stdout, '[128000,9906,1917]\n');
  assert.equal(run(['--vocab', 'llama2', '--add-special'], 'Hello world').stdout, '[1,15043,3186]\n');
  assert.equal(run(['--vocab', 'gpt2'], '').stdout, '[]\n');
});

check('--count prints the number only', () => {
  assert.equal(run(['--vocab', 'qwen3', '--count'], 'Hello world').stdout, '2\n');
  assert.equal(run(['--vocab', 'llama2', '--count', '--add-special'], 'Hello world').stdout, '3\n');
});

check('--parse-special reads control-token texts', () => {
  assert.equal(run(['--vocab', 'llama3'], '<|eot_id|>').stdout, '[27,91,68,354,851,91,29]\n');
  assert.equal(run(['--vocab', 'llama3', '--parse-special'], '<|eot_id|>').stdout, '[128009]\n');
  // User-defined tokens are tokens either way.
  assert.equal(run(['--vocab', 'qwen3'], '<think>').stdout, '[151667]\n');
});

check('any bytes on stdin, including ill-formed UTF-8', () => {
  const result = run(['--vocab', 'gpt2'], Buffer.from([0xff, 0xfe, 0x41, 0xe4, 0xb8]));
  assert.equal(result.status, 0);
  assert.ok(JSON.parse(result.stdout).length >= 3);
});

check('--jsonl: one array or count per line', () => {
  const input = '"Hello world"\n"\\u4e2d"\n""\n';
  assert.equal(run(['--vocab', 'llama3', '--jsonl'], input).stdout, '[9906,1917]\n[16325]\n[]\n');
  assert.equal(run(['--vocab', 'llama3', '--jsonl', '--count'], input).stdout, '2\n1\n0\n');
});

check('errors: bad --jsonl line, missing vocabulary, unknown name', () => {
  const bad = run(['--vocab', 'llama3', '--jsonl'], '"ok"\n{"not": "a string"}\n');
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '[564]\n');
  assert.match(bad.stderr, /stdin line 2: not a JSON string/);
  const none = run([], 'x');
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--model FILE or --vocab NAME/);
  assert.notEqual(run(['--vocab', 'klingon'], 'x').status, 0);
});

check('--jsonl over the corpus equals the reference (gpt2, tiktoken)', () => {
  const entries = fs.readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const references = fs.readFileSync(referencePath, 'utf8').split('\n').filter((l) => l);
  assert.equal(entries.length, references.length);
  const lines = [];
  const expected = [];
  entries.forEach((entry, i) => {
    if (entry.text === undefined) return;
    lines.push(JSON.stringify(entry.text));
    expected.push(references[i]);
  });
  const result = run(['--vocab', 'gpt2', '--jsonl'], lines.join('\n') + '\n');
  assert.equal(result.status, 0, result.stderr);
  const got = result.stdout.split('\n').filter((l) => l);
  assert.equal(got.length, expected.length);
  let mismatches = 0;
  got.forEach((line, i) => { if (line !== expected[i]) ++mismatches; });
  assert.equal(mismatches, 0, `${mismatches} of ${got.length} lines differ`);
  console.log(`  ${got.length} lines, 0 mismatches`);
});
