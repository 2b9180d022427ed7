// The loader runs the deployed file as CloudFront would: only its import lines adapted, strict, and in a
// context that lacks what runtime 2.0 lacks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { FUNCTION_PATH, adaptImports, loadFunction, memoryKvs } from '../function_loader.mjs';

const HEADER = "import cf from 'cloudfront';\nimport crypto from 'crypto';\n";

function load(body) {
    return loadFunction({ kvs: memoryKvs(), source: `${HEADER}async function handler(event) {\n${body}\n}\n` });
}

test('only the import lines of the deployed file are adapted, and line numbers stay', () => {
    const source = fs.readFileSync(FUNCTION_PATH, 'utf8').split('\n');
    const adapted = adaptImports(source.join('\n')).split('\n');
    assert.equal(adapted.length, source.length);
    const changed = source.filter((line, i) => line !== adapted[i]);
    assert.deepEqual(changed, ["import cf from 'cloudfront';", "import crypto from 'crypto';"]);
});

test('the function runs in strict mode, as CloudFront runs every function', async () => {
    const fn = load('undeclared = 1; return event.request;');
    await assert.rejects(fn.run({ request: {} }), (error) => error.name === 'ReferenceError');
});

test('the function sees none of what runtime 2.0 lacks', async () => {
    const names = ['require', 'process', 'setTimeout', 'setInterval', 'setImmediate', 'fetch', 'module', 'global'];
    const fn = load(`return { ${names.map((name) => `${name}: typeof ${name}`).join(', ')} };`);
    const seen = await fn.run({});
    assert.deepEqual(seen, Object.fromEntries(names.map((name) => [name, 'undefined'])));
});

test('the function sees the host objects runtime 2.0 documents', async () => {
    const names = ['Buffer', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'console'];
    const fn = load(`return { ${names.map((name) => `${name}: typeof ${name}`).join(', ')} };`);
    const seen = await fn.run({});
    assert.deepEqual(Object.values(seen).filter((type) => type === 'undefined'), []);
});

test('eval throws, as in CloudFront', async () => {
    await assert.rejects(load("return eval('1');").run({}), (error) => error.name === 'EvalError');
});

test('the Function constructor throws, as in CloudFront', async () => {
    await assert.rejects(load("return new Function('return 1')();").run({}), (error) => error.name === 'EvalError');
});

test("the crypto module offers only runtime 2.0's algorithms", async () => {
    await assert.rejects(load("return crypto.createHmac('sha512', 'k').digest('hex');").run({}), /no algorithm sha512/);
});

test('the KeyValueStore handle rejects a key that is absent, as CloudFront does', async () => {
    await assert.rejects(memoryKvs({ a: '1' }).get('b'));
    assert.equal(await memoryKvs({ a: '1' }).get('a'), '1');
});
