// Runs the Function on the cross-language vectors (edge/test/vectors.json, minted by the Python reference):
//   node edge/support/vectors.mjs edge/test/vectors.json
// prints [{ "name": ..., "result": <the handler's result> }] as JSON; tests/unit/test_edge_token_vectors.py
// reads it, and edge/test/vectors.test.mjs calls runVectors directly.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

import { loadFunction, memoryKvs } from '../function_loader.mjs';

export async function runVectors(file) {
    const { now_ms: now, vectors } = JSON.parse(fs.readFileSync(file, 'utf8'));
    const results = [];
    for (const vector of vectors) {
        const fn = loadFunction({ kvs: memoryKvs(vector.kvs), now: () => now });
        results.push({ name: vector.name, expect: vector.expect, result: await fn.run(vector.event) });
    }
    return results;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
    process.stdout.write(`${JSON.stringify(await runVectors(process.argv[2]))}\n`);
}
