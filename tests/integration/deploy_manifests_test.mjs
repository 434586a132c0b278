// deploy/kubernetes and deploy/systemd as operators use them, checked without a cluster or a
// running systemd:
// - every overlay builds (kustomize_lite.mjs; the same objects as `kubectl kustomize` where
//   kubectl is installed), and every object passes the Kubernetes schemas of the npm package
//   kubernetes-models, with no field those models do not declare;
// - what the schemas cannot see: probes on /health (a node's liveness on /live) at a declared
//   port, the restricted pod security profile, resource requests, references between objects
//   (Services, budgets and workloads select real pods; ConfigMaps referred to exist with the
//   keys asked for; every $(VAR) in args is defined), a grace period longer than the node's
//   drain (--withdraw-ms and --shutdown-grace-s);
// - every flag in the containers' args and in the units' environment files is one the built
//   `tokenfab` accepts (`tokenfab node --help`, `tokenfab gateway --help`);
// - each overlay's fleet file, taken from its generated ConfigMap, starts the built gateway;
// - `systemd-analyze verify` accepts the units without a warning, and `systemd-analyze security`
//   rates their exposure low.
//
//   node deploy_manifests_test.mjs TOKENFAB
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { unknownFields } from './k8s_fields.mjs';
import { kustomizeBuild, readYamlDocuments } from './kustomize_lite.mjs';
import { check, tempDir } from './node_harness.mjs';

const [tokenfab] = process.argv.slice(2);
if (!tokenfab) {
  console.error('usage: node deploy_manifests_test.mjs TOKENFAB');
  process.exit(2);
}

const overlaysDir = 'deploy/kubernetes/overlays';
const overlays = fs.readdirSync(overlaysDir).sort();
const built = new Map(overlays.map((o) => [o, kustomizeBuild(path.join(overlaysDir, o))]));
const id = (o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function helpFlags(command) {
  const help = spawnSync(tokenfab, [command, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  return new Set([...help.stdout.matchAll(/^ {2}(?:-\w,)?(--[\w-]+)/gm)].map((m) => m[1]));
}
const accepted = { node: helpFlags('node'), gateway: helpFlags('gateway') };
assert.ok(accepted.node.has('--shutdown-grace-s') && accepted.gateway.has('--fleet'),
          'the help texts were read');

// The flags of a `tokenfab COMMAND ARGS...` line the binary would not accept.
function unacceptedFlags(command, args) {
  assert.ok(command in accepted, `tokenfab ${command}: not a deployed command`);
  return args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0])
    .filter((f) => !accepted[command].has(f));
}

function flagValue(args, flag) {
  const at = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (at < 0) return undefined;
  return args[at].includes('=') ? args[at].split('=').slice(1).join('=') : args[at + 1];
}
const kDefaultShutdownGraceS = 30;  // `tokenfab node --help`: --shutdown-grace-s FLOAT=30
const kDefaultWithdrawMs = 1000;    // `tokenfab node --help`: --withdraw-ms INT=1000

const podTemplateOf = (o) =>
  (['Deployment', 'StatefulSet'].includes(o.kind) ? o.spec.template : null);
const selects = (selector, labels) =>
  Object.keys(selector ?? {}).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

await check('kubectl kustomize, where installed, builds what kustomize_lite builds', async () => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (kubectl.error || kubectl.status !== 0) {
    console.log('# kubectl is not installed: the overlays are built by kustomize_lite alone');
    return;
  }
  for (const overlay of overlays) {
    const out = spawnSync('kubectl', ['kustomize', path.join(overlaysDir, overlay)],
                          { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const dir = tempDir('tokenfab-kustomize-');
    fs.writeFileSync(path.join(dir, 'out.yaml'), out.stdout);
    const sorted = (objects) => [...objects].sort((a, b) => id(a).localeCompare(id(b)));
    const theirs = readYamlDocuments(path.join(dir, 'out.yaml'));
    assert.deepEqual(sorted(built.get(overlay)), sorted(theirs), overlay);
  }
});

await check('every object passes the Kubernetes schemas and has no unknown field', async () => {
  for (const [overlay, objects] of built) {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['Namespace', 'StatefulSet', 'Deployment', 'Service', 'PodDisruptionBudget',
                        'ConfigMap']) {
      assert.ok(kinds.has(kind), `${overlay} has a ${kind}`);
    }
    for (const object of objects) {
      // Core objects (apiVersion v1) are in kubernetes-models/v1, the others in GROUP/VERSION.
      const models = await import(`kubernetes-models/${object.apiVersion}`);
      assert.ok(models[object.kind], `${overlay}: ${id(object)}: no model`);
      try {
        new models[object.kind](object).validate();
      } catch (e) {
        assert.fail(`${overlay}: ${id(object)}: ${e.message}`);
      }
      assert.deepEqual(unknownFields(object), [], `${overlay}: ${id(object)}`);
    }
  }
});

await check('pods: restricted security, probes on /health and /live, requests, drain time', async () => {
  for (const [overlay, objects] of built) {
    for (const workload of objects.filter(podTemplateOf)) {
      const where = `${overlay}: ${id(workload)}`;
      const template = podTemplateOf(workload);
      assert.ok(selects(workload.spec.selector.matchLabels, template.metadata.labels),
                `${where}: its selector selects its own pods`);
      const pod = template.spec;
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault',
                   `${where}: seccomp`);
      assert.equal(pod.automountServiceAccountToken, false, `${where}: no API token`);
      for (const c of pod.containers) {
        const at = `${where}: container ${c.name}`;
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false,
                     `${at}: privilege escalation`);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${at}: read-only root`);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${at}: capabilities`);
        assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${at}: requests`);
        assert.ok(c.resources?.limits?.memory, `${at}: memory limit`);
        const ports = new Set((c.ports ?? []).map((p) => p.name));
        const [command, ...args] = c.args;
        // A node's liveness probe reads /live, which stays 200 while it drains (/health is 503
        // then): on /health, a drain longer than the probe allows restarts the container.
        const probes = {readinessProbe: '/health',
                        livenessProbe: command === 'node' ? '/live' : '/health'};
        for (const [probe, path] of Object.entries(probes)) {
          assert.equal(c[probe]?.httpGet?.path, path, `${at}: ${probe} on ${path}`);
          const port = c[probe].httpGet.port;
          assert.ok(ports.has(port), `${at}: ${probe} port ${port}`);
        }
        assert.deepEqual(unacceptedFlags(command, args), [],
                         `${at}: flags tokenfab ${command} lacks`);
        const env = new Set((c.env ?? []).map((e) => e.name));
        for (const m of c.args.join(' ').matchAll(/\$\((\w+)\)/g)) {
          assert.ok(env.has(m[1]), `${at}: $(${m[1]}) in args is not in env`);
        }
        if (command === 'node') {
          const grace = Number(flagValue(args, '--shutdown-grace-s') ?? kDefaultShutdownGraceS);
          const withdrawS = Number(flagValue(args, '--withdraw-ms') ?? kDefaultWithdrawMs) / 1000;
          assert.ok(pod.terminationGracePeriodSeconds > withdrawS + grace,
                    `${at}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} ` +
                    `leaves no time after --withdraw-ms and --shutdown-grace-s ` +
                    `(${withdrawS} + ${grace} s)`);
        }
      }
    }
  }
});

await check('references: Services, budgets, ConfigMaps, the headless Service', async () => {
  for (const [overlay, objects] of built) {
    const workloads = objects.filter(podTemplateOf);
    const labelsOf = (w) => podTemplateOf(w).metadata.labels;
    for (const o of objects) {
      const where = `${overlay}: ${id(o)}`;
      assert.equal(o.metadata.namespace, o.kind === 'Namespace' ? undefined : `tokenfab-${overlay}`,
                   `${where}: namespace`);
      if (o.kind === 'Service') {
        const pods = workloads.filter((w) => selects(o.spec.selector, labelsOf(w)));
        assert.ok(pods.length, `${where} selects no pods`);
        for (const port of o.spec.ports) {
          assert.ok(pods.every((w) => podTemplateOf(w).spec.containers
            .some((c) => c.ports?.some((p) => p.name === port.targetPort))),
          `${where}: targetPort ${port.targetPort} is not a port of its pods`);
        }
      }
      if (o.kind === 'PodDisruptionBudget') {
        const covered = workloads.filter((w) => selects(o.spec.selector.matchLabels, labelsOf(w)));
        assert.equal(covered.length, 1, `${where} covers exactly one workload`);
      }
      if (o.kind === 'StatefulSet') {
        const service = objects.find((s) => s.kind === 'Service' &&
                                            s.metadata.name === o.spec.serviceName);
        assert.equal(service?.spec.clusterIP, 'None',
                     `${where}: serviceName is a headless Service`);
      }
    }
    const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap')
      .map((o) => [o.metadata.name, o.data]));
    for (const w of workloads) {
      const pod = podTemplateOf(w).spec;
      for (const v of pod.volumes ?? []) {
        if (v.configMap) {
          assert.ok(configMaps.has(v.configMap.name), `${overlay}: ${v.configMap.name}`);
        }
      }
      for (const e of pod.containers.flatMap((c) => c.env ?? [])) {
        const ref = e.valueFrom?.configMapKeyRef;
        if (ref) {
          assert.ok(configMaps.get(ref.name)?.[ref.key] !== undefined,
                    `${overlay}: ${ref.name}/${ref.key}`);
        }
      }
    }
  }
});

await check("each overlay's fleet file starts the built gateway", async () => {
  const dir = tempDir('tokenfab-deploy-');
  for (const [overlay, objects] of built) {
    const fleet = objects.find((o) => o.kind === 'ConfigMap' &&
                                      o.metadata.name === 'tokenfab-fleet');
    const file = path.join(dir, `${overlay}.toml`);
    fs.writeFileSync(file, fleet.data['fleet.toml']);
    // The price book lives in the ledger, not the fleet file; a gateway serves no model without
    // a price, so the operator sets one (here a catch-all) before the first start.
    const priced = spawnSync(tokenfab, [
      'prices', 'set', '--model', '*', '--input', '2', '--cached-input', '0.5', '--output', '8',
      '--currency', 'CNY', '--from', '2020-01-01', '--data-dir', path.join(dir, overlay)],
    { encoding: 'utf8' });
    assert.equal(priced.status, 0, priced.stderr);
    const gateway = spawn(tokenfab, ['gateway', '--fleet', file, '--listen', '127.0.0.1:0',
                                     '--data-dir', path.join(dir, overlay)],
                          { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    gateway.stderr.on('data', (d) => { output += d; });
    const exited = new Promise((resolve) => gateway.on('exit', resolve));
    const url = await new Promise((resolve) => {
      gateway.stdout.on('data', (d) => {
        const m = d.toString().match(/listening on (http:\S+)/);
        if (m) resolve(m[1]);
      });
      exited.then(() => resolve(null));
    });
    assert.ok(url, `${overlay}: the gateway did not start: ${output}`);
    assert.equal((await fetch(`${url}/health`)).status, 200, `${overlay}: /health`);
    gateway.kill('SIGTERM');
    assert.equal(await exited, 0, `${overlay}: the gateway stops on SIGTERM`);
  }
});

const unitsDir = 'deploy/systemd';
const units = fs.readdirSync(unitsDir).filter((f) => f.endsWith('.service')).sort();

function envFile(file) {
  const vars = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = line.match(/^(\w+)=(.*)$/);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

await check("the units' flags are tokenfab's, and stopping outlasts the drain", async () => {
  assert.deepEqual(units, ['tokenfab-gateway.service', 'tokenfab-node@.service']);
  for (const unit of units) {
    const text = fs.readFileSync(path.join(unitsDir, unit), 'utf8');
    const command = unit.includes('node') ? 'node' : 'gateway';
    const exec = text.match(/^ExecStart=\S+ (\w+) (.*)$/m);
    assert.equal(exec?.[1], command, `${unit}: ExecStart runs tokenfab ${command}`);
    const env = envFile(path.join(unitsDir, `${command}.env.example`));
    const args = [];
    for (const m of exec[2].matchAll(/\$(\w+)/g)) {
      assert.ok(m[1] in env, `${unit}: ${m[1]} is not in ${command}.env.example`);
      args.push(...env[m[1]].split(/\s+/).filter(Boolean));
    }
    assert.deepEqual(unacceptedFlags(command, args), [],
                     `${unit}: flags tokenfab ${command} lacks`);
    const stopS = Number(text.match(/^TimeoutStopSec=(\d+)$/m)?.[1]);
    if (command === 'node') {
      const grace = Number(flagValue(args, '--shutdown-grace-s') ?? kDefaultShutdownGraceS);
      assert.ok(stopS > grace, `${unit}: TimeoutStopSec ${stopS} <= --shutdown-grace-s ${grace}`);
    }
    assert.match(text, /^KillSignal=SIGTERM$/m, unit);
  }
});

await check('systemd-analyze verifies the units without a warning; exposure is low', async () => {
  // The units as installed, with ExecStart on the built binary (verify checks that it exists)
  // and the node's template as one instance of it.
  const dir = tempDir('tokenfab-units-');
  const installed = [];
  for (const unit of units) {
    const text = fs.readFileSync(path.join(unitsDir, unit), 'utf8')
      .replaceAll('/usr/local/bin/tokenfab', path.resolve(tokenfab));
    const name = unit.replace('@.service', '@hub-west-1.service');
    fs.writeFileSync(path.join(dir, name), text);
    installed.push(path.join(dir, name));
  }
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', ...installed],
                           { encoding: 'utf8' });
  assert.equal(verify.error, undefined, 'systemd-analyze runs');
  assert.equal(verify.status, 0, verify.stderr);
  // verify reports unknown keys and values it cannot parse as warnings, with status 0.
  assert.equal(verify.stderr, '', 'no warning');
  // MemoryDenyWriteExecute=yes refuses writable and executable mappings: the binary maps none
  // (no W+E segment, a non-executable stack), and it generates no code at run time.
  const headers = spawnSync('readelf', ['-lW', tokenfab], { encoding: 'utf8' });
  assert.equal(headers.status, 0, headers.stderr);
  const segments =
    [...headers.stdout.matchAll(/^\s+(LOAD|GNU_STACK)\s.*\s([RWE ]{3})\s+0x[0-9a-f]+$/gm)];
  assert.ok(segments.some((s) => s[1] === 'GNU_STACK'), 'readelf lists the stack segment');
  const writableCode = segments.filter((s) => s[2].includes('W') && s[2].includes('E'));
  assert.deepEqual(writableCode.map((s) => s[0].trim()), [], 'no writable and executable segment');
  for (const unit of installed) {
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', unit],
                               { encoding: 'utf8' });
    const exposure = Number(security.stdout.match(/Overall exposure level for \S+: ([\d.]+)/)?.[1]);
    assert.ok(exposure <= 2.0,
              `${path.basename(unit)}: exposure ${exposure} (at most 2.0)\n${security.stdout}`);
  }
});
