/** `npm run kafka:fetch`: fetch (or locate) Kafka ahead of the first start, e.g. in CI. */
import { loadConfig } from '../../config/lab-config';
import { locateKafka } from './kafka-distribution';

locateKafka(loadConfig(), (l) => process.stdout.write(`% ${l}\n`))
  .then((d) => process.stdout.write(`Kafka ${d.version} from ${d.origin}: ${d.libsDir}\n`))
  .catch((e) => {
    process.stderr.write(`% ERROR: ${e.message}\n`);
    process.exit(1);
  });
