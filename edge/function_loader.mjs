// Runs edge/viewer_request.js, the file CloudFront is given, under Node.js: the tests, the benchmark, the
// cross-language vectors and the local host all load it through here, so what they exercise is what deploys.
//
// The one adaptation: each line `import <name> from 'cloudfront'|'crypto';` becomes
// `const <name> = __edgeModules.<module>;` (the first one prefixed with 'use strict', because CloudFront runs
// every function in strict mode and a vm script is not strict by itself). Nothing else in the source changes,
// and line numbers stay the same. The code then runs as a script in a fresh V8 context, whose global object
// has the JavaScript built-ins and only the host objects runtime 2.0 documents (Buffer, TextEncoder,
// TextDecoder, atob, btoa, console.log): no require, process, timers or fetch. Like CloudFront, the context
// refuses eval() and new Function().
import fs from 'node:fs';
import nodeCrypto from 'node:crypto';
import vm from 'node:vm';

export const FUNCTION_PATH = new URL('./viewer_request.js', import.meta.url);

const IMPORT_LINE = /^import ([A-Za-z_$][\w$]*) from '(cloudfront|crypto)';$/gm;
// Runtime 2.0's crypto module offers these algorithms only.
const ALGORITHMS = new Set(['md5', 'sha1', 'sha256']);

export function adaptImports(source) {
    let first = true;
    return source.replace(IMPORT_LINE, (line, name, module) => {
        const directive = first ? "'use strict'; " : '';
        first = false;
        return `${directive}const ${name} = __edgeModules.${module};`;
    });
}

function cryptoModule() {
    const algorithm = (name) => {
        if (!ALGORITHMS.has(name)) {
            throw new Error(`CloudFront Functions' crypto module has no algorithm ${name}`);
        }
        return name;
    };
    return {
        createHash: (name) => nodeCrypto.createHash(algorithm(name)),
        createHmac: (name, key) => nodeCrypto.createHmac(algorithm(name), key),
    };
}

/**
 * Loads the Function. `kvs` is the handle `cf.kvs()` returns (get(key, options) rejecting for an absent key,
 * as CloudFront's does); `now` (epoch ms), when given, replaces the context's Date.now() for clock-driven
 * tests; `source` replaces the file's text (for tests of this loader itself).
 * Returns { run(event) }: the handler's result as plain JSON data (a request or a response object), and
 * `handler` itself (its results live in the context's realm: for the benchmark, which times the Function alone).
 */
export function loadFunction({ kvs, now, source } = {}) {
    const text = source === undefined ? fs.readFileSync(FUNCTION_PATH, 'utf8') : source;
    const context = vm.createContext(
        {
            __edgeModules: { cloudfront: { kvs: () => kvs }, crypto: cryptoModule() },
            Buffer,
            TextEncoder,
            TextDecoder,
            atob,
            btoa,
            // Runtime 2.0's console has log() with one argument; stdout stays the local host's protocol.
            console: { log: (message) => process.stderr.write(`[edge function] ${message}\n`) },
        },
        { codeGeneration: { strings: false, wasm: false } },
    );
    vm.runInContext(adaptImports(text), context, { filename: FUNCTION_PATH.pathname });
    if (now !== undefined) {
        vm.runInContext('Date', context).now = now;
    }
    const handler = context.handler;
    if (typeof handler !== 'function') {
        throw new Error('the Function defines no handler(event)');
    }
    return {
        handler,
        async run(event) {
            const result = await handler(event);
            // Out of the context's realm, into plain data, as CloudFront serialises what a function returns.
            return JSON.parse(JSON.stringify(result));
        },
    };
}

// One error for every miss: a new Error per miss would spend more time capturing its stack than the Function
// spends on the whole request, and no caller reads it.
const KEY_NOT_FOUND = new Error('Key not found');

/** The handle CloudFront's `cf.kvs()` gives, over a Map or object of key → value text. */
export function memoryKvs(entries = {}) {
    const store = entries instanceof Map ? entries : new Map(Object.entries(entries));
    return {
        async get(key, options) {
            if (!store.has(key)) {
                throw KEY_NOT_FOUND;
            }
            const value = store.get(key);
            const format = options === undefined ? 'string' : options.format;
            return format === 'json' ? JSON.parse(value) : format === 'bytes' ? Buffer.from(value) : value;
        },
        async exists(key) {
            return store.has(key);
        },
    };
}
