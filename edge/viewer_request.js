// CloudFront viewer-request Function (runtime cloudfront-js-2.0) in front of the media bucket. A request
// GET|HEAD /m/<ws>/<mediaId>/<edgeToken>/<file...> passes when its edge token (minted by the exchange, see
// docs/edge.md) is signed for this workspace and media, unexpired and not denied; it is then rewritten to the
// S3 key /<ws>/<mediaId>/<file...>, so one cached object serves every viewer. Anything else: a 403 naming
// the failed check. This file is deployed as it is (no minifier): edge/test/runtime.test.mjs holds it to
// CloudFront's 10 KB and to what runtime 2.0 offers.
import cf from 'cloudfront';
import crypto from 'crypto';

const kvs = cf.kvs();

// Segment shapes. None admits `%`, `\` or `/`, and a file segment cannot start with `.`, so no encoding can
// smuggle a separator or a dot-segment past them into the S3 key or the cache key.
const WORKSPACE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MEDIA = /^[A-Za-z0-9_.:-]{1,128}$/;
const FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
const TOKEN_SEGMENT = /^[A-Za-z0-9_.-]+$/;
// Token fields: a secret id is any lower-case UUID (Secrets Manager's VersionId); key and revocation ids are
// the API's UUIDv8; integers are decimal without sign or leading zero, at most 12 digits (exact in a double,
// and enough for year 9999); the MAC is unpadded base64url of 32 bytes.
const SECRET_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const INTEGER = /^(0|[1-9][0-9]{0,11})$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
const MAX_TOKEN_CHARS = 512;
// CloudFront's own URL limit: longer is never a request CloudFront forwards.
const MAX_URI_CHARS = 8192;
// A shorter secret has fewer than 256 bits of entropy: a misconfiguration, so it signs nothing.
const MIN_SECRET_CHARS = 43;
// Returned for a deny entry that does not parse: every check treats it as in force (fail closed).
const GARBLED = { garbled: true };

function refuse(check) {
    return {
        statusCode: 403,
        statusDescription: 'Forbidden',
        headers: {
            'content-type': { value: 'text/plain; charset=utf-8' },
            // A refusal is about this token, never about the object: no cache may keep it.
            'cache-control': { value: 'no-store' }
        },
        body: { encoding: 'text', data: 'Forbidden: ' + check }
    };
}

// ['', 'm', ws, mediaId, token, file, ...], or null when the URI is not exactly that shape. Splitting the raw,
// still percent-encoded URI is the whole normalisation: what is not plainly one allowed segment is refused.
function segments(uri) {
    if (typeof uri !== 'string' || uri.length > MAX_URI_CHARS) {
        return null;
    }
    const parts = uri.split('/');
    if (parts.length < 6 || parts[0] !== '' || parts[1] !== 'm') {
        return null;
    }
    const media = parts[3];
    if (!WORKSPACE.test(parts[2]) || !MEDIA.test(media) || media === '.' || media === '..') {
        return null;
    }
    if (!TOKEN_SEGMENT.test(parts[4])) {
        return null;
    }
    for (let i = 5; i < parts.length; i++) {
        if (!FILE.test(parts[i])) {
            return null;
        }
    }
    return parts;
}

// The token's nine fields (e1, sid, kid, exp, start, iat, jrid, vrid, mac), or null. Checked before any
// lookup, so a malformed token costs no KeyValueStore read.
function fields(token) {
    if (token.length > MAX_TOKEN_CHARS) {
        return null;
    }
    const f = token.split('.');
    const valid = f.length === 9 && f[0] === 'e1' && SECRET_ID.test(f[1]) && UUID8.test(f[2]) &&
        INTEGER.test(f[3]) && INTEGER.test(f[4]) && (f[5] === '' || INTEGER.test(f[5])) &&
        (f[6] === '' || UUID8.test(f[6])) && (f[7] === '' || UUID8.test(f[7])) && MAC.test(f[8]);
    return valid ? f : null;
}

// Equal strings, in time that does not depend on where they first differ (the expected MAC stays unguessable
// byte by byte). Both are 43 ASCII characters here.
function same(a, b) {
    if (a.length !== b.length) {
        return false;
    }
    let difference = 0;
    for (let i = 0; i < a.length; i++) {
        difference |= a.codePointAt(i) ^ b.codePointAt(i);
    }
    return difference === 0;
}

// The entry's text, or null when the key is absent: get() throws for a missing key. Lookups are awaited one
// at a time, as AWS advises: promise combinators cost function memory (functions-custom-methods).
async function lookup(key) {
    try {
        return await kvs.get(key);
    } catch (e) {
        return null;
    }
}

function isNumber(value) {
    return typeof value === 'number' && isFinite(value);
}

// A deny entry in force: null when absent or past its `until`; its object otherwise; GARBLED when it is not a
// JSON object whose `until` and `numbers` (where present) are numbers.
function inForce(text, now, numbers) {
    if (typeof text !== 'string') {
        return null;
    }
    let entry;
    try {
        entry = JSON.parse(text);
    } catch (e) {
        return GARBLED;
    }
    if (entry === null || typeof entry !== 'object' || !isNumber(entry.until)) {
        return GARBLED;
    }
    for (let i = 0; i < numbers.length; i++) {
        if (entry[numbers[i]] !== undefined && !isNumber(entry[numbers[i]])) {
            return GARBLED;
        }
    }
    return now > entry.until * 1000 ? null : entry;
}

async function handler(event) {
    const request = event.request;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
        return refuse('method');
    }
    const parts = segments(request.uri);
    if (parts === null) {
        return refuse('path');
    }
    const token = parts[4];
    const f = fields(token);
    if (f === null) {
        return refuse('token');
    }

    const secret = await lookup('s:' + f[1]);
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_CHARS) {
        return refuse('secret');
    }
    // Workspace and media are signed with the token, so a token is good for one media of one workspace only.
    const message = 'e1\n' + parts[2] + '\n' + parts[3] + '\n' + token.slice(0, token.lastIndexOf('.'));
    const expected = crypto.createHmac('sha256', secret).update(message).digest('base64url');
    if (!same(expected, f[8])) {
        return refuse('signature');
    }

    // CloudFront fixes Date.now() at the function's start: one moment for every check below.
    const now = Date.now();
    if (now >= Number(f[3]) * 1000) {
        return refuse('expired');
    }
    const key = inForce(await lookup('k:' + f[2]), now, ['from']);
    if (key !== null && (!isNumber(key.from) || now >= key.from * 1000)) {
        return refuse('key');
    }
    const revocationIds = [f[6], f[7]];
    for (let i = 0; i < revocationIds.length; i++) {
        if (revocationIds[i] !== '' && inForce(await lookup('r:' + revocationIds[i]), now, []) !== null) {
            return refuse('revoked');
        }
    }
    const cutoff = inForce(await lookup('w:' + parts[2]), now, ['ib', 'sb']);
    if (cutoff === GARBLED) {
        return refuse('issued_before');
    }
    if (cutoff !== null && cutoff.ib !== undefined && (f[5] === '' || Number(f[5]) < cutoff.ib)) {
        return refuse('issued_before');
    }
    if (cutoff !== null && cutoff.sb !== undefined && Number(f[4]) < cutoff.sb) {
        return refuse('session');
    }

    request.uri = '/' + parts[2] + '/' + parts[3] + '/' + parts.slice(5).join('/');
    // The token in the path is the credential; a query string would only split the cache.
    request.querystring = {};
    return request;
}
