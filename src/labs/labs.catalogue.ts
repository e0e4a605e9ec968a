import type { LabSpec } from './labs.types';
import { call, klabProduce, numbered, produce, step } from './lab-steps';

/**
 * Labs A–G of LABS.md as guided steps: each step says what to do and what to watch for, with the API
 * call and the klab line that do it. A step that earns a checkpoint names it; the checkpoints are
 * computed from the timeline (src/grading), never ticked by hand. Names are the student's own (the
 * server keeps them apart on the cluster); `{c1}` in an API line and `<c1>` in a klab line stand for
 * a consumer id the caller got when starting it.
 */

const TOPIC = 'failsafe-test-topic';
const GROUP = 'test-group';

const labA: LabSpec = {
  id: 'A',
  title: 'Publish/subscribe versus queue',
  summary: 'Consumers in groups of their own each get every message; consumers sharing one group split the partitions and each message reaches one of them.',
  kafka: '3.9+',
  steps: [
    step(
      'Look at the cluster the instructor started: three brokers and a controller.',
      'Every broker is running; the controller (node 100) holds the metadata.',
      [call('GET', '/api/cluster')],
      ['klab cluster'],
    ),
    step(
      `Create ${TOPIC} with 4 partitions, each kept on 3 brokers (replication factor 3).`,
      'The description lists 4 partitions, each with a leader, 3 replicas and 3 in-sync replicas; the leaders are spread over the brokers.',
      [call('POST', '/api/topics', { name: TOPIC, partitions: 4, replicationFactor: 3 }), call('GET', `/api/topics/${TOPIC}?format=text`)],
      [`klab topic create ${TOPIC} -p 4 -r 3`, `klab topic describe ${TOPIC}`],
      'replicated-topic',
    ),
    step(
      'Start three consumers of the topic without a group (each one gets a group of its own); with klab, one per terminal.',
      'Each consumer is assigned all 4 partitions: nobody shares its group.',
      [call('POST', '/api/consumers', { topics: [TOPIC] }), call('POST', '/api/consumers', { topics: [TOPIC] }), call('POST', '/api/consumers', { topics: [TOPIC] })],
      [`klab consume ${TOPIC}`, `klab consume ${TOPIC}`, `klab consume ${TOPIC}`],
    ),
    step(
      'Produce a few lines.',
      'Every consumer receives every message, at the same partition and offset: publish/subscribe.',
      [produce(TOPIC, ['hello', 'pub', 'sub']), call('GET', '/api/consumers/{c1}/messages')],
      [klabProduce(TOPIC, ['hello', 'pub', 'sub'])],
      'pub-sub',
    ),
    step(
      'Stop the three consumers (Ctrl-C in their terminals): each leaves its group.',
      'Each one reports that it stopped; nothing else changes, since nobody shared their groups.',
      [call('POST', '/api/consumers/{c1}/stop'), call('POST', '/api/consumers/{c2}/stop'), call('POST', '/api/consumers/{c3}/stop')],
      ['klab consumer stop <c1>', 'klab consumer stop <c2>', 'klab consumer stop <c3>'],
    ),
    step(
      `Start three consumers in the same group, ${GROUP}, one after the other.`,
      `Each one reports the partitions it was assigned and later the ones revoked, like "% Group ${GROUP} rebalanced (memberid ...): assigned: ${TOPIC} [2]"; in the end the 4 partitions are spread over the three.`,
      [1, 2, 3].map(() => call('POST', '/api/consumers', { topics: [TOPIC], groupId: GROUP })),
      [1, 2, 3].map(() => `klab consume ${TOPIC} -G ${GROUP}`),
    ),
    step(
      'Produce m1 to m7 while the three run together.',
      'Each message reaches exactly one consumer, the one that owns its partition: a queue. The order holds within a partition, not across partitions.',
      [produce(TOPIC, numbered('m', 1, 7)), call('GET', `/api/groups/${GROUP}`)],
      [klabProduce(TOPIC, numbered('m', 1, 7)), `klab group ${GROUP}`],
      'load-sharing',
    ),
  ],
};

const labB: LabSpec = {
  id: 'B',
  title: 'Consumer failover',
  summary: 'A group member leaves or dies; its partitions move to the survivors and nothing is lost or read twice.',
  kafka: '3.9+',
  steps: [
    step(
      `With the three consumers of ${GROUP} from Lab A running, stop one of them (Ctrl-C: it leaves the group).`,
      'The survivors rebalance at once: the leaver\'s partitions are revoked and assigned to them.',
      [call('POST', '/api/consumers/{c1}/stop'), call('GET', `/api/groups/${GROUP}`)],
      ['klab consumer stop <c1>', `klab group ${GROUP}`],
    ),
    step(
      'Produce m8 to m14.',
      'The two survivors share them, including the partitions they took over: nothing lost, nothing doubled.',
      [produce(TOPIC, numbered('m', 8, 14))],
      [klabProduce(TOPIC, numbered('m', 8, 14))],
      'consumer-failover',
    ),
    step(
      'Kill one of the survivors instead: it crashes without leaving the group.',
      'The group notices only after the session timeout: compare the time of the kill with the time of the rebalance on the timeline.',
      [call('POST', '/api/consumers/{c2}/kill'), call('GET', '/api/events?types=consumer.killed,group.rebalanced')],
      ['klab consumer kill <c2>', 'klab events --types consumer.killed,group.rebalanced'],
    ),
  ],
};

const labC: LabSpec = {
  id: 'C',
  title: 'Broker failover',
  summary: 'A broker goes down: new leaders are elected, the in-sync replicas shrink, and producers and consumers carry on.',
  kafka: '3.9+',
  steps: [
    step(
      `Describe ${TOPIC}, and keep a consumer of it running (one of ${GROUP}'s, or a new one).`,
      'Which broker leads each partition, its replicas and its in-sync replicas (ISR); leadership is spread over the brokers.',
      [call('GET', `/api/topics/${TOPIC}?format=text`), call('POST', '/api/consumers', { topics: [TOPIC], groupId: GROUP })],
      [`klab topic describe ${TOPIC}`, `klab consume ${TOPIC} -G ${GROUP}`],
    ),
    step(
      'Stop (or kill) broker 1: the instructor does, or you when the class lets students control the brokers. Describe the topic again.',
      'Broker 1 leads nothing and is gone from every ISR; the timeline shows each leader change and ISR shrink as it happened.',
      [call('POST', '/api/cluster/nodes/1/stop'), call('GET', `/api/topics/${TOPIC}?format=text`), call('GET', '/api/events?types=partition.leader-changed,partition.isr-changed')],
      ['klab node stop 1', `klab topic describe ${TOPIC}`, 'klab events --types partition.leader-changed,partition.isr-changed'],
    ),
    step(
      'While broker 1 is down, produce m15 to m22 (two for each partition, so the partitions broker 1 led get some).',
      'The running consumers still get them, also on the partitions whose leader changed; the producer never had to be told about the dead broker.',
      [produce(TOPIC, numbered('m', 15, 22))],
      [klabProduce(TOPIC, numbered('m', 15, 22))],
      'broker-failover',
    ),
    step(
      'Start broker 1 again, then ask for the preferred leaders at once instead of waiting.',
      'Broker 1 rejoins the ISRs; after the election each partition is led by its first replica again.',
      [call('POST', '/api/cluster/nodes/1/start'), call('POST', `/api/topics/${TOPIC}/elect-leaders`)],
      ['klab node start 1', `klab topic elect ${TOPIC}`],
    ),
  ],
};

const labD: LabSpec = {
  id: 'D',
  title: 'From one broker to a fault-tolerant cluster',
  summary: 'One broker is a single point of failure; three brokers and replication factor 3 lose nothing when one goes down.',
  kafka: '3.9+',
  steps: [
    step(
      'The instructor resets the cluster to ONE broker (this wipes the cluster for the whole class). Create single with replication factor 1, produce to it and read it.',
      'Everything works, on a single broker.',
      [call('POST', '/api/cluster/reset', { brokers: 1 }), call('POST', '/api/topics', { name: 'single', partitions: 1, replicationFactor: 1 }), produce('single', ['one', 'two']), call('POST', '/api/consumers', { topics: ['single'], fromBeginning: true })],
      ['klab cluster reset --brokers 1', 'klab topic create single -p 1 -r 1', klabProduce('single', ['one', 'two']), 'klab consume single -b'],
    ),
    step(
      'Kill the broker (node 0), try to produce, then start it again.',
      'Producing fails with a sentence that says why; the consumer stalls. One broker is a single point of failure.',
      [call('POST', '/api/cluster/nodes/0/kill'), produce('single', ['three']), call('POST', '/api/cluster/nodes/0/start')],
      ['klab node kill 0', klabProduce('single', ['three']), 'klab node start 0'],
    ),
    step(
      'Add two brokers to the running cluster (scale out), then list the topics.',
      'Brokers 1 and 2 register; the topic list is the same whichever broker answers it.',
      [call('POST', '/api/cluster/brokers'), call('POST', '/api/cluster/brokers'), call('GET', '/api/topics')],
      ['klab broker add', 'klab broker add', 'klab topics'],
    ),
    step(
      'Create purchases with 3 partitions and replication factor 3, and produce purchase1 to purchase5.',
      'Each partition has 3 in-sync replicas, one on every broker.',
      [call('POST', '/api/topics', { name: 'purchases', partitions: 3, replicationFactor: 3 }), produce('purchases', numbered('purchase', 1, 5))],
      ['klab topic create purchases -p 3 -r 3', klabProduce('purchases', numbered('purchase', 1, 5))],
    ),
    step(
      'Stop broker 1.',
      'The topic survives: every partition still has a leader, and the ISRs shrink to 2.',
      [call('POST', '/api/cluster/nodes/1/stop'), call('GET', '/api/topics/purchases?format=text')],
      ['klab node stop 1', 'klab topic describe purchases'],
    ),
    step(
      'Start a new consumer of purchases that reads from the beginning.',
      'It receives purchase1 to purchase5, every message ever produced to the topic, from every partition: nothing was lost.',
      [call('POST', '/api/consumers', { topics: ['purchases'], fromBeginning: true }), call('GET', '/api/consumers/{c1}/messages')],
      ['klab consume purchases -b'],
      'no-data-loss',
    ),
  ],
};

const labE: LabSpec = {
  id: 'E',
  title: 'Many topics, many producers (observability)',
  summary: 'Two producers keep writing to topics of 6 partitions, one group reads them all; a broker stops and starts while you watch the rebalances and the lag.',
  kafka: '3.9+',
  steps: [
    step(
      'Create metrics-a and metrics-b with 6 partitions each.',
      'Twelve partitions, their leaders spread over the brokers.',
      [call('POST', '/api/topics', { name: 'metrics-a', partitions: 6, replicationFactor: 3 }), call('POST', '/api/topics', { name: 'metrics-b', partitions: 6, replicationFactor: 3 })],
      ['klab topic create metrics-a -p 6 -r 3', 'klab topic create metrics-b -p 6 -r 3'],
    ),
    step(
      'Keep two producers writing, one per topic: send the API call again and again, or feed klab produce a line every few milliseconds from a loop in your shell.',
      'The produced counts of both topics grow steadily.',
      [produce('metrics-a', ['tick']), produce('metrics-b', ['tick'])],
      ['klab produce metrics-a', 'klab produce metrics-b'],
    ),
    step(
      'Read both topics in one group, dashboard.',
      'The group owns all 12 partitions; its lag per partition stays near zero.',
      [call('POST', '/api/consumers', { topics: ['metrics-a', 'metrics-b'], groupId: 'dashboard' }), call('GET', '/api/groups/dashboard')],
      ['klab consume metrics-a -G dashboard', 'klab consume metrics-b -G dashboard', 'klab group dashboard'],
    ),
    step(
      'Stop broker 2, watch for a while, then start it again.',
      'Leaders move off broker 2 and back, the group\'s lag jumps and drains, and the rebalances and leader changes line up on the timeline.',
      [call('POST', '/api/cluster/nodes/2/stop'), call('GET', '/api/groups/dashboard'), call('POST', '/api/cluster/nodes/2/start'), call('GET', '/api/events?types=group.rebalanced,partition.leader-changed')],
      ['klab node stop 2', 'klab group dashboard', 'klab node start 2', 'klab events --follow --types group.rebalanced,partition.leader-changed'],
    ),
  ],
};

const labF: LabSpec = {
  id: 'F',
  title: 'The new rebalance protocol (KIP-848) next to the classic one',
  summary: 'A classic group stops everyone at every change; a consumer-protocol group moves only the partitions that move while the others keep reading.',
  kafka: '4.x',
  steps: [
    step(
      'Create rebalance-demo with 6 partitions. Start member c1 of classic-g (protocol classic) and member d1 of new-g (protocol consumer).',
      'Each of them owns all 6 partitions of the topic in its group.',
      [
        call('POST', '/api/topics', { name: 'rebalance-demo', partitions: 6, replicationFactor: 3 }),
        call('POST', '/api/consumers', { topics: ['rebalance-demo'], groupId: 'classic-g', protocol: 'classic', name: 'c1' }),
        call('POST', '/api/consumers', { topics: ['rebalance-demo'], groupId: 'new-g', protocol: 'consumer', name: 'd1' }),
      ],
      ['klab topic create rebalance-demo -p 6 -r 3', 'klab consume rebalance-demo -G classic-g --protocol classic --name c1', 'klab consume rebalance-demo -G new-g --protocol consumer --name d1'],
    ),
    step(
      'Produce a steady trickle to the topic, about 20 messages a second, and keep it going: the API call again and again, or a loop in your shell feeding klab produce.',
      'Both members receive every message of the topic.',
      [produce('rebalance-demo', ['tick'])],
      ['klab produce rebalance-demo'],
    ),
    step(
      'Add c2 and c3 to classic-g, and d2 and d3 to new-g.',
      'In classic-g every change revokes every partition of every member and reassigns them all in one generation; in new-g the members reconcile one by one at rising member epochs, only the partitions that move are revoked, and d1 keeps reading the ones it keeps.',
      [
        call('POST', '/api/consumers', { topics: ['rebalance-demo'], groupId: 'classic-g', protocol: 'classic', name: 'c2' }),
        call('POST', '/api/consumers', { topics: ['rebalance-demo'], groupId: 'classic-g', protocol: 'classic', name: 'c3' }),
        call('POST', '/api/consumers', { topics: ['rebalance-demo'], groupId: 'new-g', protocol: 'consumer', name: 'd2' }),
        call('POST', '/api/consumers', { topics: ['rebalance-demo'], groupId: 'new-g', protocol: 'consumer', name: 'd3' }),
      ],
      [
        'klab consume rebalance-demo -G classic-g --protocol classic --name c2',
        'klab consume rebalance-demo -G classic-g --protocol classic --name c3',
        'klab consume rebalance-demo -G new-g --protocol consumer --name d2',
        'klab consume rebalance-demo -G new-g --protocol consumer --name d3',
      ],
      'incremental-rebalance',
    ),
    step(
      'Stop c1 and d1, and compare the two groups\' rebalances side by side.',
      'How long each member consumed nothing: everyone in classic-g paused, in new-g only the members whose partitions moved.',
      [call('POST', '/api/consumers/{c1}/stop'), call('POST', '/api/consumers/{d1}/stop'), call('GET', '/api/groups/classic-g'), call('GET', '/api/groups/new-g')],
      ['klab consumer stop <c1>', 'klab consumer stop <d1>', 'klab group classic-g', 'klab group new-g'],
    ),
  ],
};

const labG: LabSpec = {
  id: 'G',
  title: 'Queues for Kafka: share groups (KIP-932)',
  summary: 'Three share consumers split the records of ONE partition between them, acknowledge each record, and a released record comes back.',
  kafka: '4.x',
  steps: [
    step(
      'Create jobs with ONE partition. Start three share consumers in group workers that acknowledge by hand.',
      'All three join the share group workers; none of them owns the partition alone.',
      [
        call('POST', '/api/topics', { name: 'jobs', partitions: 1, replicationFactor: 3 }),
        ...[1, 2, 3].map(() => call('POST', '/api/consumers', { topics: ['jobs'], groupId: 'workers', protocol: 'share', ack: 'manual' })),
      ],
      ['klab topic create jobs -p 1 -r 3', ...[1, 2, 3].map(() => 'klab consume jobs -G workers --protocol share --ack manual')],
    ),
    step(
      'Produce job1 to job12.',
      'All three members receive records of the same partition, each record to one member: a queue, although there is one partition.',
      [produce('jobs', numbered('job', 1, 12)), call('GET', '/api/consumers/{c1}/messages')],
      [klabProduce('jobs', numbered('job', 1, 12))],
    ),
    step(
      'Release one record you hold (type "r <offset>" in its consumer\'s terminal, or from anywhere with klab ack).',
      'It comes back, to any member, with delivery count 2.',
      [call('POST', '/api/consumers/{c1}/acknowledge', { acks: [{ topic: 'jobs', partition: 0, offset: '3', type: 'release' }] })],
      ['klab ack <c1> release jobs:0:3'],
      'share-group',
    ),
    step(
      'Reject one record; leave another unacknowledged past its lock; release a third again and again.',
      'The rejected one never comes back; the unacknowledged one is delivered to another member when its lock runs out; the one released again and again is archived after the delivery limit.',
      [
        call('POST', '/api/consumers/{c2}/acknowledge', { acks: [{ topic: 'jobs', partition: 0, offset: '5', type: 'reject' }] }),
        call('POST', '/api/consumers/{c3}/acknowledge', { acks: [{ topic: 'jobs', partition: 0, offset: '7', type: 'release' }] }),
        call('GET', '/api/events?types=share.redelivered,share.archived'),
      ],
      ['klab ack <c2> reject jobs:0:5', 'klab ack <c3> release jobs:0:7', 'klab events --types share.redelivered,share.archived'],
    ),
    step(
      'Compare with Lab A: start a classic group of three, classic-jobs, on the same one-partition topic.',
      'One member owns the partition; the other two are assigned nothing and sit idle.',
      [1, 2, 3].map(() => call('POST', '/api/consumers', { topics: ['jobs'], groupId: 'classic-jobs' })),
      [1, 2, 3].map(() => 'klab consume jobs -G classic-jobs'),
    ),
  ],
};

/** Every lab, in order. */
export const LABS: readonly LabSpec[] = [labA, labB, labC, labD, labE, labF, labG];
