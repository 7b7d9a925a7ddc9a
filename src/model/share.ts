// Sharing: the complete explorer state through the URL hash and through a JSON file.
// Both are untrusted text: parsed with JSON.parse (data only, never evaluated), checked
// against the state schema, and a problem is reported in words with the default kept.

import { DEFAULT_STATE, parseState, type ExplorerState } from './state';

export const HASH_PREFIX = '#s=';
/** Longer hashes are refused before decoding (a custom expression is at most 4000 characters). */
const MAX_HASH_LENGTH = 32_000;
/** What a state file says it is. */
const FILE_FORMAT = 'etascape-state';
const FILE_VERSION = 1;

export type Loaded = { state: ExplorerState } | { error: string };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** JSON.parse that refuses keys which could reach an object's prototype. */
function parseJson(text: string): unknown {
  return JSON.parse(text, function (key, value) {
    if (FORBIDDEN_KEYS.has(key)) throw new Error(`the key '${key}' is not allowed`);
    return value;
  });
}

/** Only the settings that differ from the defaults: short links. */
export function stateDelta(state: ExplorerState): Partial<ExplorerState> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) {
    if (JSON.stringify(v) !== JSON.stringify(DEFAULT_STATE[k as keyof ExplorerState])) out[k] = v;
  }
  return out as Partial<ExplorerState>;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('it has characters that base64url does not use');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function encodeHash(state: ExplorerState): string {
  return HASH_PREFIX + toBase64Url(JSON.stringify(stateDelta(state)));
}

/** Settings over the defaults, validated. Never throws. */
function stateFrom(input: unknown): Loaded {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: 'the settings must be a JSON object' };
  return parseState({ ...DEFAULT_STATE, ...(input as object) });
}

/** The state a location hash describes; '' or '#' is the default state. Never throws. */
export function decodeHash(hash: string): Loaded {
  if (hash === '' || hash === '#') return { state: { ...DEFAULT_STATE } };
  if (hash.length > MAX_HASH_LENGTH) return { error: `the link is too long (${hash.length} characters, at most ${MAX_HASH_LENGTH})` };
  if (!hash.startsWith(HASH_PREFIX)) return { error: `the link's settings must start with '${HASH_PREFIX}'` };
  let input: unknown;
  try {
    input = parseJson(fromBase64Url(hash.slice(HASH_PREFIX.length)));
  } catch (e) {
    return { error: `the link's settings could not be read: ${(e as Error).message}` };
  }
  const r = stateFrom(input);
  return 'error' in r ? { error: `the link's settings are invalid: ${r.error}` } : r;
}

export function exportJson(state: ExplorerState): string {
  return JSON.stringify({ format: FILE_FORMAT, version: FILE_VERSION, state }, null, 2);
}

/** A state file's content. Never throws. */
export function importJson(text: string): Loaded {
  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (e) {
    return { error: `the file is not valid JSON: ${(e as Error).message}` };
  }
  const d = doc as { format?: unknown; version?: unknown; state?: unknown };
  if (typeof doc !== 'object' || doc === null || d.format !== FILE_FORMAT)
    return { error: `the file is not an etascape state (its "format" must be "${FILE_FORMAT}")` };
  if (d.version !== FILE_VERSION) return { error: `the file's version ${String(d.version)} is not supported (this is version ${FILE_VERSION})` };
  const r = stateFrom(d.state);
  return 'error' in r ? { error: `the file's settings are invalid: ${r.error}` } : r;
}
