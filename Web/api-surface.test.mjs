// Checks that the module as shipped agrees with itself (run by `make wasm-test`, after tsc has checked
// types-check.ts against colonio.d.ts): colonio.js exports exactly the classes colonio.d.ts declares, the
// Colonio class and its kvs have exactly the declared members, package.json's version is the Swift
// package's (ColonioVersion.current) and its files include every module colonio.js imports, which the
// seed must serve too. Exit 1 on any mismatch. Usage: node Web/api-surface.test.mjs
import { readFile, access } from 'node:fs/promises';
import * as colonio from './colonio.js';

const web = new URL('./', import.meta.url);
const root = new URL('../', web);
const read = async (path, base = web) => readFile(new URL(path, base), 'utf8');
const failures = [];
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures.push(name);
}
function same(name, actual, declared) {
  const a = [...new Set(actual)].sort(), d = [...new Set(declared)].sort();
  const missing = d.filter((n) => !a.includes(n)), extra = a.filter((n) => !d.includes(n));
  check(name, d.length > 0 && missing.length === 0 && extra.length === 0,
    `${missing.length ? `declared but missing in colonio.js: ${missing.join(', ')}; ` : ''}${extra.length ? `in colonio.js but not declared: ${extra.join(', ')}` : ''}`
      || `${d.length} names`);
}

// The declarations: `export declare class X` are the value exports; members of a declared class or
// interface are its lines at two spaces' indent (the file's style).
const declarations = await read('colonio.d.ts');
function body(header) {
  const start = declarations.indexOf(`${header} {\n`);
  if (start < 0) return '';
  return declarations.slice(start, declarations.indexOf('\n}\n', start));
}
function membersOf(header) {
  const names = [];
  for (const match of body(header).matchAll(/^ {2}(?:(?:static|readonly|private|get)\s+)*(\w+)\??\s*[(:]/gm)) {
    if (match[0].includes('private ') || match[0].includes('static ')) continue;
    names.push(match[1]);
  }
  return names;
}
const declaredExports = [...declarations.matchAll(/^export declare (?:class|function|const|let) (\w+)/gm)].map((m) => m[1]);
same('colonio.js exports what colonio.d.ts declares', Object.keys(colonio), declaredExports);

const node = new colonio.Colonio({ seed: 'ws://127.0.0.1:1', network: 'surface' });
node.log = () => {};
const prototype = Object.getOwnPropertyNames(colonio.Colonio.prototype).filter((n) => n !== 'constructor');
same('Colonio members match the declaration', [...Object.keys(node), ...prototype], membersOf('export declare class Colonio'));
same('Colonio static members match the declaration',
  Object.getOwnPropertyNames(colonio.Colonio).filter((n) => !['length', 'name', 'prototype'].includes(n)),
  [...body('export declare class Colonio').matchAll(/^ {2}static (\w+)/gm)].map((m) => m[1]));
same('kvs members match ColonioKVS', Object.keys(node.kvs), membersOf('export interface ColonioKVS'));
for (const name of declaredExports.filter((n) => n !== 'Colonio')) {
  check(`${name} is a ColonioError`, colonio[name] === colonio.ColonioError || colonio[name]?.prototype instanceof colonio.ColonioError);
}
// A node made with `new` (not connect) refuses calls with NotConnectedError instead of a TypeError.
try {
  node.handle('x', () => {});
  check('a node made with new refuses calls', false);
} catch (error) {
  check('a node made with new refuses calls with NotConnectedError', error instanceof colonio.NotConnectedError, error.name);
}
check('requests reject rather than throw', await node.request('00'.repeat(16), 'x').then(() => false, (e) => e instanceof colonio.NotConnectedError));
check('kvs rejects an invalid condition', await node.kvs.put('k', 'v', { condition: 'ifNewer' }).then(() => false, (e) => e.kind === 'invalidCondition'));

// package.json: the Swift package's version, the declared entry points, every file colonio.js needs.
const manifest = JSON.parse(await read('package.json'));
const version = /static let current = "([^"]+)"/.exec(await read('Sources/ColonioCore/Support/ColonioVersion.swift', root))?.[1];
check('package.json version is ColonioVersion.current', manifest.version === version, `${manifest.version} vs ${version}`);
check('package.json is an ES module with types', manifest.type === 'module' && manifest.types === './colonio.d.ts'
  && manifest.exports?.['.']?.types === './colonio.d.ts' && manifest.exports?.['.']?.default === './colonio.js');
check('package.json has no dependencies', !manifest.dependencies && !manifest.devDependencies && !manifest.peerDependencies);
const source = await read('colonio.js');
const imports = [...source.matchAll(/^import [^;]* from '\.\/([^']+)';$/gm)].map((m) => m[1]);
const seedFiles = await read('Sources/ColonioSeed/Server/SeedWebFiles.swift', root);
for (const file of ['colonio.js', 'colonio.d.ts', 'colonio.wasm', ...imports]) {
  check(`package.json files include ${file}`, manifest.files.includes(file));
  if (file !== 'colonio.wasm') check(`${file} exists`, await access(new URL(file, web)).then(() => true, () => false));
}
for (const file of imports) check(`the seed serves /${file} (colonio.js imports it)`, seedFiles.includes(`"/${file}": Entry(file: "${file}"`));

console.log(`API surface: ${failures.length ? `${failures.length} failed` : 'all passed'}`);
process.exit(failures.length ? 1 : 0);
