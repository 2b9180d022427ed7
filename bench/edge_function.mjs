// The edge Function's cost per request under Node.js, against its floor: a bare HMAC-SHA256 verify of the same
// token. Run by bench/edge.py (`make bench`): node bench/edge_function.mjs <rounds> <iterations per round>.
// Prints one JSON line {subject_us, floor_us, ratio, lookups}.
//
// The subject is the whole handler on a request that passes every check, with an in-memory KeyValueStore
// holding only the secret, so the deny lookups (k:, r:jrid, r:vrid, w:) all miss and reject, as a key absent
// from CloudFront's store does. Both run alternately within each round, so machine noise lands on each equally.
import crypto from 'node:crypto';

import { loadFunction, memoryKvs } from '../edge/function_loader.mjs';
import { SECRET, entries, mediaUri, mint, viewerRequest } from '../edge/support/tokens.mjs';

const rounds = Number(process.argv[2] || 30);
const iterations = Number(process.argv[3] || 2000);

const token = mint({ exp: Math.floor(Date.now() / 1000) + 3600 });
const signed = token.slice(0, token.lastIndexOf('.'));
const mac = token.slice(token.lastIndexOf('.') + 1);
const message = `e1\nacme\nclip-1\n${signed}`;

const store = memoryKvs(entries());
let lookups = 0;
const counting = {
    get(key, options) {
        lookups += 1;
        return store.get(key, options);
    },
};
const edge = loadFunction({ kvs: counting });

async function subject(event) {
    const result = await edge.handler(event);
    if (result.uri !== '/acme/clip-1/hls/index.m3u8') {
        throw new Error(`the request was refused: ${JSON.stringify(result)}`);
    }
}

// A fresh event per call (the handler rewrites the one it is given), built before the clock starts.
function events() {
    return Array.from({ length: iterations }, () => viewerRequest(mediaUri(token)));
}

function floor() {
    if (crypto.createHmac('sha256', SECRET).update(message).digest('base64url') !== mac) {
        throw new Error('the MAC does not verify');
    }
}

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
}

const subjectTimes = [];
const floorTimes = [];
for (const event of events()) { // warm-up: compile both paths before timing
    await subject(event);
    floor();
}
lookups = 0;
for (let round = 0; round < rounds; round++) {
    const batch = events();
    let started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
        await subject(batch[i]);
    }
    subjectTimes.push(Number(process.hrtime.bigint() - started) / 1e3 / iterations);
    started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
        floor();
    }
    floorTimes.push(Number(process.hrtime.bigint() - started) / 1e3 / iterations);
}
const subjectUs = median(subjectTimes);
const floorUs = median(floorTimes);
process.stdout.write(`${JSON.stringify({
    subject_us: subjectUs,
    floor_us: floorUs,
    ratio: subjectUs / floorUs,
    lookups: lookups / (rounds * iterations),
})}\n`);
