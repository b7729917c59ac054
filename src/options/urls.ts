import { redactedUrl } from '../observability/redacted-url.js';
import { invalid } from './parse.js';
import { SETTINGS } from './settings.js';

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Where keys and metadata may be fetched from: `https:`, or `http:` for loopback hosts (or when allowed). */
export function acceptableUrl(url: URL, allowHttp: boolean): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && (allowHttp || LOOPBACK_HOST.test(url.hostname)));
}

/** An absolute `https:` URL (`http:` for a loopback host), or `undefined`. */
export function absoluteHttpsUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A URL to fetch keys or metadata from: absolute, and `https:` unless loopback or allowed. Quoted redacted. */
export function fetchableUrl(value: string, setting: string, allowHttp: boolean, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(setting, redactedUrl(value), `an absolute https: URL of ${what}`);
  }
  if (!acceptableUrl(url, allowHttp)) {
    throw invalid(setting, redactedUrl(value), `an https: URL (http: only for a loopback host, or with ${SETTINGS.jwksAllowHttp.env}=true)`);
  }
  return url;
}
