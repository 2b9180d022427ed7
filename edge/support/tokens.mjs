// Test helpers: edge tokens minted per the contract (docs/edge.md), written apart from the Function so a test
// compares the Function with the contract, not with itself; and viewer-request events as CloudFront builds them.
import crypto from 'node:crypto';

export const WORKSPACE = 'acme';
export const MEDIA = 'clip-1';
export const SECRET_ID = '3f0c6a52-9d1e-4b7a-8c2f-5e6d7a8b9c0d';
export const SECRET = 'Vt9q2mXr7LwB4nZk8yHc3sJd6fPg1aQe5uRo0iTl_xE';
export const OTHER_SECRET_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
export const OTHER_SECRET = 'Kq7wE2rT9yU4iO1pA6sD3fG8hJ5kL0zX_cV-bN7mQ2w';
export const KEY_ID = '0d4e8b1c-5a7f-8e2d-9c3b-6f1a2e4d7c90';
export const JTI_REVOCATION_ID = '7c2a9e4f-1b3d-8a5c-b7e9-2d4f6a8c0e13';
export const VIEWER_REVOCATION_ID = 'e5b7d9f1-3a2c-8e4b-a6d8-0f2e4c6a8b24';
export const NOW_MS = Date.UTC(2030, 0, 2, 3, 4, 5);
export const NOW = NOW_MS / 1000;

/** `e1.<sid>.<kid>.<exp>.<start>.<iat>.<jrid>.<vrid>.<mac>`; `fields` overrides the defaults (a session
 * started a minute ago, ending in ten, issued two minutes ago, with both revocation ids). */
export function mint(fields = {}) {
    const t = {
        workspace: WORKSPACE,
        media: MEDIA,
        sid: SECRET_ID,
        secret: SECRET,
        kid: KEY_ID,
        exp: NOW + 600,
        start: NOW - 60,
        iat: NOW - 120,
        jrid: JTI_REVOCATION_ID,
        vrid: VIEWER_REVOCATION_ID,
        ...fields,
    };
    const signed = ['e1', t.sid, t.kid, t.exp, t.start, t.iat, t.jrid, t.vrid].join('.');
    const message = `e1\n${t.workspace}\n${t.media}\n${signed}`;
    return `${signed}.${crypto.createHmac('sha256', t.secret).update(message).digest('base64url')}`;
}

/** The token with field `index` (0 = version ... 8 = mac) replaced. */
export function withField(token, index, value) {
    const parts = token.split('.');
    parts[index] = value;
    return parts.join('.');
}

export function mediaUri(token, file = 'hls/index.m3u8', workspace = WORKSPACE, media = MEDIA) {
    return `/m/${workspace}/${media}/${token}/${file}`;
}

/** A viewer-request event as CloudFront hands it to the Function (functions-event-structure). */
export function viewerRequest(uri, { method = 'GET', querystring = {} } = {}) {
    return {
        version: '1.0',
        context: {
            distributionDomainName: 'd111111abcdef8.cloudfront.net',
            distributionId: 'EDFDVBD6EXAMPLE',
            eventType: 'viewer-request',
            requestId: 'EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE==',
        },
        viewer: { ip: '198.51.100.11' },
        request: {
            method,
            uri,
            querystring,
            headers: { host: { value: 'video.example.com' } },
            cookies: {},
        },
    };
}

/** The KeyValueStore contents of a deployment with the default secret live (plus `extra` entries). */
export function entries(extra = {}) {
    return { [`s:${SECRET_ID}`]: SECRET, ...extra };
}
