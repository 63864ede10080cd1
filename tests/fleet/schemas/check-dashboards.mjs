// Checks Grafana dashboard JSON models against Grafana's own definitions, at the versions pinned
// in package-lock.json (the Grafana of docker-compose.yml):
//   - @grafana/schema: the TypeScript types Grafana generates from its dashboard and panel kinds.
//     The whole model must satisfy `Dashboard`; each panel's options and custom field config must
//     satisfy the types of its panel plugin, and each Prometheus target `PrometheusDataQuery`.
//     Unknown keys are errors (TypeScript's excess property checks on object literals).
//   - @grafana/data: every unit is one of Grafana's unit ids or one of its custom-unit forms.
//   - What no type says: panel ids unique, grid positions inside the 24 columns and not
//     overlapping, every datasource reference the ${datasource} variable, every panel type one
//     that Grafana publishes a schema for.
//
// Usage: node check-dashboards.mjs DASHBOARD.json...
// Prints one line per finding, "FILE: WHERE: WHAT", and exits 1 if there is any (2 on bad usage).

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { TypeChecks, typeCheck } from './typecheck.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check-dashboards.mjs DASHBOARD.json...');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Grafana's panel types and units

// Each panel plugin with a schema has a directory raw/composable/<name>/panelcfg in
// @grafana/schema, named after the plugin id without dashes, lower case; two kinds are named
// differently from their plugin id.
const schemaDir = path.join(here, 'node_modules/@grafana/schema/dist/esm/raw/composable');
const kindAliases = { dashlist: 'dashboardlist', annolist: 'annotationslist' };
const panelKinds = new Map();  // normalised name -> { module, hasFieldConfig }
for (const name of fs.readdirSync(schemaDir)) {
  const dir = path.join(schemaDir, name, 'panelcfg/x');
  if (!fs.existsSync(dir)) continue;
  const file = fs.readdirSync(dir).find((f) => f.endsWith('_types.gen.d.ts'));
  if (!file) continue;
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  panelKinds.set(name, {
    module: `@grafana/schema/dist/esm/raw/composable/${name}/panelcfg/x/${file.replace(/\.d\.ts$/, '')}`,
    hasOptions: /export interface Options\b/.test(text),
    hasFieldConfig: /export interface FieldConfig\b/.test(text),
  });
}
const kindOf = (type) => kindAliases[type] ?? String(type).replace(/-/g, '').toLowerCase();

// @grafana/data reads two browser globals when it is loaded; give it what a browser would.
globalThis.window ??= globalThis;
globalThis.navigator ??= { language: 'en-US', languages: ['en-US'] };
const grafanaData = require('@grafana/data');
const unitIds = new Set(
  grafanaData.getValueFormats().flatMap((category) => category.submenu.map((unit) => unit.value)));
// The custom units getValueFormat() understands: "suffix:/s", "si:B", "bool:yes/no", ...
const customUnitPrefixes = ['prefix', 'suffix', 'time', 'si', 'count', 'currency', 'bool'];
function validUnit(unit) {
  if (unitIds.has(unit)) return true;
  const colon = unit.indexOf(':');
  return colon > 0 && customUnitPrefixes.includes(unit.slice(0, colon)) && colon + 1 < unit.length;
}

// The datasource every reference must be: the dashboard's own variable.
const templated = { type: 'prometheus', uid: '${datasource}' };
const isTemplated = (ref) =>
  ref !== null && typeof ref === 'object' && ref.type === templated.type &&
  ref.uid === templated.uid && Object.keys(ref).length === 2;

// ---------------------------------------------------------------------------------------------

const findings = [];
function report(file, where, what) { findings.push(`${file}: ${where}: ${what}`); }

// Every panel, rows included, with nested panels of collapsed rows; `parent` is the row.
function allPanels(model) {
  const out = [];
  for (const panel of Array.isArray(model.panels) ? model.panels : []) {
    out.push({ panel, parent: null });
    if (Array.isArray(panel?.panels)) {
      for (const nested of panel.panels) out.push({ panel: nested, parent: panel });
    }
  }
  return out;
}
const nameOf = (panel) => `panel ${panel?.id} "${panel?.title ?? ''}"`;

function checkStructure(file, model) {
  const panels = allPanels(model);

  const ids = new Map();
  for (const { panel } of panels) {
    if (!Number.isInteger(panel?.id)) { report(file, nameOf(panel), 'no integer id'); continue; }
    if (ids.has(panel.id)) report(file, nameOf(panel), `id ${panel.id} is also ${nameOf(ids.get(panel.id))}`);
    else ids.set(panel.id, panel);
  }

  // Grid: 24 columns. Top-level panels share one grid; the panels of a collapsed row are laid out
  // below it when it opens, so they are compared with each other.
  const groups = new Map();
  for (const { panel, parent } of panels) {
    const g = panel?.gridPos;
    const ok = g && ['x', 'y', 'w', 'h'].every((k) => Number.isInteger(g[k])) &&
               g.x >= 0 && g.y >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= 24;
    if (!ok) { report(file, nameOf(panel), `gridPos ${JSON.stringify(g)} is not inside the 24-column grid`); continue; }
    if (!groups.has(parent)) groups.set(parent, []);
    groups.get(parent).push(panel);
  }
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; ++i) {
      for (let j = i + 1; j < group.length; ++j) {
        const a = group[i].gridPos, b = group[j].gridPos;
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
          report(file, nameOf(group[i]), `overlaps ${nameOf(group[j])}`);
        }
      }
    }
  }

  for (const { panel } of panels) {
    if (panel?.type === 'row') {
      if ('datasource' in panel && !isTemplated(panel.datasource)) {
        report(file, nameOf(panel), `datasource ${JSON.stringify(panel.datasource)} is not ${JSON.stringify(templated)}`);
      }
      continue;
    }
    if (!panelKinds.has(kindOf(panel?.type))) {
      report(file, nameOf(panel), `panel type "${panel?.type}" has no schema in @grafana/schema`);
    }
    if (!isTemplated(panel?.datasource)) {
      report(file, nameOf(panel), `datasource ${JSON.stringify(panel?.datasource)} is not ${JSON.stringify(templated)}`);
    }
    for (const [i, target] of (Array.isArray(panel?.targets) ? panel.targets : []).entries()) {
      if (!isTemplated(target?.datasource)) {
        report(file, `${nameOf(panel)} target ${target?.refId ?? i}`, `datasource ${JSON.stringify(target?.datasource)} is not ${JSON.stringify(templated)}`);
      }
    }
    const units = [];
    const defaults = panel?.fieldConfig?.defaults;
    if (defaults && 'unit' in defaults) units.push(['defaults', defaults.unit]);
    for (const [i, override] of (panel?.fieldConfig?.overrides ?? []).entries()) {
      for (const property of override?.properties ?? []) {
        if (property?.id === 'unit') units.push([`override ${i}`, property.value]);
      }
    }
    for (const [where, unit] of units) {
      if (typeof unit !== 'string' || !validUnit(unit)) {
        report(file, `${nameOf(panel)} ${where}`, `unit ${JSON.stringify(unit)} is not a Grafana unit`);
      }
    }
  }

  for (const variable of model.templating?.list ?? []) {
    if (variable?.type === 'datasource') continue;
    if ('datasource' in variable || variable?.type === 'query') {
      if (!isTemplated(variable.datasource)) {
        report(file, `variable ${variable?.name}`, `datasource ${JSON.stringify(variable?.datasource)} is not ${JSON.stringify(templated)}`);
      }
    }
  }
  const datasourceVariable = (model.templating?.list ?? []).find((v) => v?.name === 'datasource');
  if (datasourceVariable?.type !== 'datasource' || datasourceVariable?.query !== 'prometheus') {
    report(file, 'templating', 'no variable "datasource" of type datasource for prometheus');
  }
  for (const annotation of model.annotations?.list ?? []) {
    if (annotation?.builtIn === 1) continue;
    if (!isTemplated(annotation?.datasource)) {
      report(file, `annotation "${annotation?.name}"`, `datasource ${JSON.stringify(annotation?.datasource)} is not ${JSON.stringify(templated)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Types: one generated TypeScript module per dashboard, checked by the compiler.

// Grafana stores enums by value ("code", 0); the generated types declare TypeScript enums, to
// which a literal is not assignable. Loose<T> turns each enum into the union of its values; Deep
// also makes every key optional, for option objects that Grafana completes with the plugin's
// defaults when it loads a dashboard.
const prelude = `
type Loose<T> = T extends string ? \`\${T}\` : T extends number | boolean | null | undefined ? T
  : T extends ReadonlyArray<infer U> ? Array<Loose<U>> : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;
type Deep<T> = T extends string ? \`\${T}\` : T extends number | boolean | null | undefined ? T
  : T extends ReadonlyArray<infer U> ? Array<Deep<U>> : T extends object ? { [K in keyof T]?: Deep<T[K]> } : T;
`;

// Keys the Prometheus datasource keeps at the top of its annotation queries (its annotation
// support reads them there, in Grafana's public/app/plugins/datasource/prometheus); the
// dashboard kind declares only the datasource-independent keys.
const prometheusAnnotationKeys = `{ expr?: string; step?: string; titleFormat?: string;
  textFormat?: string; tagKeys?: string; useValueForTime?: boolean }`;

function typeModule(file, model) {
  const kinds = new Map();  // module -> alias
  const aliasOf = (module) => {
    if (!kinds.has(module)) kinds.set(module, `K_${kinds.size}`);
    return kinds.get(module);
  };
  const checks = new TypeChecks(file);

  // The dashboard without what is checked against the panel plugins' types below.
  const copy = structuredClone(model);
  for (const { panel } of allPanels(copy)) {
    if (panel === null || typeof panel !== 'object') continue;
    delete panel.options;
    if (panel.fieldConfig?.defaults) delete panel.fieldConfig.defaults.custom;
    delete panel.targets;
  }
  const annotations = copy.annotations?.list ?? [];
  for (const a of annotations) {
    if (a?.datasource?.type !== 'prometheus') continue;
    const prometheusPart = {};
    for (const key of ['expr', 'step', 'titleFormat', 'textFormat', 'tagKeys', 'useValueForTime']) {
      if (key in a) { prometheusPart[key] = a[key]; delete a[key]; }
    }
    checks.add(`annotation "${a.name}" (Prometheus keys)`, prometheusPart, prometheusAnnotationKeys);
  }
  // The dashboard in parts, so that a finding names the part.
  for (const a of annotations) checks.add(`annotation "${a?.name}"`, a, 'Loose<AnnotationQuery>');
  for (const v of copy.templating?.list ?? []) checks.add(`variable ${v?.name}`, v, 'Loose<VariableModel>');
  for (const [i, link] of (copy.links ?? []).entries()) checks.add(`link ${i}`, link, 'Loose<DashboardLink>');
  for (const { panel } of allPanels(copy)) {
    if (panel?.type === 'row') {
      const { panels, ...row } = panel;
      checks.add(nameOf(panel), row, 'Loose<Omit<RowPanel, "panels">>');
    } else {
      checks.add(nameOf(panel), panel, 'Loose<Panel>');
    }
  }
  const { panels, templating, annotations: annotationList, links, ...top } = copy;
  checks.add('dashboard', top, 'Loose<Omit<Dashboard, "panels" | "templating" | "annotations" | "links">>');

  for (const { panel } of allPanels(model)) {
    if (panel === null || typeof panel !== 'object' || panel.type === 'row') continue;
    const kind = panelKinds.get(kindOf(panel.type));
    if (!kind) continue;  // reported by checkStructure
    const k = aliasOf(kind.module);
    if ('options' in panel) {
      checks.add(`${nameOf(panel)} options`, panel.options,
                 kind.hasOptions ? `Deep<${k}.Options>` : 'Record<string, never>');
    }
    const custom = panel.fieldConfig?.defaults?.custom;
    if (custom !== undefined) {
      checks.add(`${nameOf(panel)} fieldConfig.defaults.custom`, custom,
                 kind.hasFieldConfig ? `Deep<${k}.FieldConfig>` : 'Record<string, never>');
    }
    for (const [i, target] of (Array.isArray(panel.targets) ? panel.targets : []).entries()) {
      checks.add(`${nameOf(panel)} target ${target?.refId ?? i}`, target, 'Loose<PrometheusDataQuery>');
    }
  }

  checks.imports = [
    `import type { AnnotationQuery, Dashboard, Panel, RowPanel, VariableModel } from '@grafana/schema';`,
    `import type { DashboardLink } from '@grafana/schema/dist/esm/raw/dashboard/x/dashboard_types.gen';`,
    `import type { PrometheusDataQuery } from '@grafana/schema/dist/esm/raw/composable/prometheus/dataquery/x/PrometheusDataQuery_types.gen';`,
    ...[...kinds].map(([module, alias]) => `import type * as ${alias} from '${module}';`),
  ];
  return { file, text: checks.text(prelude) };
}

// ---------------------------------------------------------------------------------------------

const entries = [];
for (const file of files) {
  let model;
  try {
    model = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    report(file, 'file', error.message);
    continue;
  }
  if (model === null || typeof model !== 'object' || Array.isArray(model)) {
    report(file, 'file', 'not a JSON object');
    continue;
  }
  checkStructure(file, model);
  entries.push({ file, model });
}
if (entries.length > 0) findings.push(...typeCheck(entries.map(({ file, model }) => typeModule(file, model))));

for (const line of findings) console.log(line);
if (findings.length > 0) process.exit(1);
console.log(`${files.length} dashboard(s) match Grafana's schema, units and layout rules`);
