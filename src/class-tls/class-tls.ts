import { X509Certificate, createHash, generateKeyPair, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as forge from 'node-forge';

/**
 * TLS for the class listener: a certificate authority made ONCE per data dir (students download its
 * certificate and trust it) and a broker certificate it signs for the public host, made again when that
 * host changes. Keys are RSA 2048 from node:crypto; node-forge only builds and signs the certificates
 * (node:crypto cannot). Brokers read one PEM keystore: their key and the certificate chain.
 */
/** What ensureClassTls did: made nothing (all kept), the keystore only (new host), or the CA and the keystore. */
export type ClassTlsMade = 'nothing' | 'keystore' | 'ca-and-keystore';

export interface ClassTlsFiles {
  dir: string;
  /** The CA's certificate: what GET /api/class/ca.pem serves and clients trust. */
  caCert: string;
  caKey: string;
  /** The brokers' PEM keystore (ssl.keystore.type=PEM): private key, broker certificate, CA certificate. */
  keystore: string;
  /** Which host and which CA the keystore was made for (JSON). */
  keystoreFor: string;
}

export function classTlsFiles(dataDir: string): ClassTlsFiles {
  const dir = path.join(dataDir, 'class-tls');
  return {
    dir,
    caCert: path.join(dir, 'ca.pem'),
    caKey: path.join(dir, 'ca-key.pem'),
    keystore: path.join(dir, 'broker.pem'),
    keystoreFor: path.join(dir, 'broker.json'),
  };
}

const CA_SUBJECT = 'kafka-lab class CA';
const DAY_MS = 24 * 3600 * 1000;
/** Long enough for any course; the CA outlives its broker certificates, which are cheap to make again. */
const CA_DAYS = 3650;
const BROKER_DAYS = 825;

const generateRsa = promisify(generateKeyPair);

async function rsaKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const { privateKey, publicKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

/** A positive serial of 16 random bytes (hex, high bit clear so DER reads it as positive). */
function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  // An hour back: a client whose clock is a little behind must not see a certificate from the future.
  cert.validity.notBefore = new Date(now.getTime() - 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

/** Makes the CA: a self-signed certificate allowed to sign server certificates only (pathlen 0). */
export async function makeCa(now = new Date()): Promise<{ certPem: string; keyPem: string }> {
  const keys = await rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  validity(cert, now, CA_DAYS);
  const name = [{ name: 'commonName', value: CA_SUBJECT }, { name: 'organizationName', value: 'kafka-lab' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/** The broker certificate for `host` (a DNS name or an IP, as the SAN clients check), signed by the CA. */
export async function makeBrokerCert(host: string, ca: { certPem: string; keyPem: string }, now = new Date()): Promise<{ certPem: string; keyPem: string }> {
  const keys = await rsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serial();
  validity(cert, now, BROKER_DAYS);
  cert.setSubject([{ name: 'commonName', value: host }, { name: 'organizationName', value: 'kafka-lab' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

function fingerprint(certPem: string): string {
  return createHash('sha256').update(certPem).digest('hex');
}

function writePrivate(file: string, text: string): void {
  // Written aside and renamed: a crash mid-write never leaves half a key where a broker reads it.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * One making at a time per folder: a broker start and a download of ca.pem at the same moment must not
 * make two CAs (the second would replace the one the keystore was signed by).
 */
const queues = new Map<string, Promise<unknown>>();
function oneAtATime<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const next = (queues.get(dataDir) ?? Promise.resolve()).catch(() => undefined).then(work);
  queues.set(dataDir, next);
  return next;
}

/** The CA of this data dir, made the first time it is asked for and kept from then on. */
export function ensureCa(dataDir: string, now = new Date()): Promise<{ certPem: string; keyPem: string }> {
  return oneAtATime(dataDir, () => caOf(dataDir, now));
}

async function caOf(dataDir: string, now: Date): Promise<{ certPem: string; keyPem: string }> {
  const f = classTlsFiles(dataDir);
  if (fs.existsSync(f.caCert) && fs.existsSync(f.caKey)) {
    return { certPem: fs.readFileSync(f.caCert, 'utf8'), keyPem: fs.readFileSync(f.caKey, 'utf8') };
  }
  fs.mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  const ca = await makeCa(now);
  writePrivate(f.caKey, ca.keyPem);
  writePrivate(f.caCert, ca.certPem);
  fs.chmodSync(f.caCert, 0o644);
  return ca;
}

/**
 * The CA and the brokers' keystore for `publicHost`: the keystore is kept while it was made for this
 * host by this CA, and made again otherwise. Returns the files (the keystore's path goes to
 * server.properties; the docker driver mounts the folder).
 */
export function ensureClassTls(dataDir: string, publicHost: string, now = new Date()): Promise<ClassTlsFiles & { made: ClassTlsMade }> {
  return oneAtATime(dataDir, () => keystoreOf(dataDir, publicHost, now));
}

async function keystoreOf(dataDir: string, publicHost: string, now: Date): Promise<ClassTlsFiles & { made: ClassTlsMade }> {
  const f = classTlsFiles(dataDir);
  const hadCa = fs.existsSync(f.caCert) && fs.existsSync(f.caKey);
  const ca = await caOf(dataDir, now);
  const want = { publicHost, ca: fingerprint(ca.certPem) };
  if (fs.existsSync(f.keystore) && sameJson(f.keystoreFor, want)) return { ...f, made: 'nothing' };
  const broker = await makeBrokerCert(publicHost, ca, now);
  writePrivate(f.keystore, broker.keyPem + broker.certPem + ca.certPem);
  fs.writeFileSync(f.keystoreFor, JSON.stringify(want, null, 2) + '\n');
  return { ...f, made: hadCa ? 'keystore' : 'ca-and-keystore' };
}

function sameJson(file: string, want: Record<string, string>): boolean {
  try {
    const had = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    return Object.keys(want).every((k) => had[k] === want[k]);
  } catch {
    return false;
  }
}

/** What a client checks: the certificate's SAN names `host` and the CA signed it (used by the tests). */
export function certificateFits(certPem: string, caPem: string, host: string): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  const named = isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
  return named && cert.checkIssued(ca) && cert.verify(ca.publicKey);
}
