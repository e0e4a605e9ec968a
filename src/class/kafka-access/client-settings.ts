import { hostPort } from '../../cluster/server-properties';
import { CLASS_SASL_MECHANISM } from '../kafka-users';

/** GET /api/me/kafka: what a student's own Kafka client (kcat, the console tools, a program) needs. */
export interface KafkaClientSettings {
  bootstrapServers: string;
  securityProtocol: 'SASL_PLAINTEXT' | 'SASL_SSL';
  mechanism: typeof CLASS_SASL_MECHANISM;
  username: string;
  password: string;
  /** What their topic and group names must start with on the cluster ("" for the instructor). */
  prefix: string;
  /** Where the CA certificate is (TLS only). */
  caUrl?: string;
  kcat: string;
  clientProperties: string;
}

export const CA_URL = '/api/class/ca.pem';
/** The file name the lines below expect the CA certificate under (in the current directory). */
export const CA_FILE = 'ca.pem';

export function clientSettings(opts: {
  publicHost: string;
  ports: readonly number[];
  tls: boolean;
  username: string;
  password: string;
  prefix: string;
}): KafkaClientSettings {
  const bootstrapServers = opts.ports.map((p) => hostPort(opts.publicHost, p)).join(',');
  const securityProtocol = opts.tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  // User names are s-<id> or "instructor" and passwords base64url: nothing here needs shell quoting.
  const kcat = [
    'kcat', '-b', bootstrapServers,
    '-X', `security.protocol=${securityProtocol}`,
    '-X', `sasl.mechanisms=${CLASS_SASL_MECHANISM}`,
    '-X', `sasl.username=${opts.username}`,
    '-X', `sasl.password=${opts.password}`,
    ...(opts.tls ? ['-X', `ssl.ca.location=${CA_FILE}`] : []),
    '-L',
  ].join(' ');
  const lines = [
    `# Kafka client settings for ${opts.username} (kafka-console-producer.sh / kafka-console-consumer.sh --command-config or --producer.config / --consumer.config)`,
    ...(opts.prefix
      ? [`# Topic and group names must start with ${opts.prefix} (e.g. --topic ${opts.prefix}orders --group ${opts.prefix}readers).`]
      : []),
    `bootstrap.servers=${bootstrapServers}`,
    `security.protocol=${securityProtocol}`,
    `sasl.mechanism=${CLASS_SASL_MECHANISM}`,
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${opts.username}" password="${opts.password}";`,
    ...(opts.tls ? ['ssl.truststore.type=PEM', `ssl.truststore.location=${CA_FILE}`] : []),
  ];
  return {
    bootstrapServers,
    securityProtocol,
    mechanism: CLASS_SASL_MECHANISM,
    username: opts.username,
    password: opts.password,
    prefix: opts.prefix,
    ...(opts.tls ? { caUrl: CA_URL } : {}),
    kcat,
    clientProperties: lines.join('\n') + '\n',
  };
}
