/**
 * The one way a URL is shown in a log line or an error message: without its userinfo (`user:pass@`), with every
 * query value masked (the names stay, they say which parameter was meant) and without its fragment. Settings are
 * read by fewer people than logs and error reports are, and a URL's credentials or `?api_key=…` are secrets.
 */

const MASK = '***';

/** `?a=1&b=2&c` as `?a=***&b=***&***`: names kept, values never, and an item without `=` is all value. */
function maskedQuery(query: string): string {
  if (query === '' || query === '?') return '';
  const names = query
    .slice(1)
    .split('&')
    .map((pair) => (pair.includes('=') ? `${pair.split('=')[0]}=${MASK}` : MASK));
  return `?${names.join('&')}`;
}

/**
 * What can be shown of a string that is not a URL: the scheme, then whatever follows the last `@` (so any
 * userinfo goes, whatever characters it holds), with query values masked and the fragment dropped.
 */
function redactedUnparsable(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:(\/\/)?/i.exec(value)?.[0] ?? '';
  const rest = value.slice(scheme.length);
  const tail = rest.slice(rest.lastIndexOf('@') + 1).split('#')[0];
  const queryAt = tail.indexOf('?');
  return queryAt < 0 ? `${scheme}${tail}` : `${scheme}${tail.slice(0, queryAt)}${maskedQuery(tail.slice(queryAt))}`;
}

/**
 * A URL as logs and messages show it (see above); a string that does not parse as a URL is shown by the same
 * rule, as far as it can be read.
 * @example redactedUrl('https://user:pass@id.example.com/jwks?api_key=s3cret') // 'https://id.example.com/jwks?api_key=***'
 */
export function redactedUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return redactedUnparsable(String(url));
  }
  if (parsed.pathname.includes('@')) {
    // A password with an unencoded `/` or `@` parses as a host and a path that holds the rest of it.
    return redactedUnparsable(parsed.href);
  }
  if (!parsed.username && !parsed.password && !parsed.search && !parsed.hash) {
    // Nothing to hide: shown as given, so it reads as the setting was written.
    return typeof url === 'string' ? url : url.href;
  }
  // `host` rather than `origin`, which is "null" for schemes such as redis: that still have a host.
  const authority = parsed.host === '' && !parsed.href.startsWith(`${parsed.protocol}//`) ? '' : `//${parsed.host}`;
  return `${parsed.protocol}${authority}${parsed.pathname}${maskedQuery(parsed.search)}`;
}

/** {@link redactedUrl}, quoted, for a message that quotes a setting's value. */
export function quotedUrl(url: URL | string): string {
  return `"${redactedUrl(url)}"`;
}

/** What looks like a URL inside a longer text: a scheme, `//`, and everything up to white space or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * A text from elsewhere (an error of `fetch`, of ioredis) with every URL in it redacted by {@link redactedUrl}:
 * `fetch` quotes the whole URL, credentials included, when it refuses one.
 */
export function redactedText(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactedUrl(url));
}
