// Type-checks generated TypeScript modules against the types of this project's pinned packages,
// in memory: each module is a list of `(LITERAL) satisfies TYPE;` statements, each preceded by a
// `// LABEL` comment line, and each literal printed one key a line. A diagnostic is reported as
// "FILE: LABEL: MESSAGE (at LINE)", so that it names the part and the key.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ts = createRequire(import.meta.url)('typescript');

// Collects the statements of one module.
export class TypeChecks {
  constructor(file, imports = []) {
    this.file = file;
    this.imports = imports;
    this.statements = [];
  }
  add(label, value, type) {
    this.statements.push(
        `// ${label.replace(/\n/g, ' ')}\n(${JSON.stringify(value ?? {}, null, 1)}) satisfies ${type};`);
  }
  text(prelude = '') {
    return `${this.imports.join('\n')}\n${prelude}\n${this.statements.join('\n')}\nexport {};\n`;
  }
}

// Returns the findings of compiling `modules` (an array of { file, text }).
export function typeCheck(modules) {
  const sources = new Map();
  for (const [i, m] of modules.entries()) sources.set(path.join(here, `.check-${i}.ts`), m);
  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (name) => sources.has(name) || fs.existsSync(name);
  host.readFile = (name) => sources.get(name)?.text ?? readFile(name);
  host.getSourceFile = (name, version) => sources.has(name)
    ? ts.createSourceFile(name, sources.get(name).text, version)
    : getSourceFile(name, version);
  const program = ts.createProgram([...sources.keys()], options, host);
  const findings = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const source = d.file && sources.get(d.file.fileName);
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!source) { findings.push(`typescript: ${message}`); continue; }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const lines = source.text.split('\n');
    let label = '?';
    for (let l = line; l >= 0; --l) {
      if (lines[l].startsWith('// ')) { label = lines[l].slice(3); break; }
    }
    const at = lines[line].trim().replace(/^\(/, '');
    findings.push(`${source.file}: ${label}: ${message}` +
                  (at.length > 1 && at.length < 120 ? ` (at ${at})` : ''));
  }
  return findings;
}
