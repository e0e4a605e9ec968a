import { ConfigError, loadConfig } from '../../src/config/lab-config';

describe('configuration validated at boot', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, driver: 'process', autostart: true, brokers: 3, controllers: 1, kafkaPortBase: 9092, kafkaVersion: '4.4.0' });
    expect(c.docker.image).toBe('apache/kafka:4.4.0');
    expect(c.dataDir.endsWith('.lab-data')).toBe(true);
    expect(c.instructorToken).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be a whole number, but it is "eighty".'],
    [{ LAB_DRIVER: 'kubernetes' }, 'LAB_DRIVER must be one of process, docker, external, but it is "kubernetes".'],
    [{ LAB_BROKERS: '12' }, 'LAB_BROKERS must be between 1 and 9, but it is 12.'],
    [{ LAB_CONTROLLERS: '2' }, 'LAB_CONTROLLERS must be 1 or 3, but it is 2.'],
    [{ LAB_AUTOSTART: 'sometimes' }, 'LAB_AUTOSTART must be true or false, but it is "sometimes".'],
    [{ KAFKA_VERSION: 'latest' }, 'KAFKA_VERSION must be a Kafka release such as 4.4.0 or 3.9.2, but it is "latest".'],
    [{ KAFKA_VERSION: '4.4' }, 'KAFKA_VERSION must be a Kafka release such as 4.4.0 or 3.9.2, but it is "4.4".'],
    [{ KAFKA_VERSION: '3.8.1' }, 'KAFKA_VERSION is 3.8.1, but the lab needs Kafka 3.9 or newer (4.x, e.g. 4.4.0, or 3.9.x).'],
    [{ KAFKA_VERSION: '2.8.2' }, 'KAFKA_VERSION is 2.8.2, but the lab needs Kafka 3.9 or newer'],
    [{ KAFKA_VERSION: '5.0.0' }, 'KAFKA_VERSION is 5.0.0, but the lab knows Kafka 3.9.x and 4.x only (e.g. 4.4.0).'],
    [{ LAB_INSTRUCTOR_TOKEN: 'short' }, 'LAB_INSTRUCTOR_TOKEN must be at least 8 characters long.'],
    [{ LAB_DRIVER: 'external' }, 'LAB_DRIVER=external needs LAB_BOOTSTRAP_SERVERS, e.g. "127.0.0.1:9092".'],
    [{ LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: 'nohost' }, 'LAB_BOOTSTRAP_SERVERS has "nohost", which is not host:port.'],
    [{ LAB_LOG_LEVEL: 'loud' }, 'LAB_LOG_LEVEL must be one of error, warn, info, debug, but it is "loud".'],
    [{ LAB_LOG_FORMAT: 'xml' }, 'LAB_LOG_FORMAT must be one of text, json, but it is "xml".'],
    [{ LAB_METRICS_PUBLIC: 'maybe' }, 'LAB_METRICS_PUBLIC must be true or false, but it is "maybe".'],
  ])('stops on %j with a sentence naming the variable', (env, sentence) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(sentence);
  });

  it('runs any 4.x and 3.9.x, and the official image of the same release on docker', () => {
    for (const v of ['4.4.0', '4.0.0', '4.1.1', '3.9.2', '3.9.0']) expect(loadConfig({ KAFKA_VERSION: v }).kafkaVersion).toBe(v);
    expect(loadConfig({ KAFKA_VERSION: '3.9.2' }).docker.image).toBe('apache/kafka:3.9.2');
    expect(loadConfig({ KAFKA_VERSION: '3.9.2', LAB_DOCKER_IMAGE: 'mine:1' }).docker.image).toBe('mine:1');
  });

  it('keeps GET /metrics behind the instructor token unless LAB_METRICS_PUBLIC says otherwise', () => {
    expect(loadConfig({}).metricsPublic).toBe(false);
    expect(loadConfig({ LAB_METRICS_PUBLIC: 'true' }).metricsPublic).toBe(true);
  });

  it('logs at info as text unless told otherwise (any case)', () => {
    expect(loadConfig({})).toMatchObject({ logLevel: 'info', logFormat: 'text' });
    expect(loadConfig({ LAB_LOG_LEVEL: 'DEBUG', LAB_LOG_FORMAT: 'json' })).toMatchObject({ logLevel: 'debug', logFormat: 'json' });
    expect(loadConfig({ LAB_LOG_LEVEL: ' ' })).toMatchObject({ logLevel: 'info' });
  });

  it('reads the external driver and booleans', () => {
    const c = loadConfig({ LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: '127.0.0.1:9092, 127.0.0.1:9093', LAB_AUTOSTART: 'false' });
    expect(c.externalBootstrap).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(c.autostart).toBe(false);
  });
});

describe('the class listener (LAB_KAFKA_PUBLIC_HOST, LAB_KAFKA_TLS)', () => {
  it('is off unless a public host is set', () => {
    expect(loadConfig({}).classListener).toBeNull();
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: '  ' }).classListener).toBeNull();
  });

  it('listens on loopback for a loopback host and on every interface otherwise', () => {
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: '127.0.0.1' }).classListener).toEqual({ publicHost: '127.0.0.1', bindHost: '127.0.0.1', tls: false });
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: '127.0.1.1' }).classListener?.bindHost).toBe('127.0.0.1');
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: 'LocalHost' }).classListener).toEqual({ publicHost: 'localhost', bindHost: '127.0.0.1', tls: false });
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: '192.168.1.20' }).classListener?.bindHost).toBe('0.0.0.0');
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: 'kafka-lab.school.example' }).classListener).toEqual({ publicHost: 'kafka-lab.school.example', bindHost: '0.0.0.0', tls: false });
  });

  it('takes IPv6 addresses, bracketed or not; ::1 stays on ::1 (127.0.0.1 would not answer it)', () => {
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: '::1' }).classListener).toEqual({ publicHost: '::1', bindHost: '::1', tls: false });
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: '[fd00::5]' }).classListener).toEqual({ publicHost: 'fd00::5', bindHost: '::', tls: false });
  });

  it('puts TLS on it when asked; the docker driver has it as the process driver does', () => {
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: 'lab.local', LAB_KAFKA_TLS: 'true' }).classListener?.tls).toBe(true);
    expect(loadConfig({ LAB_KAFKA_PUBLIC_HOST: 'lab.local', LAB_DRIVER: 'docker' }).classListener?.publicHost).toBe('lab.local');
  });

  it.each([
    [{ LAB_KAFKA_TLS: 'true' }, 'LAB_KAFKA_TLS=true needs LAB_KAFKA_PUBLIC_HOST'],
    [{ LAB_KAFKA_PUBLIC_HOST: 'lab.local', LAB_KAFKA_TLS: 'sure' }, 'LAB_KAFKA_TLS must be true or false, but it is "sure".'],
    [{ LAB_KAFKA_PUBLIC_HOST: 'lab.local:9092' }, 'LAB_KAFKA_PUBLIC_HOST must be a host name or an IP address students reach this server by (no port, no scheme), but it is "lab.local:9092".'],
    [{ LAB_KAFKA_PUBLIC_HOST: 'http://lab.local' }, 'LAB_KAFKA_PUBLIC_HOST must be a host name or an IP address'],
    [{ LAB_KAFKA_PUBLIC_HOST: 'my lab' }, 'LAB_KAFKA_PUBLIC_HOST must be a host name or an IP address'],
    [{ LAB_KAFKA_PUBLIC_HOST: '10.0.0.300' }, 'LAB_KAFKA_PUBLIC_HOST must be a host name or an IP address'],
    [{ LAB_KAFKA_PUBLIC_HOST: '-lab.local' }, 'LAB_KAFKA_PUBLIC_HOST must be a host name or an IP address'],
    [{ LAB_KAFKA_PUBLIC_HOST: 'lab.local', LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: '127.0.0.1:9092' }, 'LAB_KAFKA_PUBLIC_HOST needs a cluster the lab runs (LAB_DRIVER=process or docker)'],
  ])('stops on %j with a sentence naming the variable', (env, sentence) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(sentence);
  });
});
