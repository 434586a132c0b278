// tiktoken's encode throughput on the same text as tokenizer_bench (the well-formed lines of the
// tokenizer reference corpus, one encode per line), to report beside ours.
//
//   build/bin/tokenizer_corpus corpus.jsonl
//   node bench/micro/tokenizer_bench_tiktoken.mjs corpus.jsonl build/share/tokenfab/vocab
//
// gpt2: tiktoken's own encoding; llama3, qwen3: tiktoken with their ranks and patterns (Qwen's
// NFC normalisation is part of the timed work, as it is in ours); llama2: llama-tokenizer-js.
// Prints per vocabulary the MB/s (1 MB = 2^20 bytes, as Google Benchmark's "M"), best of the
// repetitions, on all lines and on the "typical" lines (without the "long" category), by CPU
// time (user + system, as Google Benchmark's default) and by wall time.
import fs from 'node:fs';
import path from 'node:path';
import { get_encoding, Tiktoken } from 'tiktoken';

const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN = LLAMA3_PATTERN.replace('\\p{N}{1,3}', '\\p{N}');

function byteDecoder() {
  const bytes = [];
  for (let b = 33; b <= 126; ++b) bytes.push(b);
  for (let b = 161; b <= 172; ++b) bytes.push(b);
  for (let b = 174; b <= 255; ++b) bytes.push(b);
  const chars = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; ++b) if (!bytes.includes(b)) { bytes.push(b); chars.push(256 + n++); }
  return new Map(bytes.map((b, i) => [String.fromCodePoint(chars[i]), b]));
}

function fromVocab(file, pattern) {
  const vocab = JSON.parse(fs.readFileSync(file, 'utf8'));
  const decoder = byteDecoder();
  const lines = [];
  const specials = {};
  vocab.tokens.forEach((text, id) => {
    if (vocab.token_types[id] === 4) specials[text] = id;
    if (vocab.token_types[id] !== 1) return;
    lines.push(`${Buffer.from(Array.from(text, (c) => decoder.get(c))).toString('base64')} ${id}`);
  });
  return { encoding: new Tiktoken(lines.join('\n'), specials, pattern), specials: Object.keys(specials) };
}

const [corpusPath, vocabDir, repsArg] = process.argv.slice(2);
if (!vocabDir) {
  console.error('usage: node tokenizer_bench_tiktoken.mjs CORPUS.jsonl VOCAB_DIR [REPS]');
  process.exit(2);
}
const reps = Number(repsArg || 5);
const entries = fs.readFileSync(corpusPath, 'utf8').split('\n').filter((l) => l)
  .map((l) => JSON.parse(l)).filter((e) => e.text !== undefined);
const sets = {
  all: entries.map((e) => e.text),
  typical: entries.filter((e) => e.category !== 'long').map((e) => e.text),
};

const gpt2 = get_encoding('gpt2');
const llama3 = fromVocab(path.join(vocabDir, 'llama3.json'), LLAMA3_PATTERN);
const qwen3 = fromVocab(path.join(vocabDir, 'qwen3.json'), QWEN2_PATTERN);
const { default: llama2 } = await import('llama-tokenizer-js');
const encoders = {
  gpt2: (t) => gpt2.encode_ordinary(t),
  llama3: (t) => llama3.encoding.encode_ordinary(t),
  qwen3: (t) => qwen3.encoding.encode(t.normalize('NFC'), qwen3.specials, []),
  llama2: (t) => llama2.encode(t, false, true),
};
for (const [set, texts] of Object.entries(sets)) {
  const bytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0);
  console.log(`${set}: ${texts.length} lines, ${bytes} bytes`);
  for (const [name, encode] of Object.entries(encoders)) {
    let bestCpu = Infinity;
    let bestWall = Infinity;
    let tokens = 0;
    for (let r = 0; r < reps; ++r) {
      const wall = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      tokens = 0;
      for (const t of texts) tokens += encode(t).length;
      const used = process.cpuUsage(cpu);
      bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
      bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - wall) / 1e9);
    }
    const label = name === 'llama2' ? 'llama-tokenizer-js' : 'tiktoken';
    const mbs = (seconds) => (bytes / 2 ** 20 / seconds).toFixed(2);
    console.log(`  ${name}/${set}\t${mbs(bestCpu)} MB/s cpu\t${mbs(bestWall)} MB/s wall\t` +
                `${tokens} tokens\t(${label})`);
  }
}
