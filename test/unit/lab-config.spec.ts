import { ConfigError, loadConfig } from '../../src/config/lab-config';

describe('configuration validated at boot', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, driver: 'process', autostart: true, brokers: 3, controllers: 1, kafkaPortBase: 9092, kafkaVersion: '3.9.2' });
    expect(c.dataDir.endsWith('.lab-data')).toBe(true);
    expect(c.instructorToken).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be a whole number, but it is "eighty".'],
    [{ LAB_DRIVER: 'kubernetes' }, 'LAB_DRIVER must be one of process, docker, external, but it is "kubernetes".'],
    [{ LAB_BROKERS: '12' }, 'LAB_BROKERS must be between 1 and 9, but it is 12.'],
    [{ LAB_CONTROLLERS: '2' }, 'LAB_CONTROLLERS must be 1 or 3, but it is 2.'],
    [{ LAB_AUTOSTART: 'sometimes' }, 'LAB_AUTOSTART must be true or false, but it is "sometimes".'],
    [{ KAFKA_VERSION: '4.0.0' }, 'KAFKA_VERSION must be a 3.9.x release such as 3.9.2, but it is "4.0.0".'],
    [{ LAB_INSTRUCTOR_TOKEN: 'short' }, 'LAB_INSTRUCTOR_TOKEN must be at least 8 characters long.'],
    [{ LAB_DRIVER: 'external' }, 'LAB_DRIVER=external needs LAB_BOOTSTRAP_SERVERS, e.g. "127.0.0.1:9092".'],
    [{ LAB_DRIVER: 'external', LAB_BOOTSTRAP_SERVERS: 'nohost' }, 'LAB_BOOTSTRAP_SERVERS has "nohost", which is not host:port.'],
    [{ LAB_LOG_LEVEL: 'loud' }, 'LAB_LOG_LEVEL must be one of error, warn, info, debug, but it is "loud".'],
    [{ LAB_LOG_FORMAT: 'xml' }, 'LAB_LOG_FORMAT must be one of text, json, but it is "xml".'],
  ])('stops on %j with a sentence naming the variable', (env, sentence) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(sentence);
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
