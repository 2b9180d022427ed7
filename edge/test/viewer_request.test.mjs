// The Function's behaviour, through its handler, as CloudFront calls it: each check of the contract in
// docs/edge.md, and every path or encoding trick that could aim the rewritten URI elsewhere.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { loadFunction, memoryKvs } from '../function_loader.mjs';
import {
    JTI_REVOCATION_ID, KEY_ID, MEDIA, NOW, NOW_MS, OTHER_SECRET, OTHER_SECRET_ID, SECRET, SECRET_ID,
    VIEWER_REVOCATION_ID, WORKSPACE, entries, mediaUri, mint, viewerRequest, withField,
} from '../support/tokens.mjs';

async function call(uri, { kvs = entries(), method = 'GET', querystring = {}, now = NOW_MS } = {}) {
    const fn = loadFunction({ kvs: memoryKvs(kvs), now: () => now });
    return fn.run(viewerRequest(uri, { method, querystring }));
}

async function refusal(uri, options) {
    const result = await call(uri, options);
    assert.equal(result.statusCode, 403, `expected a refusal, got ${JSON.stringify(result)}`);
    assert.equal(result.uri, undefined);
    return result.body.data;
}

async function allowedUri(uri, options) {
    const result = await call(uri, options);
    assert.equal(result.statusCode, undefined, `expected the request, got ${JSON.stringify(result)}`);
    return result.uri;
}

function deny(extra) {
    return { kvs: entries(extra) };
}

describe('a valid token', () => {
    test('rewrites the request to the S3 key under the workspace and media', async () => {
        assert.equal(await allowedUri(mediaUri(mint())), `/${WORKSPACE}/${MEDIA}/hls/index.m3u8`);
    });

    test('keeps every file segment of a nested path', async () => {
        const uri = mediaUri(mint(), 'hls/720p/segment_00042.ts');
        assert.equal(await allowedUri(uri), `/${WORKSPACE}/${MEDIA}/hls/720p/segment_00042.ts`);
    });

    test('drops the query string and leaves the rest of the request alone', async () => {
        // Given a query string on the request, when it passes
        const result = await call(mediaUri(mint()), { querystring: { token: { value: 'x' }, v: { value: '2' } } });
        // Then the cache and the origin see no query string, and the headers are untouched
        assert.deepEqual(result.querystring, {});
        assert.deepEqual(result.headers, { host: { value: 'video.example.com' } });
        assert.equal(result.method, 'GET');
    });

    test('passes for a media id with a colon', async () => {
        const token = mint({ media: 'live:cam-1' });
        assert.equal(await allowedUri(mediaUri(token, 'a.ts', WORKSPACE, 'live:cam-1')), `/${WORKSPACE}/live:cam-1/a.ts`);
    });

    test('passes without iat, jti or viewer revocation ids', async () => {
        assert.ok(await allowedUri(mediaUri(mint({ iat: '', jrid: '', vrid: '' }))));
    });

    test('passes until the second before exp', async () => {
        assert.ok(await allowedUri(mediaUri(mint({ exp: NOW + 1 }))));
    });

    test('signed with either of two live secrets passes (rotation overlap)', async () => {
        const kvs = entries({ [`s:${OTHER_SECRET_ID}`]: OTHER_SECRET });
        assert.ok(await allowedUri(mediaUri(mint()), { kvs }));
        assert.ok(await allowedUri(mediaUri(mint({ sid: OTHER_SECRET_ID, secret: OTHER_SECRET })), { kvs }));
    });
});

describe('the method', () => {
    test('HEAD is allowed', async () => {
        assert.ok(await allowedUri(mediaUri(mint()), { method: 'HEAD' }));
    });
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'get']) {
        test(`${method} is refused`, async () => {
            assert.equal(await refusal(mediaUri(mint()), { method }), 'Forbidden: method');
        });
    }
});

test('a refusal is a 403 no cache keeps, with a plain-text body naming the check', async () => {
    const result = await call(mediaUri(mint({ exp: NOW - 1 })));
    assert.deepEqual(result, {
        statusCode: 403,
        statusDescription: 'Forbidden',
        headers: { 'content-type': { value: 'text/plain; charset=utf-8' }, 'cache-control': { value: 'no-store' } },
        body: { encoding: 'text', data: 'Forbidden: expired' },
    });
});

describe('expiry', () => {
    test('a token at its exp is refused', async () => {
        assert.equal(await refusal(mediaUri(mint({ exp: NOW }))), 'Forbidden: expired');
    });
    test('a token past its exp is refused', async () => {
        assert.equal(await refusal(mediaUri(mint({ exp: NOW - 3600 }))), 'Forbidden: expired');
    });
});

describe('a tampered token', () => {
    const token = mint();
    const cases = [
        ['its secret id (naming another live secret)', 1, OTHER_SECRET_ID],
        ['its key id', 2, '0d4e8b1c-5a7f-8e2d-9c3b-6f1a2e4d7c91'],
        ['its exp, later', 3, String(NOW + 86400)],
        ['its start', 4, String(NOW)],
        ['its iat', 5, String(NOW)],
        ['its iat, removed', 5, ''],
        ['its jti revocation id, removed', 6, ''],
        ['its viewer revocation id, removed', 7, ''],
        ['one character of its MAC', 8, `${token.split('.')[8].slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
    ];
    for (const [name, index, value] of cases) {
        test(`with ${name} changed is refused`, async () => {
            const kvs = entries({ [`s:${OTHER_SECRET_ID}`]: OTHER_SECRET });
            assert.equal(await refusal(mediaUri(withField(token, index, value)), { kvs }), 'Forbidden: signature');
        });
    }

    test('with the MAC of another secret is refused', async () => {
        assert.equal(await refusal(mediaUri(mint({ secret: OTHER_SECRET }))), 'Forbidden: signature');
    });
    test('for another media is refused', async () => {
        const uri = mediaUri(mint({ media: 'clip-2' }));
        assert.equal(await refusal(uri), 'Forbidden: signature');
    });
    test('for another workspace is refused', async () => {
        const uri = mediaUri(mint({ workspace: 'other' }));
        assert.equal(await refusal(uri), 'Forbidden: signature');
    });
    test('moved to another media is refused', async () => {
        const uri = mediaUri(mint(), 'index.m3u8', WORKSPACE, 'clip-2');
        assert.equal(await refusal(uri), 'Forbidden: signature');
    });
    test('moved to another workspace is refused', async () => {
        const uri = mediaUri(mint(), 'index.m3u8', 'other', MEDIA);
        assert.equal(await refusal(uri), 'Forbidden: signature');
    });
});

describe('the secret', () => {
    test('an unknown secret id is refused', async () => {
        assert.equal(await refusal(mediaUri(mint({ sid: OTHER_SECRET_ID }))), 'Forbidden: secret');
    });
    test('a secret shorter than 256 bits of base64url signs nothing', async () => {
        const short = SECRET.slice(0, 42);
        const uri = mediaUri(mint({ secret: short }));
        assert.equal(await refusal(uri, { kvs: { [`s:${SECRET_ID}`]: short } }), 'Forbidden: secret');
    });
    test('a secret that could not be read refuses the token', async () => {
        const failing = { async get() { throw new Error('throttled'); } };
        const fn = loadFunction({ kvs: failing, now: () => NOW_MS });
        const result = await fn.run(viewerRequest(mediaUri(mint())));
        assert.equal(result.body.data, 'Forbidden: secret');
    });
});

describe('the token shape', () => {
    const token = mint();
    const cases = [
        ['eight fields', token.split('.').slice(0, 8).join('.')],
        ['ten fields', `${token}.x`],
        ['another version', withField(token, 0, 'e2')],
        ['an upper-case secret id', withField(token, 1, SECRET_ID.toUpperCase())],
        ['a key id that is no UUIDv8', withField(token, 2, SECRET_ID)],
        ['an empty key id', withField(token, 2, '')],
        ['an exp with a leading zero', withField(token, 3, `0${NOW + 600}`)],
        ['an exp in exponent notation', withField(token, 3, '2e9')],
        ['a negative exp', withField(token, 3, '-1')],
        ['an exp of thirteen digits', withField(token, 3, '1000000000000')],
        ['an empty start', withField(token, 4, '')],
        ['a fractional iat', withField(token, 5, '1.5')],
        ['a jti revocation id that is no UUIDv8', withField(token, 6, 'abc')],
        ['a MAC one character short', withField(token, 8, token.split('.')[8].slice(1))],
        ['more than 512 characters', `${token.slice(0, -1)}${'A'.repeat(600)}`],
    ];
    for (const [name, bad] of cases) {
        test(`a token with ${name} is refused`, async () => {
            assert.equal(await refusal(mediaUri(bad)), 'Forbidden: token');
        });
    }

    test('a malformed token reads nothing from the KeyValueStore', async () => {
        // Given a KeyValueStore that counts reads, when a token of the wrong shape arrives
        const reads = [];
        const counting = { async get(key) { reads.push(key); throw new Error('absent'); } };
        const fn = loadFunction({ kvs: counting, now: () => NOW_MS });
        await fn.run(viewerRequest(mediaUri(withField(token, 3, 'x'))));
        // Then no lookup was made
        assert.deepEqual(reads, []);
    });
});

describe('a denied key (k:)', () => {
    const key = `k:${KEY_ID}`;
    test('from a moment in the past is refused', async () => {
        const options = deny({ [key]: JSON.stringify({ from: NOW - 10, until: NOW + 3600 }) });
        assert.equal(await refusal(mediaUri(mint()), options), 'Forbidden: key');
    });
    test('from 0 (always) is refused', async () => {
        const options = deny({ [key]: JSON.stringify({ from: 0, until: NOW + 3600 }) });
        assert.equal(await refusal(mediaUri(mint()), options), 'Forbidden: key');
    });
    test('from this very moment is refused', async () => {
        const options = deny({ [key]: JSON.stringify({ from: NOW, until: NOW + 3600 }) });
        assert.equal(await refusal(mediaUri(mint()), options), 'Forbidden: key');
    });
    test('from a moment still to come is not denied yet', async () => {
        const options = deny({ [key]: JSON.stringify({ from: NOW + 10, until: NOW + 3600 }) });
        assert.ok(await allowedUri(mediaUri(mint()), options));
    });
    test('past its until is ignored', async () => {
        const options = deny({ [key]: JSON.stringify({ from: 0, until: NOW - 1 }) });
        assert.ok(await allowedUri(mediaUri(mint()), options));
    });
    test('at its until still denies', async () => {
        const options = deny({ [key]: JSON.stringify({ from: 0, until: NOW }) });
        assert.equal(await refusal(mediaUri(mint()), options), 'Forbidden: key');
    });
    for (const [name, value] of [['not JSON', '{from: 0'], ['without from', '{"until": 9999999999}'],
        ['with a text from', '{"from": "0", "until": 9999999999}'], ['without until', '{"from": 0}'],
        ['a JSON array', '[0, 9999999999]'], ['JSON null', 'null']]) {
        test(`${name} denies (fail closed)`, async () => {
            assert.equal(await refusal(mediaUri(mint()), deny({ [key]: value })), 'Forbidden: key');
        });
    }
    test('of another key does not deny this one', async () => {
        const options = deny({ 'k:0d4e8b1c-5a7f-8e2d-9c3b-6f1a2e4d7c91': JSON.stringify({ from: 0, until: NOW + 1 }) });
        assert.ok(await allowedUri(mediaUri(mint()), options));
    });
});

describe('a revocation (r:)', () => {
    test("of the token's jti is refused", async () => {
        const options = deny({ [`r:${JTI_REVOCATION_ID}`]: JSON.stringify({ until: NOW + 60 }) });
        assert.equal(await refusal(mediaUri(mint()), options), 'Forbidden: revoked');
    });
    test("of the token's viewer is refused", async () => {
        const options = deny({ [`r:${VIEWER_REVOCATION_ID}`]: JSON.stringify({ until: NOW + 60 }) });
        assert.equal(await refusal(mediaUri(mint()), options), 'Forbidden: revoked');
    });
    test('past its until is ignored', async () => {
        const options = deny({ [`r:${JTI_REVOCATION_ID}`]: JSON.stringify({ until: NOW - 1 }) });
        assert.ok(await allowedUri(mediaUri(mint()), options));
    });
    test('that does not parse denies (fail closed)', async () => {
        const options = deny({ [`r:${VIEWER_REVOCATION_ID}`]: 'revoked' });
        assert.equal(await refusal(mediaUri(mint()), options), 'Forbidden: revoked');
    });
    test('does not touch a token without revocation ids', async () => {
        const options = deny({ [`r:${JTI_REVOCATION_ID}`]: JSON.stringify({ until: NOW + 60 }) });
        assert.ok(await allowedUri(mediaUri(mint({ jrid: '', vrid: '' })), options));
    });
});

describe("a workspace's cut-offs (w:)", () => {
    const key = `w:${WORKSPACE}`;
    test('issuedBefore later than iat is refused', async () => {
        const options = deny({ [key]: JSON.stringify({ ib: NOW - 100, until: NOW + 60 }) });
        assert.equal(await refusal(mediaUri(mint({ iat: NOW - 101 })), options), 'Forbidden: issued_before');
    });
    test('issuedBefore equal to iat passes', async () => {
        const options = deny({ [key]: JSON.stringify({ ib: NOW - 100, until: NOW + 60 }) });
        assert.ok(await allowedUri(mediaUri(mint({ iat: NOW - 100 })), options));
    });
    test('issuedBefore refuses a token without iat', async () => {
        const options = deny({ [key]: JSON.stringify({ ib: 1, until: NOW + 60 }) });
        assert.equal(await refusal(mediaUri(mint({ iat: '' })), options), 'Forbidden: issued_before');
    });
    test('sessions-before later than the session start is refused', async () => {
        const options = deny({ [key]: JSON.stringify({ sb: NOW - 59, until: NOW + 60 }) });
        assert.equal(await refusal(mediaUri(mint({ start: NOW - 60 })), options), 'Forbidden: session');
    });
    test('sessions-before equal to the session start passes', async () => {
        const options = deny({ [key]: JSON.stringify({ sb: NOW - 60, until: NOW + 60 }) });
        assert.ok(await allowedUri(mediaUri(mint({ start: NOW - 60 })), options));
    });
    test('sessions-before does not need iat', async () => {
        const options = deny({ [key]: JSON.stringify({ sb: NOW - 120, until: NOW + 60 }) });
        assert.ok(await allowedUri(mediaUri(mint({ iat: '' })), options));
    });
    test('past its until is ignored', async () => {
        const options = deny({ [key]: JSON.stringify({ ib: NOW, sb: NOW, until: NOW - 1 }) });
        assert.ok(await allowedUri(mediaUri(mint()), options));
    });
    test('of another workspace does not apply', async () => {
        const options = deny({ 'w:other': JSON.stringify({ ib: NOW, sb: NOW, until: NOW + 60 }) });
        assert.ok(await allowedUri(mediaUri(mint()), options));
    });
    for (const [name, value] of [['not JSON', 'ib=1'], ['with a text ib', '{"ib": "1", "until": 9999999999}'],
        ['with a text sb', '{"sb": "1", "until": 9999999999}'], ['without until', '{"ib": 1}']]) {
        test(`${name} denies (fail closed)`, async () => {
            assert.equal(await refusal(mediaUri(mint()), deny({ [key]: value })), 'Forbidden: issued_before');
        });
    }
});

describe('path and encoding tricks', () => {
    const token = mint();
    const base = `/m/${WORKSPACE}/${MEDIA}/${token}`;
    const cases = [
        ['a .. segment', `${base}/../../secret.ts`],
        ['a .. file after a directory', `${base}/hls/../index.m3u8`],
        ['a . segment', `${base}/./index.m3u8`],
        ['%2e%2e', `${base}/%2e%2e/index.m3u8`],
        ['%2E%2E', `${base}/%2E%2E/index.m3u8`],
        ['a half-encoded .%2e', `${base}/.%2e/index.m3u8`],
        ['%2F inside a segment', `${base}/hls%2Findex.m3u8`],
        ['%2f inside a segment', `${base}/hls%2findex.m3u8`],
        ['%5C inside a segment', `${base}/hls%5Cindex.m3u8`],
        ['a backslash', `${base}/hls\\index.m3u8`],
        ['a backslash dot-dot', `${base}/..\\index.m3u8`],
        ['an empty segment (//)', `${base}//index.m3u8`],
        ['a trailing /', `${base}/hls/`],
        ['no file at all', base],
        ['a file starting with .', `${base}/.index.m3u8`],
        ['a segment of 256 characters', `${base}/${'a'.repeat(256)}`],
        ['a media id ..', `/m/${WORKSPACE}/../${token}/index.m3u8`],
        ['a media id .', `/m/${WORKSPACE}/./${token}/index.m3u8`],
        ['a media id of 129 characters', `/m/${WORKSPACE}/${'a'.repeat(129)}/${token}/index.m3u8`],
        ['a percent in the workspace', `/m/ac%6De/${MEDIA}/${token}/index.m3u8`],
        ['a percent in the media id', `/m/${WORKSPACE}/clip%2D1/${token}/index.m3u8`],
        ['a percent in the token', `/m/${WORKSPACE}/${MEDIA}/${token.replace('.', '%2E')}/index.m3u8`],
        ['a percent in a file', `${base}/index%2Em3u8`],
        ['%00', `${base}/index.m3u8%00.ts`],
        ['a NUL character', `${base}/index.m3u8\u0000.ts`],
        ['unicode in a file', `${base}/vidéo.ts`],
        ['fullwidth dots', `${base}/\uff0e\uff0e/index.m3u8`],
        ['unicode in the workspace', `/m/acmé/${MEDIA}/${token}/index.m3u8`],
        ['a workspace starting with .', `/m/.acme/${MEDIA}/${token}/index.m3u8`],
        ['an empty workspace', `/m//${MEDIA}/${token}/index.m3u8`],
        ['a leading //', `//m/${WORKSPACE}/${MEDIA}/${token}/index.m3u8`],
        ['no leading /', `m/${WORKSPACE}/${MEDIA}/${token}/index.m3u8`],
        ['another prefix', `/x/${WORKSPACE}/${MEDIA}/${token}/index.m3u8`],
        ['an upper-case prefix', `/M/${WORKSPACE}/${MEDIA}/${token}/index.m3u8`],
        ['a question mark', `${base}/index.m3u8?x=1`],
        ['a semicolon', `${base}/index.m3u8;x=1`],
        ['a space', `${base}/index .m3u8`],
        ['a plus', `${base}/index+1.m3u8`],
        ['a colon in a file', `${base}/c:index.m3u8`],
        ['a URI past 8192 characters', `${base}/${Array(40).fill('a'.repeat(250)).join('/')}`],
    ];
    for (const [name, uri] of cases) {
        test(`${name} is refused`, async () => {
            assert.equal(await refusal(uri), 'Forbidden: path');
        });
    }

    test('a URI that is not a string is refused', async () => {
        assert.equal(await refusal(undefined), 'Forbidden: path');
    });

    test('no URI built from hostile pieces is rewritten outside /<ws>/<mediaId>/', async () => {
        // Given URIs made of random runs of dots, slashes, encodings and valid pieces (seeded: reproducible)
        const pieces = ['/', '.', '..', '%2e', '%2f', '%5c', '\\', 'a', 'hls', 'index.m3u8', '_', '-', '%', 'é', '\u0000', ':'];
        let seed = 12345;
        const random = (n) => {
            seed = (seed * 1103515245 + 12345) % 2147483648;
            return seed % n;
        };
        const fn = loadFunction({ kvs: memoryKvs(entries()), now: () => NOW_MS });
        const inside = new RegExp(`^/${WORKSPACE}/${MEDIA}(/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$`);
        let rewritten = 0;
        for (let i = 0; i < 2000; i++) {
            let tail = '';
            for (let j = 1 + random(8); j > 0; j--) {
                tail += pieces[random(pieces.length)];
            }
            const result = await fn.run(viewerRequest(`${base}/${tail}`));
            // Then each one is refused, or rewritten to plain segments under the media
            if (result.statusCode === undefined) {
                rewritten += 1;
                assert.match(result.uri, inside);
                assert.ok(!result.uri.split('/').includes('..'), result.uri);
            } else {
                assert.equal(result.body.data, 'Forbidden: path', `${tail}: ${result.body.data}`);
            }
        }
        assert.ok(rewritten > 0, 'no generated URI was valid: the property was not exercised');
    });
});
