// The local host as the runner uses it: a child process reading a KeyValueStore over HTTP, answering
// POST /invoke, failing closed when the store fails, and gone when its stdin closes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import readline from 'node:readline';

import { JTI_REVOCATION_ID, NOW, entries, mediaUri, mint, viewerRequest } from '../support/tokens.mjs';

const HOST = new URL('../local_host.mjs', import.meta.url).pathname;

/** A KeyValueStore over HTTP as the runner serves it; `status` forces every answer's status when set. */
async function startKvs(contents) {
    const store = { contents, status: null, reads: 0 };
    const server = http.createServer((req, res) => {
        store.reads += 1;
        const key = decodeURIComponent(req.url.slice('/keys/'.length));
        if (store.status !== null) {
            res.writeHead(store.status).end('failing');
        } else if (Object.hasOwn(store.contents, key)) {
            res.writeHead(200, { 'content-type': 'text/plain' }).end(store.contents[key]);
        } else {
            res.writeHead(404).end();
        }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    store.url = `http://127.0.0.1:${server.address().port}`;
    store.close = () => new Promise((resolve) => server.close(resolve));
    return store;
}

async function startHost(kvsUrl) {
    const child = spawn(process.execPath, [HOST, '--kvs-url', kvsUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await once(readline.createInterface({ input: child.stdout }), 'line');
    const ready = JSON.parse(line);
    assert.equal(ready.ready, true);
    return { child, url: `http://127.0.0.1:${ready.port}` };
}

async function post(host, body, { path = '/invoke', method = 'POST' } = {}) {
    const response = await fetch(`${host.url}${path}`, { method, body: method === 'POST' ? body : undefined });
    return { status: response.status, body: await response.json() };
}

function invoke(host, event) {
    return post(host, JSON.stringify(event));
}

describe('the local host', () => {
    let kvs;
    let host;
    before(async () => {
        // Live for the test run: Date.now() is the real clock here, so tokens are minted around it
        kvs = await startKvs(entries());
        host = await startHost(kvs.url);
    });
    after(async () => {
        host.child.stdin.end();
        await kvs.close();
    });

    const live = (fields = {}) => {
        const now = Math.floor(Date.now() / 1000);
        return mint({ exp: now + 600, start: now - 60, iat: now - 120, ...fields });
    };

    test('answers a valid request with the rewritten request', async () => {
        const { status, body } = await invoke(host, viewerRequest(mediaUri(live())));
        assert.equal(status, 200);
        assert.equal(body.uri, '/acme/clip-1/hls/index.m3u8');
    });

    test("answers a revoked token with the function's 403 response", async () => {
        kvs.contents[`r:${JTI_REVOCATION_ID}`] = JSON.stringify({ until: NOW + 10 ** 9 });
        try {
            const { status, body } = await invoke(host, viewerRequest(mediaUri(live())));
            assert.equal(status, 200);
            assert.deepEqual([body.statusCode, body.body.data], [403, 'Forbidden: revoked']);
        } finally {
            delete kvs.contents[`r:${JTI_REVOCATION_ID}`];
        }
    });

    test('answers hundreds of concurrent invocations, each with its own result', async () => {
        const events = Array.from({ length: 300 }, (_, i) => viewerRequest(mediaUri(i % 2 ? live() : live({ exp: 1 }))));
        const results = await Promise.all(events.map((event) => invoke(host, event)));
        results.forEach(({ status, body }, i) => {
            assert.equal(status, 200);
            assert.equal(i % 2 ? body.uri : body.body.data, i % 2 ? '/acme/clip-1/hls/index.m3u8' : 'Forbidden: expired');
        });
    });

    test('fails closed with a 500 when the KeyValueStore fails', async () => {
        // Given a store that answers 503 to every read, when a request with a valid token arrives
        kvs.status = 503;
        try {
            const { status, body } = await invoke(host, viewerRequest(mediaUri(live())));
            // Then the host answers an error, not the function's verdict on an unreadable store
            assert.equal(status, 500);
            assert.match(body.error, /KeyValueStore answered 503/);
        } finally {
            kvs.status = null;
        }
    });

    test('answers a body that is not JSON with a 400', async () => {
        const { status, body } = await post(host, '{"request":');
        assert.equal(status, 400);
        assert.match(body.error, /not JSON/);
    });

    test('answers JSON that is no viewer-request event with a 400', async () => {
        for (const text of ['[]', 'null', '"x"', '{"request": 1}', '{}']) {
            const { status } = await post(host, text);
            assert.equal(status, 400, text);
        }
    });

    test('answers an oversized body with a 413', async () => {
        const { status } = await post(host, JSON.stringify({ request: { pad: 'x'.repeat(300 * 1024) } }));
        assert.equal(status, 413);
    });

    test('answers another method with a 405 and another path with a 404', async () => {
        assert.equal((await post(host, '', { method: 'GET' })).status, 405);
        assert.equal((await post(host, '{}', { path: '/other' })).status, 404);
    });

    test('keeps serving after bad input', async () => {
        await post(host, 'not json');
        const { status } = await invoke(host, viewerRequest(mediaUri(live())));
        assert.equal(status, 200);
    });
});

test('the host fails closed when the KeyValueStore is unreachable', async () => {
    // Given a store address nothing listens on
    const closed = await startKvs({});
    await closed.close();
    const host = await startHost(closed.url);
    try {
        const { status, body } = await invoke(host, viewerRequest(mediaUri(mint())));
        assert.equal(status, 500);
        assert.match(body.error, /did not answer/);
    } finally {
        host.child.stdin.end();
    }
});

test('the host exits when its stdin closes', async () => {
    const kvs = await startKvs({});
    const host = await startHost(kvs.url);
    host.child.stdin.end();
    const [code] = await once(host.child, 'exit');
    assert.equal(code, 0);
    await kvs.close();
});
