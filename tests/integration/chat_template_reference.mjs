// Renders chat-template cases with @huggingface/jinja (the Jinja implementation transformers.js
// uses for apply_chat_template; it always lexes with trim_blocks and lstrip_blocks).
//
//   node chat_template_reference.mjs CASES.json RESULTS.json
//
// Same file formats as chat_template_reference.py. strftime_now() reads `new Date()`, so the
// clock is pinned to now_micros by replacing Date; run with TZ=UTC for UTC fields.
import fs from 'node:fs';
import { Template } from '@huggingface/jinja';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const fixedMillis = Math.floor(spec.now_micros / 1000);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(fixedMillis);
    else super(...args);
  }
  static now() {
    return fixedMillis;
  }
};

const compiled = new Map();
for (const [name, source] of Object.entries(spec.templates)) {
  try {
    compiled.set(name, new Template(source));
  } catch (err) {
    compiled.set(name, err);
  }
}
const results = spec.cases.map((c) => {
  const template = compiled.get(c.template);
  try {
    if (template instanceof Error) throw template;
    return { ok: true, output: template.render(c.context) };
  } catch (err) {
    return { ok: false, error: `${err.name}: ${err.message}` };
  }
});
fs.writeFileSync(process.argv[3], JSON.stringify(results));
