import { redactSecrets } from '../domain/redact.js';
import { GateError } from './gate.js';

export interface FetchOptions {
  headers?: Record<string, string>;
  maxBytes: number;
  signal: AbortSignal;
}

/**
 * fetch refuses a URL with `user:password@` in it (and would name it in its error):
 * the credentials move to an Authorization header, as a browser would send them.
 */
function withBasicAuth(url: string, headers: Record<string, string>): { url: string; headers: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, headers };
  }
  if (!parsed.username && !parsed.password) return { url, headers };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  // A configured Authorization header wins over credentials in the URL.
  if (Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) return { url: parsed.toString(), headers };
  return { url: parsed.toString(), headers: { ...headers, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } };
}

/** GETs a URL; anything but a 2xx answer, a network failure or a timeout is a GateError. */
async function get(target: string, options: FetchOptions): Promise<Response> {
  const { url, headers } = withBasicAuth(target, { 'user-agent': 'shipgate', ...options.headers });
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: options.signal, redirect: 'error' });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new GateError('the target did not answer in time');
    // The message of a failed fetch may carry the URL, which may carry a secret.
    throw new GateError(`the target could not be reached (${e.cause?.code ?? redactSecrets(e.message.split(url).join('the URL'))})`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new GateError(`the target answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(options.maxBytes);
  }
  return response;
}

function tooLarge(maxBytes: number): GateError {
  return new GateError(`the answer is larger than the limit of ${(maxBytes / 1_000_000).toFixed(maxBytes % 1_000_000 ? 1 : 0)} MB`);
}

/** Reads the body as chunks, refusing it as soon as it passes `maxBytes`. */
export async function* streamLimited(url: string, options: FetchOptions): AsyncGenerator<Uint8Array> {
  const response = await get(url, options);
  if (!response.body) return;
  let total = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const e = error as Error;
        throw new GateError(e.name === 'TimeoutError' || e.name === 'AbortError' ? 'the target did not answer in time' : `reading the answer failed (${redactSecrets(e.message)})`);
      }
      if (chunk.done) return;
      total += chunk.value.byteLength;
      if (total > options.maxBytes) throw tooLarge(options.maxBytes);
      yield chunk.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export async function fetchText(url: string, options: FetchOptions): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of streamLimited(url, options)) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

export async function fetchJson(url: string, options: FetchOptions): Promise<unknown> {
  const text = await fetchText(url, options);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GateError('the answer is not JSON');
  }
}
