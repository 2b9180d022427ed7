// Drives a headless chromium for the tests (tests/browser.py), one JSON object a line each way.
//   node browser-driver.mjs '{"executablePath": "/usr/bin/chromium", "args": [...]}'
// prints {"ready": true, "version": "<chromium version>"}, then answers each request line
//   {"id": 1, "op": "open", "url": "..."}                       -> {"id": 1, "result": <page number>}
//   {"id": 2, "op": "evaluate", "page": 1, "expression": "..."} -> {"id": 2, "result": <the expression's value>}
//   {"id": 3, "op": "log", "page": 1}                           -> {"id": 3, "result": ["200 GET index.m3u8", ...]}
//   {"id": 4, "op": "screenshot", "page": 1, "path": "/tmp/x.png"} -> {"id": 4, "result": "/tmp/x.png"} (the viewport)
//   {"id": 5, "op": "close", "page": 1}                         -> {"id": 5, "result": null}
// with {"id": n, "error": "..."} when one fails. End of input closes the browser and exits.
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const NAVIGATION_TIMEOUT_MS = 30000;

// Only a URL's last path segment: enough to tell manifests from segments, and never a token (query or edge path).
function fileName(url) {
  try {
    return new URL(url).pathname.split('/').pop() || '/';
  } catch {
    return '?';
  }
}

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const config = JSON.parse(process.argv[2]);
const browser = await chromium.launch({ executablePath: config.executablePath, args: config.args, headless: true });
const pages = new Map();
let opened = 0;

async function open(url) {
  // A context per page: no cache, cookies or storage shared between the pages a test opens.
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = [];
  page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => log.push(`pageerror: ${error.message}`));
  page.on('response', (response) => log.push(`${response.status()} ${response.request().method()} ${fileName(response.url())}`));
  page.on('requestfailed', (request) => log.push(`failed ${request.method()} ${fileName(request.url())}: ${request.failure()?.errorText}`));
  await page.goto(url, { waitUntil: 'load', timeout: NAVIGATION_TIMEOUT_MS });
  opened += 1;
  pages.set(opened, { context, page, log });
  return opened;
}

function pageNumbered(number) {
  const entry = pages.get(number);
  if (entry === undefined) {
    throw new Error(`no open page ${number}`);
  }
  return entry;
}

const operations = {
  open: (request) => open(request.url),
  evaluate: (request) => pageNumbered(request.page).page.evaluate(request.expression),
  log: (request) => pageNumbered(request.page).log,
  screenshot: async (request) => {
    await pageNumbered(request.page).page.screenshot({ path: request.path });
    return request.path;
  },
  close: async (request) => {
    await pageNumbered(request.page).context.close();
    pages.delete(request.page);
    return null;
  },
};

send({ ready: true, version: browser.version() });
// One request at a time, in order: the Python side waits for each answer before it sends the next.
for await (const line of createInterface({ input: process.stdin })) {
  let request = {};
  try {
    request = JSON.parse(line);
    const operation = operations[request.op];
    if (operation === undefined) {
      throw new Error(`unknown op ${JSON.stringify(request.op)}`);
    }
    send({ id: request.id, result: (await operation(request)) ?? null });
  } catch (error) {
    send({ id: request.id, error: String(error && error.message ? error.message : error) });
  }
}
await browser.close();
