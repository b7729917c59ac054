import { boolean, raw, text } from '../parse.js';
import { setting } from './setting.js';

/** The settings of keys (section `keys`): rows of SETTINGS (see settings.ts). */
export const KEY_SETTINGS = {
  privateKeyPath: setting({
    env: 'JWT_PRIVATE_KEY_PATH',
    option: 'privateKeyPath',
    parse: text(),
    section: 'keys',
    defaultDoc: 'none: verify-only mode',
    demo: 'keys/private.pem',
    doc: 'PEM file of the RSA private key (PKCS#1 or PKCS#8, optionally encrypted): a regular file of at most 64 KiB holding that one PEM block and nothing else',
  }),
  privateKeyPassphrase: setting({
    env: 'JWT_PRIVATE_KEY_PASSPHRASE',
    option: 'privateKeyPassphrase',
    parse: text({ secret: true }),
    section: 'keys',
    secret: true,
    demo: '',
    doc: 'passphrase of an encrypted private key; set for an unencrypted key, it stops start-up',
  }),
  publicKeyPath: setting({
    env: 'JWT_PUBLIC_KEY_PATH',
    option: 'publicKeyPath',
    parse: raw,
    section: 'keys',
    defaultDoc: 'derived from the private key',
    demo: 'keys/public.pem',
    doc: 'PEM file(s) of the RSA public keys (SPKI or PKCS#1): one file, a folder of `*.pem`/`*.pub` files, or several, comma-separated; as an option also `{ path, kid }` entries. One public key per file (regular, at most 64 KiB); with a private key, its public half must be among them',
  }),
  privateKey: setting({
    env: 'JWT_PRIVATE_KEY',
    option: 'privateKey',
    parse: text({ secret: true }),
    section: 'keys',
    secret: true,
    doc: 'the private key PEM itself, for platforms that pass secrets as variables; `\\n` escapes and base64-encoded PEM accepted; not together with `JWT_PRIVATE_KEY_PATH`',
  }),
  publicKey: setting({
    env: 'JWT_PUBLIC_KEY',
    option: 'publicKey',
    parse: text({ secret: true }),
    section: 'keys',
    secret: true,
    doc: 'the public key PEM itself (`\\n` escapes and base64 accepted); not together with `JWT_PUBLIC_KEY_PATH`',
  }),
  reloadOnSignal: setting({
    env: 'JWT_RELOAD_ON_SIGHUP',
    option: 'reloadOnSignal',
    parse: boolean,
    section: 'keys',
    default: 'true',
    demo: 'true',
    doc: "re-read and re-check the key files on `SIGHUP` (see [Key rotation](keys.md#key-rotation)); in resource-server mode, fetch the issuer's JWK Set at once instead; with several issuers, both: fetched sets are fetched, trusted issuers' key files re-read",
  }),
  watchKeyFiles: setting({
    env: 'JWT_WATCH_KEY_FILES',
    option: 'watchKeyFiles',
    parse: boolean,
    section: 'keys',
    default: 'false',
    demo: 'false',
    doc: "also reload when a key file or key folder changes (trusted issuers' `publicKeyPath` files too); `true` where no key is read from a file stops start-up",
  }),
};
