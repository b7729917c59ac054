import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/** An object handle, slot id or session handle of pkcs11js: a CK_ULONG in the platform's byte order. */
export type Pkcs11Handle = Buffer;

/** The part of pkcs11js's `PKCS11` this module calls (typed here, so the package's types are needed only where used). */
export interface Pkcs11Api {
  load(path: string): void;
  close(): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent: boolean): Pkcs11Handle[];
  C_GetTokenInfo(slot: Pkcs11Handle): { label: string };
  C_OpenSession(slot: Pkcs11Handle, flags: number): Pkcs11Handle;
  C_CloseSession(session: Pkcs11Handle): void;
  C_Login(session: Pkcs11Handle, userType: number, pin: string): void;
  C_FindObjectsInit(session: Pkcs11Handle, template: { type: number; value?: number | boolean | string | Buffer }[]): void;
  C_FindObjects(session: Pkcs11Handle, maxObjectCount: number): Pkcs11Handle[];
  C_FindObjectsFinal(session: Pkcs11Handle): void;
  C_GetAttributeValue(session: Pkcs11Handle, object: Pkcs11Handle, template: { type: number }[]): { type: number; value?: Buffer }[];
  C_SignInit(session: Pkcs11Handle, mechanism: { mechanism: number }, key: Pkcs11Handle): void;
  C_Sign(session: Pkcs11Handle, data: Buffer, signature: Buffer): Buffer;
  C_SignAsync(session: Pkcs11Handle, data: Buffer, signature: Buffer): Promise<Buffer>;
}

/** The PKCS#11 constants used here, as pkcs11js exports them (the values of the PKCS#11 2.40 headers). */
export interface Pkcs11Constants {
  CKF_SERIAL_SESSION: number;
  CKU_USER: number;
  CKO_PRIVATE_KEY: number;
  CKO_PUBLIC_KEY: number;
  CKA_CLASS: number;
  CKA_LABEL: number;
  CKA_ID: number;
  CKA_KEY_TYPE: number;
  CKA_MODULUS: number;
  CKA_PUBLIC_EXPONENT: number;
  CKK_RSA: number;
  CKM_SHA256_RSA_PKCS: number;
}

export type Pkcs11Module = Pkcs11Constants & { PKCS11: new () => Pkcs11Api };

/**
 * pkcs11js, an optional peer: imported only when `JWT_PKCS11_MODULE` is set, so an application that signs with a key
 * file never loads (or installs) a native addon. A CommonJS package, so its exports are under `default` when imported
 * from an ES module, and on the namespace itself from the CommonJS build.
 * @param setting the setting that asked for it, named in the error when the package is missing
 */
export async function loadPkcs11js(setting: string): Promise<Pkcs11Module> {
  let imported: Pkcs11Module & { default?: Pkcs11Module };
  try {
    imported = (await import('pkcs11js')) as unknown as Pkcs11Module & { default?: Pkcs11Module };
  } catch (error) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is set, which needs the pkcs11js package (a native addon, built on install: needs a C++ compiler, make and python3): npm install pkcs11js.`,
      { cause: error },
    );
  }
  return imported.default ?? imported;
}
