/**
 * TLS for the /metrics server. The root supervisor reads the files (agent/config/security.ts, so the
 * key may stay readable by root alone, as generate-certs.sh makes it) and hands their text over; the
 * unprivileged metrics process checks and uses them here. Both happen at start-up, so a bad file
 * fails it with a line naming the file, and again on SIGHUP, so certificates rotate without a restart
 * (a broken new pair is refused and the old one keeps serving).
 */
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsFiles, TlsMaterial } from '../config/security.js';
import { TlsError } from '../shared/errors.js';

/** OpenSSL's messages, in words that say which file is wrong and how. */
function explain(err: Error, files: TlsFiles): string {
  const msg = err.message;
  if (/key values mismatch/i.test(msg)) return `TLS key ${files.key} does not belong to certificate ${files.cert}`;
  if (
    /PEM_read_bio_PrivateKey|bad decrypt|DECODER routines|no start line.*key|unsupported/i.test(msg) &&
    /key/i.test(msg)
  ) {
    return `TLS key ${files.key} is not a readable PEM private key (${msg})`;
  }
  if (/no start line|PEM|ASN1|certificate/i.test(msg)) {
    return `TLS certificate ${files.cert} or key ${files.key} is not valid PEM (${msg})`;
  }
  return `TLS certificate ${files.cert} / key ${files.key}: ${msg}`;
}

export const TLS_MIN_VERSION = 'TLSv1.2';

/** Checks the material and makes the server's TLS options; throws a TlsError naming the file and the problem. */
export function loadTls(material: TlsMaterial): SecureContextOptions {
  const { files } = material;
  const options: SecureContextOptions = { cert: material.cert, key: material.key, minVersion: TLS_MIN_VERSION };
  if (!/-----BEGIN CERTIFICATE-----/.test(options.cert?.toString() ?? '')) {
    throw new TlsError(`TLS certificate ${files.cert} is not a PEM certificate (no BEGIN CERTIFICATE line)`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(options.key?.toString() ?? '')) {
    throw new TlsError(`TLS key ${files.key} is not a PEM private key (no BEGIN PRIVATE KEY line)`);
  }
  if (files.clientCa && material.clientCa !== undefined) {
    options.ca = material.clientCa;
    if (!/-----BEGIN CERTIFICATE-----/.test(options.ca.toString())) {
      throw new TlsError(`TLS client CA ${files.clientCa} is not a PEM certificate`);
    }
  }
  try {
    createSecureContext(options);
  } catch (err) {
    if (
      files.clientCa &&
      /ca|x509/i.test((err as Error).message) &&
      !/key values mismatch/.test((err as Error).message)
    ) {
      throw new TlsError(`TLS client CA ${files.clientCa}: ${(err as Error).message}`);
    }
    throw new TlsError(explain(err as Error, files));
  }
  return options;
}
