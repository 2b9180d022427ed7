// The deployed file fits CloudFront Functions runtime 2.0, and the checker that says so catches each thing the
// runtime lacks (a checker that passes everything would prove nothing).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { FUNCTION_PATH } from '../function_loader.mjs';
import { MAX_FUNCTION_BYTES, checkFunctionSource } from '../runtime_check.mjs';

const SOURCE = fs.readFileSync(FUNCTION_PATH, 'utf8');

// A minimal Function the checker accepts; each bad snippet below is this with one thing added.
const HEADER = "import cf from 'cloudfront';\nimport crypto from 'crypto';\nconst kvs = cf.kvs();\n";
const GOOD = `${HEADER}async function handler(event) {\n    return event.request;\n}\n`;

function withBody(body) {
    return `${HEADER}async function handler(event) {\n    ${body}\n    return event.request;\n}\n`;
}

function problemsOf(source) {
    return checkFunctionSource(source).map((problem) => problem.message);
}

test('the deployed function uses only what runtime 2.0 offers', () => {
    assert.deepEqual(checkFunctionSource(SOURCE), []);
});

test('the deployed function is well under the 10 KB limit', () => {
    const bytes = Buffer.byteLength(SOURCE, 'utf8');
    assert.ok(bytes <= MAX_FUNCTION_BYTES * 0.8, `${bytes} bytes leaves too little room under ${MAX_FUNCTION_BYTES}`);
});

test('the minimal function passes the checker', () => {
    assert.deepEqual(problemsOf(GOOD), []);
});

test('a source past the size limit is refused', () => {
    const padded = GOOD + `// ${'x'.repeat(MAX_FUNCTION_BYTES)}\n`;
    assert.match(problemsOf(padded).join('\n'), /bytes; CloudFront's limit is 10000/);
});

test('a source without a top-level handler is refused', () => {
    assert.match(problemsOf(`${HEADER}function handle(event) { return event.request; }\n`).join('\n'), /handler/);
});

test('a source that does not parse is refused', () => {
    assert.match(problemsOf(`${HEADER}function handler(event) {\n`).join('\n'), /does not parse/);
});

describe('each construct runtime 2.0 lacks is refused', () => {
    const cases = [
        ['require', "const fs = require('fs');", /global of runtime 2.0: require/],
        ['process', 'const env = process.env;', /global of runtime 2.0: process/],
        ['setTimeout', 'setTimeout(function () {}, 1);', /global of runtime 2.0: setTimeout/],
        ['setInterval', 'setInterval(function () {}, 1);', /global of runtime 2.0: setInterval/],
        ['setImmediate', 'setImmediate(function () {});', /global of runtime 2.0: setImmediate/],
        ['fetch', "await fetch('https://example.com');", /global of runtime 2.0: fetch/],
        ['eval', "eval('1');", /global of runtime 2.0: eval/],
        ['the Function constructor', "const f = new Function('return 1');", /global of runtime 2.0: Function/],
        ['an undocumented global (Map)', 'const m = new Map();', /global of runtime 2.0: Map/],
        ['a global reached through globalThis', "globalThis.require('fs');", /not in runtime 2.0: globalThis.require/],
        ['a class', 'class A {}', /classes/],
        ['a generator', 'function* g() {}', /generators/],
        ['for...of', 'for (const x of [1]) {}', /for\.\.\.of/],
        ['spread', 'const a = [...[1]];', /spread/],
        ['destructuring', 'const { uri } = event.request;', /destructuring/],
        ['a default parameter', 'function f(a = 1) { return a; }', /default values/],
        ['optional chaining', 'const u = event.request?.uri;', /optional chaining/],
        ['nullish coalescing', 'const u = event.request.uri ?? "";', /\?\? operator/],
        ['logical assignment', 'let u = 0; u ||= 1;', /\|\|= operator/],
        ['dynamic import', "await import('crypto');", /dynamic import/],
        ['a tagged template', 'String.raw`x`;', /tagged templates|String\.raw/],
        ['a shorthand property', 'const uri = 1; const o = { uri };', /shorthand/],
        ['an optional catch binding', 'try { JSON.parse("x"); } catch { }', /catch without a binding/],
        ['BigInt', 'const n = 1n;', /BigInt/],
        ['a regex flag the runtime lacks', 'const r = /x/u;', /flags u/],
        ['an async closure', 'const f = async () => 1;', /async closures/],
        ['arguments in an async function', 'const n = arguments.length;', /arguments inside an async function/],
        ['Promise.all', 'await Promise.all([kvs.get("a")]);', /Promise\.all can exceed the function memory/],
        ['Promise.any', 'await Promise.any([kvs.get("a")]);', /Promise\.any can exceed the function memory/],
        ['a promise chain', 'await kvs.get("a").then(function (v) { return v; });', /promise chains \(\.then\)/],
        ['a removed string method', '"x".toUTF8();', /toUTF8 is not in runtime 2\.0/],
        ['an undocumented static method', 'const a = Array.from([1]);', /not in runtime 2.0: Array\.from/],
        ['an undocumented crypto function', 'crypto.timingSafeEqual(a, b);', /crypto\.timingSafeEqual/],
        ['an unknown hash algorithm', "crypto.createHmac('sha512', 'k');", /no algorithm sha512/],
        ['an unknown digest encoding', "crypto.createHash('sha256').update('x').digest('latin1');", /digest encoding latin1/],
        ['console.log with two arguments', "console.log('a', 'b');", /exactly one argument/],
        ['an aliased module', 'const c = crypto;', /only through its members/],
        ['debugger', 'debugger;', /debugger/],
    ];
    for (const [name, body, expected] of cases) {
        test(`refuses ${name}`, () => {
            assert.match(problemsOf(withBody(body)).join('\n'), expected);
        });
    }

    test('refuses top-level await', () => {
        assert.match(problemsOf(`${GOOD}await kvs.get('a');\n`).join('\n'), /top-level await/);
    });
    test('refuses an export', () => {
        assert.match(problemsOf(`${GOOD}export { handler };\n`).join('\n'), /export/);
    });
    test('refuses a module other than cloudfront and crypto', () => {
        assert.match(problemsOf(`import fs from 'fs';\n${GOOD}`).join('\n'), /no module fs/);
    });
    test('refuses a named import', () => {
        assert.match(problemsOf(`import { createHmac } from 'crypto';\n${GOOD}`).join('\n'), /named imports/);
    });
    test('refuses an import written other than on a line of its own', () => {
        assert.match(problemsOf(`import cf from "cloudfront"; import crypto from 'crypto';\nconst kvs = cf.kvs();\nfunction handler(e) { return e; }\n`).join('\n'), /line of its own/);
    });
    test('refuses an import after other statements', () => {
        assert.match(problemsOf(`const a = 1;\n${GOOD}`).join('\n'), /imports come before/);
    });
});
