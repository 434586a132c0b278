// The part of `kustomize build` that deploy/kubernetes uses, so that its tests need no kubectl:
// resources (files and directories), namespace, images, replicas, configMapGenerator (literals
// and files; create, merge, replace) with generatorOptions.disableNameSuffixHash, and patches
// given by path as strategic-merge patches. Anything else in a kustomization is an error, not a
// silent difference: a manifest that needs more must bring the resolver along.
//
// Strategic merge as applied here: maps merge key by key, null deletes a key, a list of maps
// that all have a `name` merges item by item on it (new names appended), any other list is
// replaced. That is Kubernetes' merge for the lists the overlays patch (containers, env,
// volumes, volumeMounts by name); tests compare the result with `kubectl kustomize` where
// kubectl is installed.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const kKnownFields = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'replicas',
  'configMapGenerator', 'generatorOptions', 'patches']);
// Kinds without a namespace among those a deployment of tokenfab could carry.
const kClusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'PersistentVolume']);

export function readYamlDocuments(file) {
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const d of documents) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
  }
  return documents.map((d) => d.toJS()).filter((o) => o !== null);
}

function isMap(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function strategicMerge(target, patch) {
  if (!isMap(target) || !isMap(patch)) return structuredClone(patch);
  const out = structuredClone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value) && Array.isArray(out[key]) &&
               [...value, ...out[key]].every((item) => isMap(item) && 'name' in item)) {
      const merged = out[key];
      for (const item of value) {
        const at = merged.findIndex((existing) => existing.name === item.name);
        if (at < 0) merged.push(structuredClone(item));
        else merged[at] = strategicMerge(merged[at], item);
      }
    } else {
      out[key] = isMap(value) && isMap(out[key]) ? strategicMerge(out[key], value)
                                                  : structuredClone(value);
    }
  }
  return out;
}

function generateConfigMap(dir, spec) {
  const data = {};
  for (const literal of spec.literals ?? []) {
    const eq = literal.indexOf('=');
    if (eq <= 0) throw new Error(`${dir}: configMapGenerator literal without KEY=: ${literal}`);
    data[literal.slice(0, eq)] = literal.slice(eq + 1);
  }
  for (const entry of spec.files ?? []) {
    const eq = entry.indexOf('=');
    const key = eq > 0 ? entry.slice(0, eq) : path.basename(entry);
    data[key] = fs.readFileSync(path.join(dir, eq > 0 ? entry.slice(eq + 1) : entry), 'utf8');
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: spec.name }, data };
}

function podSpecs(object) {
  const spec = object.kind === 'Pod' ? object.spec : object.spec?.template?.spec;
  return spec ? [spec] : [];
}

function applyImages(objects, images) {
  for (const image of images) {
    for (const spec of objects.flatMap(podSpecs)) {
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
        if (!c.image) continue;
        const name = c.image.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
        if (name !== image.name) continue;
        const tag = image.newTag ?? (c.image.slice(name.length).replace(/^:/, '') || undefined);
        c.image = (image.newName ?? name) + (tag ? `:${tag}` : '');
      }
    }
  }
}

// The objects `kustomize build DIR` writes, in the order their sources list them.
export function kustomizeBuild(dir) {
  const file = path.join(dir, 'kustomization.yaml');
  const k = readYamlDocuments(file)[0];
  for (const key of Object.keys(k)) {
    if (!kKnownFields.has(key)) throw new Error(`${file}: ${key}: not resolved by kustomize_lite`);
  }
  let objects = [];
  for (const resource of k.resources ?? []) {
    const at = path.join(dir, resource);
    objects.push(...(fs.statSync(at).isDirectory() ? kustomizeBuild(at) : readYamlDocuments(at)));
  }
  if (k.configMapGenerator && k.generatorOptions?.disableNameSuffixHash !== true) {
    throw new Error(`${file}: generated names need generatorOptions.disableNameSuffixHash: true`);
  }
  for (const spec of k.configMapGenerator ?? []) {
    const made = generateConfigMap(dir, spec);
    const at = objects.findIndex((o) => o.kind === 'ConfigMap' && o.metadata.name === spec.name);
    const behavior = spec.behavior ?? 'create';
    if ((behavior === 'create') !== (at < 0)) {
      const why = at < 0 ? 'needs a ConfigMap of that name from resources' : 'but it exists';
      throw new Error(`${file}: configMapGenerator ${spec.name}: behavior ${behavior} ${why}`);
    }
    if (behavior === 'merge') {
      objects[at].data = { ...objects[at].data, ...made.data };
    } else if (behavior === 'replace') {
      objects[at] = made;
    } else {
      objects.push(made);
    }
  }
  for (const patch of k.patches ?? []) {
    if (!patch.path || patch.target) throw new Error(`${file}: only patches by path are resolved`);
    for (const p of readYamlDocuments(path.join(dir, patch.path))) {
      const at = objects.findIndex((o) => o.kind === p.kind && o.metadata.name === p.metadata.name);
      if (at < 0) {
        throw new Error(`${file}: patch ${patch.path} matches no ${p.kind} ${p.metadata.name}`);
      }
      objects[at] = strategicMerge(objects[at], p);
    }
  }
  applyImages(objects, k.images ?? []);
  for (const r of k.replicas ?? []) {
    const matched =
      objects.filter((o) => o.metadata.name === r.name && o.spec?.replicas !== undefined);
    if (!matched.length) throw new Error(`${file}: replicas: no workload named ${r.name}`);
    for (const o of matched) o.spec.replicas = r.count;
  }
  if (k.namespace) {
    objects = objects.map((o) => (kClusterScoped.has(o.kind) ? o
      : { ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  }
  return objects;
}
