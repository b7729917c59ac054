import { integer, text } from '../parse.js';
import { setting } from './setting.js';

/** The settings of a signing key in an HSM (section `custody`): rows of SETTINGS (see settings.ts). */
export const CUSTODY_SETTINGS = {
  pkcs11Module: setting({
    env: 'JWT_PKCS11_MODULE',
    option: 'keys.pkcs11.module',
    parse: text(),
    section: 'custody',
    defaultDoc: 'none: no HSM',
    example: '/usr/lib/softhsm/libsofthsm2.so',
    doc: "path of the HSM vendor's PKCS#11 library: tokens are then signed in the HSM with its RSA key (`CKM_SHA256_RSA_PKCS`), whose public half is read from it; not together with a private key setting",
  }),
  pkcs11TokenLabel: setting({
    env: 'JWT_PKCS11_TOKEN_LABEL',
    option: 'keys.pkcs11.tokenLabel',
    parse: text(),
    section: 'custody',
    example: 'jwt-signing',
    doc: 'label of the token holding the key; this or `JWT_PKCS11_SLOT`',
  }),
  pkcs11Slot: setting({
    env: 'JWT_PKCS11_SLOT',
    option: 'keys.pkcs11.slot',
    parse: integer({ min: 0 }),
    section: 'custody',
    doc: 'id of the slot holding the token (as `pkcs11-tool --list-slots` shows it); this or `JWT_PKCS11_TOKEN_LABEL`',
  }),
  pkcs11KeyLabel: setting({
    env: 'JWT_PKCS11_KEY_LABEL',
    option: 'keys.pkcs11.keyLabel',
    parse: text(),
    section: 'custody',
    example: 'jwt-2026',
    doc: 'label (`CKA_LABEL`) of the RSA private key; this or `JWT_PKCS11_KEY_ID`',
  }),
  pkcs11KeyId: setting({
    env: 'JWT_PKCS11_KEY_ID',
    option: 'keys.pkcs11.keyId',
    parse: text(),
    section: 'custody',
    doc: 'id (`CKA_ID`) of the RSA private key, in hexadecimal; this or `JWT_PKCS11_KEY_LABEL`',
  }),
  pkcs11Pin: setting({
    env: 'JWT_PKCS11_PIN',
    option: 'keys.pkcs11.pin',
    parse: text({ secret: true }),
    section: 'custody',
    secret: true,
    doc: "the token's user PIN; never logged; this or `JWT_PKCS11_PIN_PATH`",
  }),
  pkcs11PinPath: setting({
    env: 'JWT_PKCS11_PIN_PATH',
    option: 'keys.pkcs11.pinPath',
    parse: text(),
    section: 'custody',
    doc: "file holding the token's user PIN (a trailing newline is ignored), such as a Docker or Kubernetes secret; this or `JWT_PKCS11_PIN`",
  }),
};
