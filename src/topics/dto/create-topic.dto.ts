import { OptionalField } from '../../common/optional';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Max, Min } from 'class-validator';

export class CreateTopicDto {
  @IsString({ message: 'name must be a string' })
  name: string;

  @IsInt({ message: 'partitions must be a whole number from 1 to 100' })
  @Min(1, { message: 'partitions must be a whole number from 1 to 100' })
  @Max(100, { message: 'partitions must be a whole number from 1 to 100' })
  partitions: number;

  @IsInt({ message: 'replicationFactor must be a whole number of at least 1' })
  @Min(1, { message: 'replicationFactor must be a whole number of at least 1' })
  replicationFactor: number;

  @OptionalField()
  @IsObject({ message: 'configs must be an object of config names to string values, e.g. { "min.insync.replicas": "2" }' })
  configs?: Record<string, string>;
}

export class ListTopicsQuery {
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'internal must be true or false' })
  internal?: 'true' | 'false';
}

export class DescribeTopicQuery {
  @IsOptional()
  @IsIn(['json', 'text'], { message: 'format must be "json" or "text"' })
  format?: 'json' | 'text';
}
