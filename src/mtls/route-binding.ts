import type { MtlsConfig } from '../options/rs256-auth-config.js';

/** `'required'` with no proxy: a route's own `@RequireCertificateBound()` where the module's check is off. */
const REQUIRED: MtlsConfig = Object.freeze({ bound: 'required' });
const tightened = new WeakMap<MtlsConfig, MtlsConfig>();

/**
 * The check in force on a route: the module's (`undefined` when off), or `'required'` where the route carries
 * `@RequireCertificateBound()`, keeping the module's certificate header and proxies.
 */
export function routeMtls(config: MtlsConfig | undefined, certificateBound: boolean): MtlsConfig | undefined {
  if (!certificateBound || config?.bound === 'required') {
    return config;
  }
  if (config === undefined) {
    return REQUIRED;
  }
  let required = tightened.get(config);
  if (!required) {
    required = Object.freeze({ ...config, bound: 'required' as const });
    tightened.set(config, required);
  }
  return required;
}
