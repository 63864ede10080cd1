// Checks Grafana provisioning files against the format Grafana documents for them
// (Administration > Provision Grafana, Grafana 10.4: "Data sources" and "Dashboards"; the same
// keys as Grafana's own loaders, pkg/services/provisioning/{datasources,dashboards}, apiVersion 1).
// Grafana ignores keys it does not know, so a misspelt key silently loses its setting: here an
// unknown key is an error, as are a wrong type, a missing required key, two default data sources
// and duplicate names.
//
// Usage: node check-provisioning.mjs [--scrape-interval DURATION] datasources.yml|dashboards.yml...
// Which kind a file is comes from its top-level key (datasources or providers). With
// --scrape-interval, a Prometheus data source's jsonData.timeInterval must equal it.
// Prints one line per finding, "FILE: WHERE: WHAT", and exits 1 if there is any (2 on bad usage).

import fs from 'node:fs';
import YAML from 'yaml';

const args = process.argv.slice(2);
let scrapeInterval = null;
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--scrape-interval') scrapeInterval = args[++i];
  else files.push(args[i]);
}
if (files.length === 0 || (args.includes('--scrape-interval') && !scrapeInterval)) {
  console.error('usage: node check-provisioning.mjs [--scrape-interval DURATION] FILE.yml...');
  process.exit(2);
}

const findings = [];
const report = (file, where, what) => findings.push(`${file}: ${where}: ${what}`);

const isString = (v) => typeof v === 'string';
const isBool = (v) => typeof v === 'boolean';
const isInt = (v) => Number.isInteger(v);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isDuration = (v) => isString(v) && /^(\d+(ms|s|m|h|d|w|y))+$/.test(v);

// key -> [type check, description]; "required" marks the keys Grafana needs.
const datasourceKeys = {
  name: [isString, 'string', 'required'], type: [isString, 'string', 'required'],
  uid: [isString, 'string'], orgId: [isInt, 'integer'], orgName: [isString, 'string'],
  access: [(v) => v === 'proxy' || v === 'direct', '"proxy" or "direct"'],
  url: [(v) => isString(v) && /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(v), 'an absolute URL'],
  user: [isString, 'string'], database: [isString, 'string'],
  basicAuth: [isBool, 'boolean'], basicAuthUser: [isString, 'string'],
  withCredentials: [isBool, 'boolean'], isDefault: [isBool, 'boolean'],
  correlations: [Array.isArray, 'list'], jsonData: [isObject, 'mapping'],
  secureJsonData: [(v) => isObject(v) && Object.values(v).every(isString), 'mapping of strings'],
  version: [isInt, 'integer'], editable: [isBool, 'boolean'],
};
// The jsonData keys the Prometheus data source documents (Data sources > Prometheus >
// Provisioning) plus the HTTP settings every data source shares.
const prometheusJsonData = {
  timeInterval: [isDuration, 'a duration such as 15s'], queryTimeout: [isDuration, 'a duration'],
  httpMethod: [(v) => v === 'POST' || v === 'GET', '"POST" or "GET"'],
  manageAlerts: [isBool, 'boolean'], prometheusType: [isString, 'string'],
  prometheusVersion: [isString, 'string'], cacheLevel: [isString, 'string'],
  incrementalQuerying: [isBool, 'boolean'], incrementalQueryOverlapWindow: [isDuration, 'a duration'],
  disableRecordingRules: [isBool, 'boolean'], customQueryParameters: [isString, 'string'],
  defaultEditor: [(v) => v === 'code' || v === 'builder', '"code" or "builder"'],
  exemplarTraceIdDestinations: [Array.isArray, 'list'], disableMetricsLookup: [isBool, 'boolean'],
  tlsAuth: [isBool, 'boolean'], tlsAuthWithCACert: [isBool, 'boolean'],
  tlsSkipVerify: [isBool, 'boolean'], serverName: [isString, 'string'],
  oauthPassThru: [isBool, 'boolean'], keepCookies: [Array.isArray, 'list'],
  timeout: [isInt, 'integer (seconds)'],
};
const providerKeys = {
  name: [isString, 'string', 'required'], type: [(v) => v === 'file', '"file"', 'required'],
  orgId: [isInt, 'integer'], folder: [isString, 'string'], folderUid: [isString, 'string'],
  disableDeletion: [isBool, 'boolean'], allowUiUpdates: [isBool, 'boolean'],
  updateIntervalSeconds: [(v) => isInt(v) && v >= 0, 'non-negative integer'],
  options: [isObject, 'mapping', 'required'],
};
const providerOptionKeys = {
  path: [(v) => isString(v) && v.startsWith('/'), 'an absolute path', 'required'],
  foldersFromFilesStructure: [isBool, 'boolean'],
};

function checkKeys(file, where, object, schema, extraAllowed = () => false) {
  if (!isObject(object)) { report(file, where, 'is not a mapping'); return; }
  for (const [key, value] of Object.entries(object)) {
    const spec = schema[key];
    if (!spec) {
      if (!extraAllowed(key)) report(file, where, `unknown key "${key}"`);
      continue;
    }
    if (!spec[0](value)) report(file, `${where}.${key}`, `${JSON.stringify(value)} is not ${spec[1]}`);
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (spec[2] === 'required' && !(key in object)) report(file, where, `missing required key "${key}"`);
  }
}

function checkDatasources(file, doc) {
  checkKeys(file, 'file', doc, {
    apiVersion: [(v) => v === 1, '1', 'required'], datasources: [Array.isArray, 'list', 'required'],
    deleteDatasources: [Array.isArray, 'list'],
  });
  const names = new Set();
  const defaults = new Map();
  for (const [i, ds] of (Array.isArray(doc.datasources) ? doc.datasources : []).entries()) {
    const where = `datasources[${i}]`;
    checkKeys(file, where, ds, datasourceKeys);
    if (!isObject(ds)) continue;
    const key = `${ds.orgId ?? 1}/${ds.name}`;
    if (names.has(key)) report(file, where, `a second data source named "${ds.name}" in org ${ds.orgId ?? 1}`);
    names.add(key);
    if (ds.isDefault === true) {
      const org = ds.orgId ?? 1;
      if (defaults.has(org)) report(file, where, `a second default data source in org ${org}`);
      defaults.set(org, ds.name);
    }
    if (ds.type === 'prometheus' && ds.jsonData !== undefined) {
      checkKeys(file, `${where}.jsonData`, ds.jsonData, prometheusJsonData,
                (k) => /^httpHeaderName\d+$/.test(k));
      if (scrapeInterval && ds.jsonData?.timeInterval !== scrapeInterval) {
        report(file, `${where}.jsonData.timeInterval`,
               `${JSON.stringify(ds.jsonData?.timeInterval)} is not Prometheus' scrape interval ${scrapeInterval}`);
      }
    }
  }
}

function checkProviders(file, doc) {
  checkKeys(file, 'file', doc, {
    apiVersion: [(v) => v === 1, '1', 'required'], providers: [Array.isArray, 'list', 'required'],
  });
  const names = new Set();
  for (const [i, provider] of (Array.isArray(doc.providers) ? doc.providers : []).entries()) {
    const where = `providers[${i}]`;
    checkKeys(file, where, provider, providerKeys);
    if (!isObject(provider)) continue;
    if (names.has(provider.name)) report(file, where, `a second provider named "${provider.name}"`);
    names.add(provider.name);
    if (isObject(provider.options)) checkKeys(file, `${where}.options`, provider.options, providerOptionKeys);
  }
}

for (const file of files) {
  let doc;
  try {
    const parsed = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
    if (parsed.errors.length > 0) throw parsed.errors[0];
    doc = parsed.toJS();
  } catch (error) {
    report(file, 'file', error.message);
    continue;
  }
  if (isObject(doc) && 'datasources' in doc) checkDatasources(file, doc);
  else if (isObject(doc) && 'providers' in doc) checkProviders(file, doc);
  else report(file, 'file', 'neither a data source (datasources:) nor a dashboard provider (providers:) file');
}

for (const line of findings) console.log(line);
if (findings.length > 0) process.exit(1);
console.log(`${files.length} provisioning file(s) match Grafana's documented format`);
