import { createPublicKey, type KeyObject } from 'node:crypto';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { loadPkcs11js, type Pkcs11Api, type Pkcs11Handle, type Pkcs11Module } from './pkcs11.peer.js';

/** Which token, which key, and how to log in; each with the setting it came through, for messages. */
export interface Pkcs11Settings {
  readonly module: { readonly setting: string; readonly path: string };
  readonly token: { readonly setting: string; readonly label: string } | { readonly setting: string; readonly slot: number };
  readonly key: { readonly setting: string; readonly label: string } | { readonly setting: string; readonly id: string };
  /**
   * The user PIN; never quoted or logged. Held in memory for the process's lifetime: a session lost to an HSM or
   * token restart is reopened and the user logged in again with it.
   */
  readonly pin: { readonly setting: string; readonly value: string };
}

/** A library loaded and initialised once per process, however many modules use it (PKCS#11 state is process-wide). */
interface LoadedLibrary {
  readonly pkcs11: Pkcs11Api;
  readonly constants: Pkcs11Module;
}

/** A library by path, with how many tokens opened through it are still open (counted as soon as one is asked for). */
const LIBRARIES = new Map<string, { loading: Promise<LoadedLibrary>; users: number }>();

function failure(code: Rs256AuthErrorCode, message: string, error?: unknown): Rs256AuthError {
  return new Rs256AuthError(code, message, error === undefined ? undefined : { cause: error });
}

/**
 * What a token answers once the sessions or the login are gone (the HSM, the token or its daemon restarted, or
 * something closed the application's sessions): reopening a session and logging in again recovers.
 */
const SESSION_LOST = new Set(['CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_USER_NOT_LOGGED_IN']);

/** The CKR_* name of a pkcs11js error (its message is that name), or the message of anything else. */
function ckr(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

async function loadLibrary(path: string, setting: string): Promise<LoadedLibrary> {
  const constants = await loadPkcs11js(setting);
  const pkcs11 = new constants.PKCS11();
  try {
    pkcs11.load(path);
  } catch (error) {
    throw failure('RS256_PKCS11_FAILED', `${setting} ("${path}"): the PKCS#11 library could not be loaded (${ckr(error)}).`, error);
  }
  try {
    pkcs11.C_Initialize();
  } catch (error) {
    pkcs11.close();
    throw failure('RS256_PKCS11_FAILED', `${setting} ("${path}"): C_Initialize failed (${ckr(error)}).`, error);
  }
  return { pkcs11, constants };
}

async function acquireLibrary({ path, setting }: Pkcs11Settings['module']): Promise<LoadedLibrary> {
  let entry = LIBRARIES.get(path);
  if (!entry) {
    entry = { loading: loadLibrary(path, setting), users: 0 };
    LIBRARIES.set(path, entry);
  }
  // Counted before waiting, so a module closing meanwhile does not finalise the library under this one.
  entry.users += 1;
  try {
    return await entry.loading;
  } catch (error) {
    // A failed load is forgotten, so the next start-up tries again.
    entry.users -= 1;
    if (LIBRARIES.get(path) === entry) LIBRARIES.delete(path);
    throw error;
  }
}

function releaseLibrary(path: string, library: LoadedLibrary): void {
  const entry = LIBRARIES.get(path);
  if (entry && (entry.users -= 1) > 0) return;
  LIBRARIES.delete(path);
  try {
    library.pkcs11.C_Finalize();
  } finally {
    library.pkcs11.close();
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A CK_ULONG (a slot id, a key type) as pkcs11js hands it out: 4 or 8 bytes, in the platform's byte order. */
function ulong(value: Buffer): bigint {
  if (value.length === 8) return LITTLE_ENDIAN ? value.readBigUInt64LE() : value.readBigUInt64BE();
  return BigInt(LITTLE_ENDIAN ? value.readUInt32LE() : value.readUInt32BE());
}

/**
 * An RSA private key in a PKCS#11 token, signing with `CKM_SHA256_RSA_PKCS`: the key never leaves the token. Two
 * sessions are opened, and the user logged in once (a login holds for every session of the application): one for
 * synchronous signs, which cannot interleave, and one for asynchronous signs (run off the event loop by pkcs11js),
 * queued one after another since a session runs one operation at a time. A sign that finds its session or the
 * login gone reopens that session, logs in again and retries, once.
 */
export class Pkcs11Token {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing?: Promise<void>;

  private constructor(
    private readonly library: LoadedLibrary,
    private readonly settings: Pkcs11Settings,
    private readonly slot: Pkcs11Handle,
    private syncSession: Pkcs11Handle,
    private asyncSession: Pkcs11Handle,
    private privateKey: Pkcs11Handle,
    /** The public half, read from the token. */
    readonly publicKey: KeyObject,
    private readonly signatureLength: number,
  ) {}

  /**
   * Loads the library, finds the token, logs in and finds the key and its public half.
   * @throws Rs256AuthError naming the setting at fault, never the PIN
   */
  static async open(settings: Pkcs11Settings): Promise<Pkcs11Token> {
    const library = await acquireLibrary(settings.module);
    const { pkcs11, constants: ck } = library;
    const sessions: Pkcs11Handle[] = [];
    try {
      const slot = findSlot(pkcs11, settings);
      for (let count = 0; count < 2; count += 1) {
        try {
          sessions.push(pkcs11.C_OpenSession(slot, ck.CKF_SERIAL_SESSION));
        } catch (error) {
          throw failure('RS256_PKCS11_FAILED', `${settings.token.setting}: a session could not be opened on the token (${ckr(error)}).`, error);
        }
      }
      login(library, settings, sessions[0]);
      const privateKey = findKey(pkcs11, ck, sessions[0], settings, ck.CKO_PRIVATE_KEY);
      const publicKey = readPublicKey(pkcs11, ck, sessions[0], settings, privateKey);
      const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
      return new Pkcs11Token(library, settings, slot, sessions[0], sessions[1], privateKey, publicKey, Math.ceil(bits / 8));
    } catch (error) {
      for (const session of sessions) closeQuietly(() => pkcs11.C_CloseSession(session));
      releaseLibrary(settings.module.path, library);
      throw error;
    }
  }

  /** Where the key lives, for the start-up line and messages. */
  get where(): string {
    const { token, key } = this.settings;
    const tokenName = 'label' in token ? `PKCS#11 token "${token.label}"` : `PKCS#11 token in slot ${token.slot}`;
    return `the HSM's ${tokenName} (${'label' in key ? `key label "${key.label}"` : `key id ${key.id}`})`;
  }

  /** Signs synchronously, blocking the event loop for the token's round trip. */
  signSync(input: Buffer): Buffer {
    const { pkcs11, constants: ck } = this.library;
    const attempt = (): Buffer => {
      this.refuseClosed();
      pkcs11.C_SignInit(this.syncSession, { mechanism: ck.CKM_SHA256_RSA_PKCS }, this.privateKey);
      return pkcs11.C_Sign(this.syncSession, input, Buffer.alloc(this.signatureLength));
    };
    try {
      return attempt();
    } catch (error) {
      if (!SESSION_LOST.has(ckr(error))) throw error;
      this.syncSession = this.reopen(this.syncSession, error);
      return this.retried(attempt);
    }
  }

  /** Signs off the event loop, after every sign queued before. */
  sign(input: Buffer): Promise<Buffer> {
    const attempt = (): Promise<Buffer> => {
      const { pkcs11, constants: ck } = this.library;
      this.refuseClosed();
      pkcs11.C_SignInit(this.asyncSession, { mechanism: ck.CKM_SHA256_RSA_PKCS }, this.privateKey);
      return pkcs11.C_SignAsync(this.asyncSession, input, Buffer.alloc(this.signatureLength));
    };
    const next = this.queue.then(attempt).catch(async (error: unknown) => {
      if (!SESSION_LOST.has(ckr(error))) throw error;
      this.asyncSession = this.reopen(this.asyncSession, error);
      return this.retried(attempt);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Closes both sessions (after the signs under way) and finalises the library if no one else in the process uses it.
   * No C_Logout: a login belongs to the application, not the session, so it would also log out another module signing
   * with the same token; closing the application's last session with the token logs it out (C_CloseSession).
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    await this.queue;
    this.closed = true;
    const { pkcs11 } = this.library;
    closeQuietly(() => pkcs11.C_CloseSession(this.syncSession));
    closeQuietly(() => pkcs11.C_CloseSession(this.asyncSession));
    releaseLibrary(this.settings.module.path, this.library);
  }

  /**
   * A new session in place of `lost` (each path only ever uses its own, so no other operation runs on it), the user
   * logged in again (the login holds for every session of the application) and the key found again (object handles
   * need not outlive the sessions), checked to be the same key.
   * @throws Rs256AuthError `RS256_PKCS11_FAILED`, never quoting the PIN
   */
  private reopen(lost: Pkcs11Handle, cause: unknown): Pkcs11Handle {
    const { pkcs11, constants: ck } = this.library;
    this.refuseClosed();
    closeQuietly(() => pkcs11.C_CloseSession(lost));
    let session: Pkcs11Handle | undefined;
    try {
      session = pkcs11.C_OpenSession(this.slot, ck.CKF_SERIAL_SESSION);
      login(this.library, this.settings, session);
      const privateKey = findKey(pkcs11, ck, session, this.settings, ck.CKO_PRIVATE_KEY);
      if (!readPublicKey(pkcs11, ck, session, this.settings, privateKey).equals(this.publicKey)) {
        throw failure(
          'RS256_PKCS11_FAILED',
          `${this.settings.key.setting}: the key found after reopening the session is not the key signing before.`,
        );
      }
      this.privateKey = privateKey;
      return session;
    } catch (error) {
      const opened = session;
      if (opened !== undefined) closeQuietly(() => pkcs11.C_CloseSession(opened));
      throw failure(
        'RS256_PKCS11_FAILED',
        `Signing in ${this.where} lost its session (${ckr(cause)}), which could not be reopened (${ckr(error)}); no token was issued.`,
        error,
      );
    }
  }

  /** The sign retried once after its session was reopened; a second failure is final. */
  private retried<T>(attempt: () => T): T {
    try {
      return attempt();
    } catch (error) {
      throw failure('RS256_PKCS11_FAILED', `Signing in ${this.where} failed again after its session was reopened (${ckr(error)}).`, error);
    }
  }

  private refuseClosed(): void {
    if (this.closed) {
      throw new Rs256AuthError('RS256_SIGNING_FAILED', 'Cannot sign: the PKCS#11 session is closed (the module was destroyed).');
    }
  }
}

/** Logs the user in; a login already held by the application (another module, another session) holds for us too. */
function login(library: LoadedLibrary, settings: Pkcs11Settings, session: Pkcs11Handle): void {
  try {
    library.pkcs11.C_Login(session, library.constants.CKU_USER, settings.pin.value);
  } catch (error) {
    if (ckr(error) !== 'CKR_USER_ALREADY_LOGGED_IN') {
      throw failure(
        'RS256_PKCS11_FAILED',
        `${settings.token.setting}: the token refused the login (${ckr(error)}); check ${settings.pin.setting}.`,
        error,
      );
    }
  }
}

/** Errors while closing are of no use to anyone: the process is shutting the module down. */
function closeQuietly(step: () => void): void {
  try {
    step();
  } catch {
    // Nothing to do: the session or login is gone already.
  }
}

function findSlot(pkcs11: Pkcs11Api, settings: Pkcs11Settings): Pkcs11Handle {
  const { token } = settings;
  const slots = pkcs11.C_GetSlotList(true);
  const labels = slots.map((slot) => pkcs11.C_GetTokenInfo(slot).label.trim());
  const found = 'label' in token ? slots.filter((_, at) => labels[at] === token.label) : slots.filter((slot) => ulong(slot) === BigInt(token.slot));
  const present = labels.filter(Boolean).map((label) => `"${label}"`);
  const seen = present.length > 0 ? `tokens present: ${present.join(', ')}` : 'no initialised token is present';
  if (found.length === 0) {
    const wanted = 'label' in token ? `no token is labelled "${token.label}"` : `no slot ${token.slot} holds a token`;
    throw failure('RS256_PKCS11_FAILED', `${token.setting}: ${wanted} (${seen}, library ${settings.module.path}).`);
  }
  if (found.length > 1) {
    throw failure(
      'RS256_KEY_AMBIGUOUS',
      `${token.setting}: ${found.length} tokens are labelled "${(token as { label: string }).label}"; give the slot instead.`,
    );
  }
  return found[0];
}

function findKey(pkcs11: Pkcs11Api, ck: Pkcs11Module, session: Pkcs11Handle, settings: Pkcs11Settings, objectClass: number): Pkcs11Handle {
  const { key } = settings;
  const match = 'label' in key ? { type: ck.CKA_LABEL, value: key.label } : { type: ck.CKA_ID, value: Buffer.from(key.id, 'hex') };
  pkcs11.C_FindObjectsInit(session, [{ type: ck.CKA_CLASS, value: objectClass }, match]);
  let found: Pkcs11Handle[];
  try {
    found = pkcs11.C_FindObjects(session, 2);
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
  const named = 'label' in key ? `labelled "${key.label}"` : `with id ${key.id}`;
  const tokenName = 'label' in settings.token ? `token "${settings.token.label}"` : `slot ${settings.token.slot}`;
  if (found.length === 0) {
    throw failure('RS256_KEY_NOT_FOUND', `${key.setting}: ${tokenName} holds no private key ${named} that this login can use.`);
  }
  if (found.length > 1) {
    throw failure('RS256_KEY_AMBIGUOUS', `${key.setting}: ${tokenName} holds several private keys ${named}; name one by its id instead.`);
  }
  return found[0];
}

/**
 * The public half from the token: its modulus and exponent, read from the private key object (PKCS#11 RSA private
 * keys carry both), as a JWK. Not RSA is refused here; size and exponent are checked with the other key checks.
 */
function readPublicKey(pkcs11: Pkcs11Api, ck: Pkcs11Module, session: Pkcs11Handle, settings: Pkcs11Settings, privateKey: Pkcs11Handle): KeyObject {
  const [type, modulus, exponent] = pkcs11.C_GetAttributeValue(session, privateKey, [
    { type: ck.CKA_KEY_TYPE },
    { type: ck.CKA_MODULUS },
    { type: ck.CKA_PUBLIC_EXPONENT },
  ]);
  if (!type.value || ulong(type.value) !== BigInt(ck.CKK_RSA)) {
    throw failure('RS256_KEY_NOT_RSA', `${settings.key.setting}: the key is not an RSA key; RS256 needs an RSA key.`);
  }
  if (!modulus.value?.length || !exponent.value?.length) {
    throw failure('RS256_PKCS11_FAILED', `${settings.key.setting}: the token does not reveal the key's modulus and public exponent.`);
  }
  const unsigned = (value: Buffer): string => value.subarray(value.findIndex((byte) => byte !== 0)).toString('base64url');
  return createPublicKey({ key: { kty: 'RSA', n: unsigned(modulus.value), e: unsigned(exponent.value) }, format: 'jwk' });
}
