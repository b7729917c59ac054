import { type KeyObject } from 'node:crypto';
export interface RsaPair {
    privateKey: KeyObject;
    publicKey: KeyObject;
}
export declare function rsaPair(modulusLength?: number): RsaPair;
/** Key files for one test file: real keys, made for this run in a temporary folder. */
export interface KeyFiles {
    dir: string;
    main: RsaPair;
    other: RsaPair;
    /** PKCS#8 private key of `main`. */
    privatePath: string;
    /** PKCS#1 (`BEGIN RSA PRIVATE KEY`) private key of `main`. */
    privatePkcs1Path: string;
    /** PKCS#8 private key of `main`, encrypted with `passphrase`. */
    encryptedPath: string;
    passphrase: string;
    /** SPKI public key of `main`. */
    publicPath: string;
    /** PKCS#1 (`BEGIN RSA PUBLIC KEY`) public key of `main`. */
    publicPkcs1Path: string;
    /** SPKI public key of `other`, a second RSA pair. */
    otherPublicPath: string;
    otherPrivatePath: string;
    ecPrivatePath: string;
    ecPublicPath: string;
    ed25519PublicPath: string;
    smallPrivatePath: string;
    smallPublicPath: string;
    /** A text file holding an HMAC secret, as HS256 setups use. */
    hmacSecretPath: string;
    /** A file in PEM armour whose body is not a key. */
    garbagePemPath: string;
    missingPath: string;
    cleanup(): void;
}
export declare function createKeyFiles(): KeyFiles;
