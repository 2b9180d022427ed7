// The local stand-in for CloudFront's Function runtime, started by the Python runner
// (signing_keys_local.edge_host):
//
//   node edge/local_host.mjs --kvs-url http://127.0.0.1:<port>
//
// It loads edge/viewer_request.js through function_loader.mjs (the deployed file, imports adapted), with a
// `cloudfront` module whose kvs().get(key) reads the runner's KeyValueStore over HTTP:
// GET <kvs-url>/keys/<urlencoded key> → 200 with the value as body, 404 when absent (get() then rejects, as
// CloudFront's does). It listens on 127.0.0.1 on a free port, prints one line {"ready": true, "port": N} to
// stdout, and answers POST /invoke (body: a viewer-request event) with the handler's result as JSON: the
// request to forward, or the response to send. Errors are JSON {"error": ...}: 400 for a body that is no
// event, 500 when the function throws or the KeyValueStore cannot be read (never an allow: a lookup that
// failed for any reason but absence fails the invocation), 404/405 elsewhere. It exits when its stdin
// closes, so it never outlives the runner.
import http from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { parseArgs } from 'node:util';

import { loadFunction } from './function_loader.mjs';

// A CloudFront request is at most 20,480 bytes of URL and headers; its event JSON stays well inside this.
const MAX_EVENT_BYTES = 256 * 1024;
const KVS_TIMEOUT_MS = 5000;

const { values } = parseArgs({ options: { 'kvs-url': { type: 'string' } } });
if (!values['kvs-url']) {
    process.stderr.write('usage: node edge/local_host.mjs --kvs-url http://127.0.0.1:<port>\n');
    process.exit(2);
}
const kvsUrl = values['kvs-url'].replace(/\/+$/, '');

// Per invocation: set when a KeyValueStore read failed for another reason than absence.
const invocation = new AsyncLocalStorage();

async function read(key) {
    let response;
    try {
        response = await fetch(`${kvsUrl}/keys/${encodeURIComponent(key)}`, {
            signal: AbortSignal.timeout(KVS_TIMEOUT_MS),
        });
    } catch (error) {
        throw unavailable(`the KeyValueStore did not answer: ${error.message}`);
    }
    if (response.status === 404) {
        await response.arrayBuffer();
        return null;
    }
    if (response.status !== 200) {
        await response.arrayBuffer();
        throw unavailable(`the KeyValueStore answered ${response.status}`);
    }
    return Buffer.from(await response.arrayBuffer());
}

function unavailable(message) {
    const state = invocation.getStore();
    if (state !== undefined) {
        state.kvsFailure = message;
    }
    return new Error(message);
}

const kvs = {
    async get(key, options) {
        const value = await read(key);
        if (value === null) {
            throw new Error(`Key ${key} not found`);
        }
        const format = options === undefined ? 'string' : options.format;
        return format === 'bytes' ? value : format === 'json' ? JSON.parse(value.toString('utf8')) : value.toString('utf8');
    },
    async exists(key) {
        return (await read(key)) !== null;
    },
};

const edgeFunction = loadFunction({ kvs });

function answer(res, status, body) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
}

async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_EVENT_BYTES) {
            return null;
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}

async function invoke(req, res) {
    const text = await readBody(req);
    if (text === null) {
        return answer(res, 413, { error: `the event is larger than ${MAX_EVENT_BYTES} bytes` });
    }
    let event;
    try {
        event = JSON.parse(text);
    } catch (error) {
        return answer(res, 400, { error: `the body is not JSON: ${error.message}` });
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event) || typeof event.request !== 'object'
        || event.request === null) {
        return answer(res, 400, { error: 'the body is not a viewer-request event (no request object)' });
    }
    const state = { kvsFailure: null };
    let result;
    try {
        result = await invocation.run(state, () => edgeFunction.run(event));
    } catch (error) {
        return answer(res, 500, { error: `the function failed: ${error.name}: ${error.message}` });
    }
    if (state.kvsFailure !== null) {
        return answer(res, 500, { error: state.kvsFailure });
    }
    if (result === null || typeof result !== 'object') {
        return answer(res, 500, { error: 'the function returned neither a request nor a response' });
    }
    return answer(res, 200, result);
}

const server = http.createServer((req, res) => {
    const path = (req.url || '').split('?')[0];
    if (path !== '/invoke') {
        req.resume();
        return answer(res, 404, { error: 'only POST /invoke is served' });
    }
    if (req.method !== 'POST') {
        req.resume();
        res.setHeader('allow', 'POST');
        return answer(res, 405, { error: 'POST only' });
    }
    invoke(req, res).catch((error) => {
        if (!res.headersSent) {
            answer(res, 500, { error: `the host failed: ${error.message}` });
        }
    });
});
server.on('clientError', (error, socket) => socket.destroy());

// The runner holds our stdin; when it goes away (exit, crash, kill), so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ ready: true, port: server.address().port })}\n`);
});
