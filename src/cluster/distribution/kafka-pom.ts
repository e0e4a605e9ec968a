import { usesLog4j2 } from './kafka-version';

/**
 * The Maven project whose runtime dependencies ARE a Kafka broker: kafka_2.13 (kafka.Kafka and the
 * storage tool) with its transitive jars, plus a logging binding for its slf4j 1.7 calls where Kafka's
 * pom leaves it out: reload4j for 3.9 (log4j 1). Kafka 4's log4j2 and its binding are fetched in a
 * second step (log4j2BindingPom): their version depends on what Kafka's own jars brought.
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
 * log4j2 as Kafka 4.0.x ships it in its download (its kafka_2.13 pom brings no log4j at all; 4.1+ poms
 * bring log4j-core themselves).
 */
export const KAFKA_40_LOG4J2_VERSION = '2.24.3';

/**
 * The log4j version whose slf4j 1.7 binding goes with Kafka 4's jars: that of the log4j-core jar Kafka
 * brought, else the one Kafka 4.0's download ships.
 */
export function log4j2VersionFor(jars: string[]): string {
  for (const j of jars) {
    const m = /^log4j-core-(\d[\w.-]*)\.jar$/.exec(j);
    if (m) return m[1];
  }
  return KAFKA_40_LOG4J2_VERSION;
}

/**
 * The Maven project whose runtime dependencies are log4j2 with its slf4j 1.7 binding (log4j-slf4j-impl
 * brings log4j-api and log4j-core of its own version): the jars Kafka's download has in libs/ and its
 * pom leaves out. Copied next to Kafka's jars.
 */
export function log4j2BindingPom(log4jVersion: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-lab</groupId>
  <artifactId>kafka-runtime-logging</artifactId>
  <version>${log4jVersion}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${log4jVersion}</version>
    </dependency>
  </dependencies>
</project>
`;
}
