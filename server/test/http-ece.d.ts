/** The parts of `http_ece` (RFC 8188 Encrypted Content-Encoding) the push test uses to decrypt. */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';
  export interface EceParams {
    version: 'aes128gcm' | 'aesgcm';
    /** the receiver's ECDH key pair (the browser's p256dh) */
    privateKey?: ECDH;
    /** base64url or Buffer: the browser's auth secret */
    authSecret?: string | Buffer;
    dh?: string | Buffer;
    keyid?: string;
  }
  export function decrypt(buffer: Buffer, params: EceParams): Buffer;
  export function encrypt(buffer: Buffer, params: EceParams): Buffer;
}
