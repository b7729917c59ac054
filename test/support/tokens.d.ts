import { type KeyObject } from 'node:crypto';
export type Json = Record<string, unknown>;
export declare function b64url(value: Json | string): string;
/** Seconds since the epoch, as JWT NumericDates count. */
export declare function nowSeconds(): number;
/** A payload that satisfies the default required claims (exp, iat, sub), valid for five minutes. */
export declare function validClaims(extra?: Json): Json;
/** Signs `header.payload` by hand, so tests can build tokens no JWT library would produce. */
export declare function craftToken(header: Json, payload: Json | string, signer: (input: Buffer) => Buffer): string;
export declare const signers: {
    rs256: (key: KeyObject) => (input: Buffer) => NonSharedBuffer;
    rs384: (key: KeyObject) => (input: Buffer) => NonSharedBuffer;
    rs512: (key: KeyObject) => (input: Buffer) => NonSharedBuffer;
    ps256: (key: KeyObject) => (input: Buffer) => NonSharedBuffer;
    es256: (key: KeyObject) => (input: Buffer) => NonSharedBuffer;
    /** The algorithm-confusion attack: HMAC keyed with the verifier's public key PEM. */
    hs256: (secret: string | Buffer) => (input: Buffer) => NonSharedBuffer;
    none: () => () => Buffer<ArrayBuffer>;
};
/** An RS256 token signed with `key`, with the given claims and extra header parameters. */
export declare function rs256Token(key: KeyObject, payload: Json | string, header?: Json): string;
