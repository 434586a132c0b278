// Unknown fields in Kubernetes objects. The JSON schemas of the npm package kubernetes-models
// check types, enums and required fields but let any unknown key through, where the API server
// (strict field validation, kubectl's default) refuses one: a misspelt `readinesProbe` would be
// valid to them. This walks an object along the package's own type declarations (the .d.ts file
// of each model: one interface of quoted properties per file, the imports naming the file of
// each property's type) and lists every key those declarations do not have.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const kRoot = path.dirname(require.resolve('kubernetes-models/package.json'));
const kModules = path.dirname(path.dirname(kRoot));

// {property: {type, file}} of the interface declared in `file`, and the memo of those.
const interfaces = new Map();
function declaredProperties(file) {
  if (interfaces.has(file)) return interfaces.get(file);
  const text = fs.readFileSync(file, 'utf8');
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const from = m[2].startsWith('.') ? path.join(path.dirname(file), m[2])
                                      : path.join(kModules, 'node_modules', m[2]);
    imports.set(m[1], `${from}.d.ts`);
  }
  const body = text.match(/^export interface \w+(?: extends \w+)? \{\n([\s\S]*?)^\}/m);
  if (!body) {
    interfaces.set(file, null);  // a type alias (IntOrString, Quantity, Time): a scalar
    return null;
  }
  const properties = {};
  for (const m of body[1].matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) {
    const array = m[2].match(/^Array<(\w+)>$/);
    const name = array ? array[1] : m[2];
    properties[m[1]] = { array: Boolean(array), file: imports.get(name) ?? null };
  }
  interfaces.set(file, properties);
  return properties;
}

function walk(value, file, where, unknown) {
  const properties = declaredProperties(file);
  if (!properties || value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const declared = properties[key];
    if (!declared) {
      unknown.push(`${where}.${key}`);
    } else if (declared.file && declared.array && Array.isArray(child)) {
      child.forEach((item, i) => walk(item, declared.file, `${where}.${key}[${i}]`, unknown));
    } else if (declared.file && !declared.array) {
      walk(child, declared.file, `${where}.${key}`, unknown);
    }
  }
}

// The paths of the keys of `object` (a Kubernetes object with apiVersion and kind) that its
// model does not declare.
export function unknownFields(object) {
  const file = path.join(kRoot, object.apiVersion, `${object.kind}.d.ts`);
  if (!fs.existsSync(file)) return [`${object.apiVersion} ${object.kind}: no model`];
  const unknown = [];
  walk(object, file, object.kind, unknown);
  return unknown;
}
