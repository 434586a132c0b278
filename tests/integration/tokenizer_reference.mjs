// Reference token ids for the tokenizer corpus, from the reference tokenizers:
//   gpt2    tiktoken's own "gpt2" encoding (OpenAI's Rust code, WASM build)
//   llama3  tiktoken with the Llama 3 ranks (rank = token id, bytes = the byte-level-decoded
//           token text) and the Llama 3 pattern
//   qwen3   tiktoken with the Qwen ranks and the Qwen 2 pattern, on the NFC form of the text
//           (Qwen's tokenizer normalises to NFC); Qwen's user-defined tokens (<think>, ...) are
//           tiktoken special tokens, allowed, since they are recognised in any text
//   llama2  llama-tokenizer-js (SentencePiece BPE with byte fallback), no BOS, with the "▁"
//           prefix
// Control tokens are not parsed: the text is plain text.
//
//   node tokenizer_reference.mjs CORPUS.jsonl VOCAB_DIR NAME OUT.jsonl
//
// Writes one line per corpus entry: the JSON array of ids, or null for an entry that is not
// well-formed UTF-8 (the JavaScript APIs take strings, so no reference exists for those). When
// the reference normalises the text first (qwen3) and that changes it, the line is
// {"ids": [...], "normalized": "..."}: Node's NFC follows its own Unicode version, which may be
// newer than that of the implementation under test, and the checker tells the two apart.
import fs from 'node:fs';
import path from 'node:path';
import { get_encoding, Tiktoken } from 'tiktoken';

const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const TYPE_NORMAL = 1;
const TYPE_USER_DEFINED = 4;

// GPT-2's bytes_to_unicode, inverted: character -> byte.
function byteDecoder() {
  const bytes = [];
  for (let b = 33; b <= 126; ++b) bytes.push(b);
  for (let b = 161; b <= 172; ++b) bytes.push(b);
  for (let b = 174; b <= 255; ++b) bytes.push(b);
  const chars = bytes.slice();
  let n = 0;
  for (let b = 0; b < 256; ++b) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  const decoder = new Map();
  bytes.forEach((b, i) => decoder.set(String.fromCodePoint(chars[i]), b));
  return decoder;
}

function tiktokenFromVocab(vocab, pattern) {
  const decoder = byteDecoder();
  const lines = [];
  const specials = {};
  vocab.tokens.forEach((text, id) => {
    const type = vocab.token_types[id];
    if (type === TYPE_USER_DEFINED) {
      specials[text] = id;
      return;
    }
    if (type !== TYPE_NORMAL) return;
    const bytes = Buffer.from(Array.from(text, (ch) => {
      const b = decoder.get(ch);
      if (b === undefined) throw new Error(`token ${id} is not byte-level text`);
      return b;
    }));
    lines.push(`${bytes.toString('base64')} ${id}`);
  });
  return { encoding: new Tiktoken(lines.join('\n'), specials, pattern), specials: Object.keys(specials) };
}

async function makeEncoder(name, vocabDir) {
  const vocab = () => JSON.parse(fs.readFileSync(path.join(vocabDir, `${name}.json`), 'utf8'));
  switch (name) {
    case 'gpt2': {
      const encoding = get_encoding('gpt2');
      return (text) => encoding.encode_ordinary(text);
    }
    case 'llama3': {
      const { encoding } = tiktokenFromVocab(vocab(), LLAMA3_PATTERN);
      return (text) => encoding.encode_ordinary(text);
    }
    case 'qwen3': {
      const { encoding, specials } = tiktokenFromVocab(vocab(), QWEN2_PATTERN);
      return (text) => {
        const normalized = text.normalize('NFC');
        const ids = Array.from(encoding.encode(normalized, specials, []));
        return normalized === text ? ids : { ids, normalized };
      };
    }
    case 'llama2': {
      const { default: tokenizer } = await import('llama-tokenizer-js');
      return (text) => tokenizer.encode(text, /*add_bos_token=*/false, /*add_preceding_space=*/true);
    }
    default:
      throw new Error(`unknown vocabulary ${name}`);
  }
}

async function main() {
  const [corpusPath, vocabDir, name, outPath] = process.argv.slice(2);
  if (!outPath) {
    console.error('usage: node tokenizer_reference.mjs CORPUS.jsonl VOCAB_DIR NAME OUT.jsonl');
    process.exit(2);
  }
  const encode = await makeEncoder(name, vocabDir);
  const out = [];
  for (const line of fs.readFileSync(corpusPath, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const entry = JSON.parse(line);
    if (entry.text === undefined) {
      out.push('null');
      continue;
    }
    const result = encode(entry.text);
    out.push(JSON.stringify(Array.isArray(result) || ArrayBuffer.isView(result) ? Array.from(result) : result));
  }
  fs.writeFileSync(outPath, out.join('\n') + '\n');
}

main().catch((err) => {
  console.error(`tokenizer_reference: ${err.stack || err}`);
  process.exit(1);
});
