import { usesLog4j2 } from './kafka-version';

/**
 * The Maven project whose runtime dependencies ARE a Kafka broker: kafka_2.13 (kafka.Kafka and the
 * storage tool) with its transitive jars, plus a logging binding for its slf4j 1.7 calls where Kafka's
 * pom leaves it out: reload4j for 3.9 (log4j 1). Kafka 4 pulls log4j-core itself; its slf4j binding
 * (log4j-slf4j-impl of that same log4j version) is fetched in a second step, see log4j2Binding.
 * `mvn dependency:copy-dependencies` copies them all into one folder, which becomes the class path.
 */
export function kafkaPom(version: string): string {
  const binding = usesLog4j2(version)
    ? ''
    : `
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-lab</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${version}</version>
    </dependency>${binding}
  </dependencies>
</project>
`;
}

/**
 * The slf4j 1.7 → log4j2 binding matching the log4j-core jar Kafka 4 brought (the same jar Kafka's own
 * download ships in libs/), as a Maven coordinate; null when no log4j-core is among `jars`.
 */
export function log4j2Binding(jars: string[]): string | null {
  for (const j of jars) {
    const m = /^log4j-core-(\d[\w.-]*)\.jar$/.exec(j);
    if (m) return `org.apache.logging.log4j:log4j-slf4j-impl:${m[1]}`;
  }
  return null;
}
