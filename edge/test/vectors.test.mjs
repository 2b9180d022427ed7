// Tokens the Python reference mints (edge/test/vectors.json, `make edge-vectors`) get the verdict the contract
// gives them; tests/unit/test_edge_token_vectors.py checks the same from Python's side.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runVectors } from '../support/vectors.mjs';

const results = await runVectors(new URL('./vectors.json', import.meta.url));

test('the vectors hold both accepted and refused tokens', () => {
    assert.ok(results.some((r) => r.expect.uri) && results.some((r) => r.expect.refused));
});

for (const { name, expect, result } of results) {
    test(`python-minted: ${name}`, () => {
        if (expect.uri) {
            assert.deepEqual([result.uri, result.querystring], [expect.uri, {}]);
        } else {
            assert.deepEqual([result.statusCode, result.body.data], [403, `Forbidden: ${expect.refused}`]);
        }
    });
}
