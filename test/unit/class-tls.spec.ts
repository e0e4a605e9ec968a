import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { certificateFits, classTlsFiles, ensureCa, ensureClassTls, makeBrokerCert, makeCa } from '../../src/class-tls/class-tls';
import { ClassTlsService } from '../../src/class-tls/class-tls.service';
import { LabError } from '../../src/common/lab-error';
import { loadConfig } from '../../src/config/lab-config';

/** The PEM blocks of a file, in order. */
const blocks = (text: string) => text.match(/-----BEGIN [A-Z ]+-----[^-]+-----END [A-Z ]+-----\n?/g) ?? [];

describe('class listener TLS material', () => {
  let ca: { certPem: string; keyPem: string };
  beforeAll(async () => {
    ca = await makeCa();
  });

  it('makes a CA that may sign server certificates and nothing below them', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=kafka-lab class CA');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validTo).getTime() - Date.now()).toBeGreaterThan(5 * 365 * 24 * 3600 * 1000);
  });

  it.each([
    ['lab.school.example', 'DNS:lab.school.example'],
    ['192.168.1.20', 'IP Address:192.168.1.20'],
    ['127.0.0.1', 'IP Address:127.0.0.1'],
    ['fd00::5', 'IP Address:FD00:0:0:0:0:0:0:5'],
  ])('signs a broker certificate for %s with it as the SAN (%s), which a client checks', async (host, san) => {
    const broker = await makeBrokerCert(host, ca);
    const cert = new X509Certificate(broker.certPem);
    expect(cert.ca).toBe(false);
    expect(certificateFits(broker.certPem, ca.certPem, host)).toBe(true);
    expect(certificateFits(broker.certPem, ca.certPem, 'other.example')).toBe(false);
    expect(cert.subjectAltName).toBe(san);
    // A different CA did not sign it.
    const other = await makeCa();
    expect(certificateFits(broker.certPem, other.certPem, host)).toBe(false);
  });

  describe('on disk', () => {
    let dataDir: string;
    beforeEach(() => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'class-tls-'));
    });
    afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    it('makes the CA once and keeps it; the keystore holds key, broker certificate and CA, private to the server', async () => {
      const f = await ensureClassTls(dataDir, 'lab.local');
      const caPem = fs.readFileSync(f.caCert, 'utf8');
      expect((await ensureCa(dataDir)).certPem).toBe(caPem);
      const store = fs.readFileSync(f.keystore, 'utf8');
      const [key, brokerCert, chainCa] = blocks(store);
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/); // PKCS#8, unencrypted: Kafka's PEM keystore without a key password
      expect(certificateFits(brokerCert, caPem, 'lab.local')).toBe(true);
      expect(chainCa.trim()).toBe(caPem.trim());
      expect(fs.statSync(f.keystore).mode & 0o777).toBe(0o600);
      expect(fs.statSync(f.caKey).mode & 0o777).toBe(0o600);
      expect(f).toEqual({ ...classTlsFiles(dataDir), made: 'ca-and-keystore' });
    });

    it('keeps the keystore while the host is the same, makes it again (same CA) when the host changes', async () => {
      const f = await ensureClassTls(dataDir, 'lab.local');
      expect(f.made).toBe('ca-and-keystore');
      const first = fs.readFileSync(f.keystore, 'utf8');
      const caPem = fs.readFileSync(f.caCert, 'utf8');
      expect((await ensureClassTls(dataDir, 'lab.local')).made).toBe('nothing');
      expect(fs.readFileSync(f.keystore, 'utf8')).toBe(first);
      expect((await ensureClassTls(dataDir, '10.0.0.7')).made).toBe('keystore');
      const second = fs.readFileSync(f.keystore, 'utf8');
      expect(second).not.toBe(first);
      expect(fs.readFileSync(f.caCert, 'utf8')).toBe(caPem);
      expect(certificateFits(blocks(second)[1], caPem, '10.0.0.7')).toBe(true);
    });

    it('makes one CA when asked for it and a keystore at the same moment', async () => {
      const [a, , b] = await Promise.all([ensureCa(dataDir), ensureClassTls(dataDir, 'lab.local'), ensureCa(dataDir)]);
      expect(a.certPem).toBe(b.certPem);
      expect(blocks(fs.readFileSync(classTlsFiles(dataDir).keystore, 'utf8'))[2].trim()).toBe(a.certPem.trim());
    });
  });
});

describe('GET /api/class/ca.pem (ClassTlsService)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'class-tls-svc-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const service = (env: Record<string, string>) => new ClassTlsService(loadConfig({ LAB_DATA_DIR: dataDir, ...env }));

  it('answers the CA certificate the keystore chains to, the same on every ask', async () => {
    const s = service({ LAB_KAFKA_PUBLIC_HOST: 'lab.local', LAB_KAFKA_TLS: 'true' });
    const pem = await s.caPem();
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await s.caPem()).toBe(pem);
    const f = await ensureClassTls(dataDir, 'lab.local');
    expect(certificateFits(blocks(fs.readFileSync(f.keystore, 'utf8'))[1], pem, 'lab.local')).toBe(true);
  });

  it.each([
    [{}, 'The class listener is off on this server'],
    [{ LAB_KAFKA_PUBLIC_HOST: 'lab.local' }, 'The class listener has no TLS on this server (SASL_PLAINTEXT)'],
  ])('is a 404 with a sentence saying how to turn it on (%j), and makes nothing', async (env, sentence) => {
    const e = await service(env).caPem().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LabError);
    expect((e as LabError).status).toBe(404);
    expect((e as LabError).message).toContain(sentence);
    expect(fs.existsSync(classTlsFiles(dataDir).dir)).toBe(false);
  });
});
