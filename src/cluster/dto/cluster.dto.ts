import { OptionalField } from '../../common/optional';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export class StartClusterDto {
  @OptionalField()
  @IsInt({ message: 'brokers must be a whole number from 1 to 9' })
  @Min(1, { message: 'brokers must be a whole number from 1 to 9' })
  @Max(9, { message: 'brokers must be a whole number from 1 to 9' })
  brokers?: number;

  @OptionalField()
  @IsIn([1, 3], { message: 'controllers must be 1 or 3' })
  controllers?: number;
}

export class EmptyDto {}

export class WaitQuery {
  @IsOptional()
  @Transform(({ value }) => (value === 'false' ? false : value === 'true' ? true : value))
  @IsBoolean({ message: 'wait must be true or false' })
  wait?: boolean;
}
