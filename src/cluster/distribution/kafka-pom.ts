/**
 * The Maven project whose runtime dependencies ARE a Kafka broker: kafka_2.13 (kafka.Kafka and the
 * storage tool) with its transitive jars, plus a logging binding for its slf4j calls.
 * `mvn dependency:copy-dependencies` copies them all into one folder, which becomes the class path.
 */
export function kafkaPom(version: string): string {
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
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
`;
}
