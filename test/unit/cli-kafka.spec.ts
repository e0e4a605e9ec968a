// klab kafka: what GET /api/me/kafka looks like on a terminal.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderKafkaSettings } = require('../../clients/cli/commands/kafka');

const settings = {
  bootstrapServers: 'lab.example.org:9122,lab.example.org:9123',
  securityProtocol: 'SASL_PLAINTEXT',
  mechanism: 'SCRAM-SHA-512',
  username: 's-abc123',
  password: 'pw-1',
  prefix: 's-abc123.',
  kcat: 'kcat -b lab.example.org:9122,lab.example.org:9123 -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=s-abc123 -X sasl.password=pw-1 -L',
  clientProperties: 'bootstrap.servers=lab.example.org:9122,lab.example.org:9123\nsecurity.protocol=SASL_PLAINTEXT\n',
};

describe('klab kafka', () => {
  it('names the prefix, lines up the settings, and shows the kcat line and client.properties to paste', () => {
    const text: string = renderKafkaSettings(settings, 'http://lab:8080');
    expect(text.split('\n').slice(0, 6)).toEqual([
      'Your own Kafka clients on the class cluster: topic and group names must start with s-abc123.',
      '  bootstrap servers  lab.example.org:9122,lab.example.org:9123',
      '  security protocol  SASL_PLAINTEXT',
      '  mechanism          SCRAM-SHA-512',
      '  username           s-abc123',
      '  password           pw-1',
    ]);
    expect(text).toContain(`\n  ${settings.kcat}\n`);
    expect(text).toContain('\n  bootstrap.servers=lab.example.org:9122,lab.example.org:9123\n  security.protocol=SASL_PLAINTEXT');
    expect(text).not.toContain('ca.pem');
  });

  it('with TLS: where the CA certificate is and how to save it; the instructor is told they see everything', () => {
    const text: string = renderKafkaSettings({ ...settings, username: 'instructor', prefix: '', securityProtocol: 'SASL_SSL', caUrl: '/api/class/ca.pem' }, 'http://lab:8080');
    expect(text.split('\n')[0]).toBe('Your own Kafka clients on the class cluster (a super user: every topic and group)');
    expect(text).toContain('  CA certificate     http://lab:8080/api/class/ca.pem (klab kafka ca > ca.pem)');
    expect(text.endsWith('klab kafka ca > ca.pem')).toBe(true);
  });
});
