import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { SettingsReader } from './from-env.js';
import { invalid } from './parse.js';
import type { MtlsConfig } from './rs256-auth-config.js';
import { checkedProxyAddresses } from './proxy-addresses.js';
import { HTTP_TOKEN } from '../transports/token-extractors.js';

const MODES = ['off', 'when-bound', 'required'] as const;

/**
 * Certificate-bound tokens (RFC 8705 §3): `undefined` when off. A certificate header is believed only from the
 * proxies listed with it, so one without the other stops start-up, as do either of them while the check is off.
 */
export function resolveMtls(reader: SettingsReader): MtlsConfig | undefined {
  const value = reader.read('mtlsBound');
  const bound = value.trim().toLowerCase();
  const boundSetting = reader.label('mtlsBound');
  if (!(MODES as readonly string[]).includes(bound)) {
    throw invalid(boundSetting, value, `one of ${MODES.join(', ')}`);
  }
  const header = reader.read('mtlsCertificateHeader');
  const proxies = reader.read('mtlsTrustedProxies');
  const headerSetting = reader.label('mtlsCertificateHeader');
  const proxiesSetting = reader.label('mtlsTrustedProxies');
  if (bound === 'off') {
    const set = header !== undefined ? headerSetting : proxies !== undefined ? proxiesSetting : undefined;
    if (set !== undefined) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${set} is set but ${boundSetting} is "off": set it to "when-bound" or "required", or unset ${set}.`,
      );
    }
    return undefined;
  }
  if (header !== undefined && !HTTP_TOKEN.test(header)) {
    throw invalid(headerSetting, header, "a header name such as 'x-ssl-client-cert'");
  }
  if (header !== undefined && proxies === undefined) {
    // Believed from anyone, the header would let any client claim any certificate.
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${headerSetting} is set but ${proxiesSetting} is not: list the addresses of the proxies that set the header (e.g. 10.0.0.0/8), or unset ${headerSetting} to read the certificate of the TLS connection.`,
    );
  }
  if (proxies !== undefined && header === undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${proxiesSetting} is set but ${headerSetting} is not: name the header the proxies pass the certificate in, or unset ${proxiesSetting}.`,
    );
  }
  return {
    bound: bound as MtlsConfig['bound'],
    ...(header !== undefined &&
      proxies !== undefined && {
        certificateHeader: header.toLowerCase(),
        trustedProxies: checkedProxyAddresses(reader.label('mtlsTrustedProxies'), proxies),
      }),
  };
}
