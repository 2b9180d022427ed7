// The demo player: plays one HLS URL with hls.js (or the browser's own HLS where there is no MSE) and shows what
// happened in #player-status, whose data-* attributes are also the page's state for tests:
//   data-state        idle | loading | playing | paused | ended | refused | error
//   data-current-time the video's position in seconds
//   data-http-status  the status of the refused or failed request
//   data-reason       the refusal reason (X-Refusal-Reason, the JSON body's "reason", or the edge's "Forbidden: <check>")
//   data-message      the refusal's message
//   data-engine       hls.js | native
'use strict';

(function () {
  // Only a segment or two ahead: a session refused at the edge (revoked, expired) stops within seconds, not after
  // hls.js's default 30 s of buffer.
  const FORWARD_BUFFER_SECONDS = 2;
  const MAX_SHOWN_TEXT = 200;
  const TERMINAL = new Set(['refused', 'error']);

  const video = document.getElementById('video');
  const status = document.getElementById('player-status');
  const position = document.getElementById('position');
  const sourceInput = document.getElementById('source');

  function show(state, text, details) {
    const { httpStatus = '', reason = '', message = '' } = details || {};
    status.dataset.state = state;
    status.dataset.httpStatus = String(httpStatus);
    status.dataset.reason = reason;
    status.dataset.message = message;
    status.textContent = text;
  }

  function stopped() {
    return TERMINAL.has(status.dataset.state);
  }

  // The exchange URL: ?src=<URL>, or built on this origin from ?workspace=&media=&token= (&path=, default index.m3u8).
  function playbackUrl(params) {
    if (params.get('src')) {
      return params.get('src');
    }
    const workspace = params.get('workspace');
    const media = params.get('media');
    const token = params.get('token');
    if (!workspace || !media || !token) {
      return null;
    }
    const path = (params.get('path') || 'index.m3u8').split('/').map(encodeURIComponent).join('/');
    const url = new URL(
      `/workspaces/${encodeURIComponent(workspace)}/play/${encodeURIComponent(media)}/${path}`,
      window.location.href,
    );
    url.searchParams.set('token', token);
    return url.href;
  }

  // A refusal's reason and message, from whichever the server sent: the API's JSON error (with X-Refusal-Reason) or
  // the edge's short text ("Forbidden: revoked").
  function describe(httpStatus, headerReason, bodyText) {
    const text = (bodyText || '').trim();
    let reason = headerReason || '';
    let message = '';
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (body !== null && typeof body === 'object') {
      const error = body.error !== null && typeof body.error === 'object' ? body.error : {};
      reason = reason || body.reason || error.reason || '';
      message = error.message || body.message || (Array.isArray(body.errors) ? body.errors[0] : '') || '';
    } else {
      const edge = /^Forbidden: ([A-Za-z0-9_]+)/.exec(text);
      reason = reason || (edge ? edge[1] : '');
      message = text;
    }
    return { httpStatus, reason: String(reason).slice(0, MAX_SHOWN_TEXT), message: String(message).slice(0, MAX_SHOWN_TEXT) };
  }

  // hls.js's XHR loader hands over the failed request; its body is text or, for segments, an ArrayBuffer.
  function fromRequest(request) {
    if (!(request instanceof XMLHttpRequest) || request.readyState !== XMLHttpRequest.DONE) {
      return null;
    }
    let text = '';
    if (request.responseType === '' || request.responseType === 'text') {
      text = request.responseText;
    } else if (request.response instanceof ArrayBuffer) {
      text = new TextDecoder().decode(request.response);
    }
    return describe(request.status, request.getResponseHeader('X-Refusal-Reason'), text);
  }

  // Where the failed request cannot be read (native HLS, another loader), ask again to read the answer.
  async function fromRefetch(url, httpStatus) {
    try {
      const response = await fetch(url, { cache: 'no-store' });
      return describe(response.status, response.headers.get('X-Refusal-Reason'), await response.text());
    } catch {
      return describe(httpStatus, '', '');
    }
  }

  function refuseOrFail(details) {
    const code = Number(details.httpStatus);
    video.pause();
    if (code === 401 || code === 403) {
      const because = details.reason ? `: ${details.reason}` : '';
      const message = details.message ? ` (${details.message})` : '';
      show('refused', `Playback refused, HTTP ${code}${because}${message}`, details);
    } else {
      const where = code ? `HTTP ${code}` : 'no HTTP answer';
      show('error', `Playback failed (${where})${details.message ? `: ${details.message}` : ''}`, details);
    }
  }

  function playWithHlsJs(url) {
    status.dataset.engine = 'hls.js';
    const hls = new window.Hls({ maxBufferLength: FORWARD_BUFFER_SECONDS, maxMaxBufferLength: 2 * FORWARD_BUFFER_SECONDS });
    hls.on(window.Hls.Events.MANIFEST_PARSED, () => {
      video.play().catch(() => show('paused', 'Ready: press play.'));
    });
    hls.on(window.Hls.Events.ERROR, async (_event, data) => {
      const httpStatus = data.response ? data.response.code : 0;
      // A refusal is final (hls.js never retries a 4xx): stop at the first one, fatal or not.
      const refused = httpStatus === 401 || httpStatus === 403;
      if (stopped() || (!refused && !data.fatal)) {
        return;
      }
      hls.stopLoad();
      const failedUrl = data.url || (data.context && data.context.url) || (data.frag && data.frag.url) || url;
      const details = fromRequest(data.networkDetails) || (httpStatus ? await fromRefetch(failedUrl, httpStatus) : null);
      refuseOrFail(details || { httpStatus, message: data.details });
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  function playNatively(url) {
    status.dataset.engine = 'native';
    video.addEventListener('error', async () => {
      if (!stopped()) {
        refuseOrFail(await fromRefetch(url, 0));
      }
    });
    video.src = url;
    video.play().catch(() => undefined); // an error shows through the 'error' event
  }

  video.addEventListener('timeupdate', () => {
    if (!stopped()) {
      status.dataset.currentTime = video.currentTime.toFixed(3);
      position.textContent = video.currentTime.toFixed(1);
    }
  });
  video.addEventListener('playing', () => stopped() || show('playing', 'Playing.'));
  video.addEventListener('waiting', () => stopped() || show('loading', 'Loading…'));
  video.addEventListener('pause', () => stopped() || video.ended || show('paused', 'Paused.'));
  video.addEventListener('ended', () => stopped() || show('ended', 'Ended.'));

  const url = playbackUrl(new URLSearchParams(window.location.search));
  if (url === null) {
    show('idle', 'No stream loaded: paste a playback URL and press Play.');
    return;
  }
  sourceInput.value = url;
  show('loading', 'Loading…');
  if (window.Hls && window.Hls.isSupported()) {
    playWithHlsJs(url);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    playNatively(url);
  } else if (!window.Hls) {
    show('error', 'Cannot play: hls.js is not installed on this server (make player) and this browser has no native HLS.');
  } else {
    show('error', 'Cannot play: this browser has neither Media Source Extensions nor native HLS.');
  }
})();
