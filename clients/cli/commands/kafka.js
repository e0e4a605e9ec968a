'use strict';
/**
 * `klab kafka`: the caller's settings for their own Kafka clients on the class listener (GET
 * /api/me/kafka), with the kcat line and a client.properties; `klab kafka kcat` / `properties` print
 * only that part (to paste, or `> client.properties`), `klab kafka ca` the CA certificate (`> ca.pem`).
 */
const { UsageError } = require('../lib/args');
const { print, show } = require('../lib/io');
const { text: shared } = require('../../lib/lab-client');

const KAFKA_USAGE = 'usage: klab kafka [kcat | properties | ca]';

/** What `klab kafka` prints for GET /api/me/kafka's body. */
function renderKafkaSettings(s, server) {
  const rows = shared.kafkaSettingRows(s);
  if (s.caUrl) rows.push(['CA certificate', `${server}${s.caUrl} (klab kafka ca > ca.pem)`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    s.prefix
      ? `Your own Kafka clients on the class cluster: topic and group names must start with ${s.prefix}`
      : 'Your own Kafka clients on the class cluster (a super user: every topic and group)',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    'kcat (swap -L for -P -t <topic>, -C -t <topic> or -G <group> <topic>):',
    `  ${s.kcat}`,
    '',
    'client.properties (kafka-console-producer.sh --producer.config, kafka-console-consumer.sh --consumer.config):',
    ...s.clientProperties.replace(/\n$/, '').split('\n').map((l) => `  ${l}`),
  ];
  if (s.caUrl) lines.push('', 'Both expect the CA certificate as ca.pem in the current folder: klab kafka ca > ca.pem');
  return lines.join('\n');
}

async function cmdKafka(ctx, [part]) {
  if (part === 'ca') return print(String(await ctx.api.get('/class/ca.pem')).replace(/\n$/, ''));
  const settings = await ctx.api.get('/me/kafka');
  switch (part) {
    case undefined:
      return show(ctx, settings, (s) => renderKafkaSettings(s, ctx.server));
    case 'kcat':
      return print(settings.kcat);
    case 'properties':
      return print(settings.clientProperties.replace(/\n$/, ''));
    default:
      throw new UsageError(KAFKA_USAGE);
  }
}

module.exports = { cmdKafka, renderKafkaSettings };
