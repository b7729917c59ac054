// Generates RSA key pairs inside a SoftHSM token, in a process of its own: the test's process then loads the
// PKCS#11 library only through the module under test. Reads SOFTHSM2_CONF from its environment, and from argv:
// the library path, the token label, the user PIN, then JSON [{ label, id, bits }]. Prints "done" when all exist.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkcs11js = require('pkcs11js');
const [library, tokenLabel, pin, keysJson] = process.argv.slice(2);

const pkcs11 = new pkcs11js.PKCS11();
pkcs11.load(library);
pkcs11.C_Initialize();
try {
  const slot = pkcs11.C_GetSlotList(true).find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trim() === tokenLabel);
  if (!slot) throw new Error(`no token labelled ${tokenLabel}`);
  const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  pkcs11.C_Login(session, pkcs11js.CKU_USER, pin);
  for (const { label, id, bits } of JSON.parse(keysJson)) {
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: Buffer.from(id, 'hex') },
    ];
    pkcs11.C_GenerateKeyPair(
      session,
      { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        ...common,
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_MODULUS_BITS, value: bits },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      // The private key can sign and can never be read out of the token.
      [
        ...common,
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      ],
    );
  }
  pkcs11.C_Logout(session);
  pkcs11.C_CloseSession(session);
} finally {
  pkcs11.C_Finalize();
  pkcs11.close();
}
console.log('done');
