// Checks Kubernetes manifests against the Kubernetes OpenAPI schema, at the versions pinned in
// package-lock.json: kubernetes-models (Kubernetes 1.27 API) and
// @kubernetes-models/prometheus-operator (the PodMonitor CRD). Each object is validated by the
// package's validator compiled from the OpenAPI schema (types, required fields, formats such as
// quantities), and type-checked against the package's TypeScript interfaces, generated from the
// same schema, so that an unknown field is an error (as `kubectl apply --validate=strict` makes it).
// With --compose, the rogue-hunter DaemonSet must also run the container as docker-compose.yml's
// rogue-hunter service does: the same arguments, capabilities, host PID namespace, read-only
// /proc and /sys, data directory and port.
//
// Usage: node check-kubernetes.mjs [--compose docker-compose.yml] MANIFEST.yaml...
// Prints one line per finding, "FILE: WHERE: WHAT", and exits 1 if there is any (2 on bad usage).

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

import { TypeChecks, typeCheck } from './typecheck.mjs';


const args = process.argv.slice(2);
let composeFile = null;
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--compose') composeFile = args[++i];
  else files.push(args[i]);
}
if (files.length === 0 || (args.includes('--compose') && !composeFile)) {
  console.error('usage: node check-kubernetes.mjs [--compose docker-compose.yml] MANIFEST.yaml...');
  process.exit(2);
}

const findings = [];
const report = (file, where, what) => findings.push(`${file}: ${where}: ${what}`);

// apiVersion + kind -> the package module that models it.
const packages = ['kubernetes-models', '@kubernetes-models/prometheus-operator'];
function modelModule(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z]+$/.test(kind)) return null;
  for (const pkg of packages) {
    const module = `${pkg}/${apiVersion}/${kind}`;
    try {
      if (fs.existsSync(fileURLToPath(import.meta.resolve(module)))) return module;
    } catch {
      // not a module of this package
    }
  }
  return null;
}

function readYaml(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  const objects = [];
  for (const doc of docs) {
    for (const error of doc.errors) report(file, `line ${error.linePos?.[0]?.line ?? '?'}`, error.message);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

const all = [];  // { file, object }
const modules = [];
for (const file of files) {
  let objects;
  try {
    objects = readYaml(file);
  } catch (error) {
    report(file, 'file', error.message);
    continue;
  }
  const checks = new TypeChecks(file);
  for (const object of objects) {
    const where = `${object?.kind} ${object?.metadata?.name}`;
    const module = modelModule(object?.apiVersion, object?.kind);
    if (!module) {
      report(file, where, `apiVersion ${object?.apiVersion} kind ${object?.kind} is not a known Kubernetes or Prometheus Operator type`);
      continue;
    }
    const Model = (await import(module))[object.kind];
    try {
      new Model(object).validate();
    } catch (error) {
      report(file, where, `OpenAPI schema: ${error.message}`);
    }
    const alias = `T_${checks.imports.length}`;
    checks.imports.push(`import type { I${object.kind} as ${alias} } from '${module}';`);
    checks.add(where, object, alias);
    all.push({ file, object });
  }
  modules.push({ file, text: checks.text() });
}
findings.push(...typeCheck(modules));

// ---------------------------------------------------------------------------------------------
// The DaemonSet runs the container as docker-compose.yml does.

const sameSet = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

function checkAgainstCompose(composePath) {
  const compose = YAML.parse(fs.readFileSync(composePath, 'utf8'));
  const service = compose?.services?.['rogue-hunter'];
  if (!service) { report(composePath, 'services', 'no rogue-hunter service'); return; }
  const daemonSets = all.filter(({ object }) => object.kind === 'DaemonSet');
  if (daemonSets.length !== 1) {
    report(files.join(' '), 'DaemonSet', `${daemonSets.length} DaemonSets, expected 1`);
    return;
  }
  const { file, object } = daemonSets[0];
  const where = `DaemonSet ${object.metadata?.name}`;
  const pod = object.spec?.template?.spec ?? {};
  const container = (pod.containers ?? []).find((c) => c.name === 'rogue-hunter');
  if (!container) { report(file, where, 'no container named rogue-hunter'); return; }
  const expect = (ok, what) => { if (!ok) report(file, where, what); };

  expect(JSON.stringify(container.args) === JSON.stringify(service.command),
         `args ${JSON.stringify(container.args)} differ from compose's command ${JSON.stringify(service.command)}`);
  const caps = container.securityContext?.capabilities ?? {};
  expect(sameSet(caps.add ?? [], service.cap_add ?? []),
         `capabilities.add ${JSON.stringify(caps.add)} differ from compose's cap_add ${JSON.stringify(service.cap_add)}`);
  expect(sameSet(caps.drop ?? [], service.cap_drop ?? []),
         `capabilities.drop ${JSON.stringify(caps.drop)} differ from compose's cap_drop ${JSON.stringify(service.cap_drop)}`);
  expect(container.securityContext?.privileged !== true, 'the container must not be privileged');
  expect((pod.hostPID === true) === (service.pid === 'host'), `hostPID ${pod.hostPID} but compose pid: ${service.pid}`);

  // "SOURCE:TARGET[:ro]" host paths of compose against hostPath volumes and their mounts.
  for (const volume of service.volumes ?? []) {
    const [source, target, mode] = String(volume).split(':');
    const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === target);
    if (!source.startsWith('/')) {  // a named volume: the data directory
      expect(mount !== undefined, `nothing is mounted at ${target} (compose: volume ${source})`);
      continue;
    }
    const hostPath = mount && (pod.volumes ?? []).find((v) => v.name === mount.name)?.hostPath?.path;
    expect(hostPath === source, `${target} is not the node's ${source} (compose: ${volume})`);
    expect(!mount || (mount.readOnly === true) === (mode === 'ro'), `${target} readOnly ${mount?.readOnly} (compose: ${volume})`);
  }

  const listen = String(service.command?.[service.command.indexOf('--listen') + 1] ?? '');
  const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  const metricsPort = (container.ports ?? []).find((p) => p.containerPort === port);
  expect(metricsPort !== undefined, `no containerPort ${port} (the daemon listens on ${listen})`);
  const annotations = object.spec?.template?.metadata?.annotations ?? {};
  expect(annotations['prometheus.io/scrape'] === 'true', 'no prometheus.io/scrape: "true" annotation');
  expect(annotations['prometheus.io/port'] === String(port), `prometheus.io/port is not "${port}"`);

  for (const { file: pmFile, object: pm } of all.filter(({ object: o }) => o.kind === 'PodMonitor')) {
    const pmWhere = `PodMonitor ${pm.metadata?.name}`;
    const selector = pm.spec?.selector?.matchLabels ?? {};
    const labels = object.spec?.template?.metadata?.labels ?? {};
    if (Object.keys(selector).length === 0 || !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
      report(pmFile, pmWhere, `selector ${JSON.stringify(selector)} does not select the DaemonSet's pods ${JSON.stringify(labels)}`);
    }
    for (const endpoint of pm.spec?.podMetricsEndpoints ?? []) {
      if (endpoint.port !== metricsPort?.name) {
        report(pmFile, pmWhere, `port ${endpoint.port} is not the container's metrics port name ${metricsPort?.name}`);
      }
      const job = (endpoint.relabelings ?? []).find((r) => r.targetLabel === 'job');
      if (job?.replacement !== 'rogue-hunter') {
        report(pmFile, pmWhere, 'does not set job="rogue-hunter", which the alert rules and dashboards expect');
      }
    }
  }
}
if (composeFile) checkAgainstCompose(composeFile);

for (const line of findings) console.log(line);
if (findings.length > 0) process.exit(1);
console.log(`${all.length} Kubernetes object(s) match their schema${composeFile ? ' and docker-compose.yml' : ''}`);
