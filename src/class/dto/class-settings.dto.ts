import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, Matches, Min, ValidateNested } from 'class-validator';
import { OptionalField } from '../../common/optional';

const COUNT = (key: string) => ({ message: `quotas.${key} must be a whole number of at least 0` });

/** Any of the quotas; a key that is not a quota is refused by the whitelist. */
export class QuotasPatchDto {
  @OptionalField() @IsInt(COUNT('topics')) @Min(0, COUNT('topics')) topics?: number;
  @OptionalField() @IsInt(COUNT('partitionsPerTopic')) @Min(0, COUNT('partitionsPerTopic')) partitionsPerTopic?: number;
  @OptionalField() @IsInt(COUNT('partitions')) @Min(0, COUNT('partitions')) partitions?: number;
  @OptionalField() @IsInt(COUNT('consumers')) @Min(0, COUNT('consumers')) consumers?: number;
  @OptionalField() @IsInt(COUNT('producePerSecond')) @Min(0, COUNT('producePerSecond')) producePerSecond?: number;
  @OptionalField() @IsInt(COUNT('messagesPerRequest')) @Min(0, COUNT('messagesPerRequest')) messagesPerRequest?: number;
  @OptionalField() @IsInt(COUNT('sockets')) @Min(0, COUNT('sockets')) sockets?: number;
}

export const JOIN_CODE_PATTERN = /^[A-Za-z0-9-]{4,64}$/;

/** PATCH /api/class: any of these; the answer is the whole settings. */
export class ClassSettingsPatchDto {
  @OptionalField()
  @IsBoolean({ message: 'joinOpen must be true or false' })
  joinOpen?: boolean;

  @OptionalField()
  @IsBoolean({ message: 'studentsMayControlBrokers must be true or false' })
  studentsMayControlBrokers?: boolean;

  @OptionalField()
  @IsIn([true], { message: 'rotateJoinCode must be true (leave it out to keep the code)' })
  rotateJoinCode?: true;

  @OptionalField()
  @Matches(JOIN_CODE_PATTERN, { message: 'joinCode must be 4 to 64 letters, digits or "-"' })
  joinCode?: string;

  @OptionalField()
  @IsObject({ message: 'quotas must be an object of quota names to whole numbers, e.g. { "topics": 10 }' })
  @ValidateNested()
  @Type(() => QuotasPatchDto)
  quotas?: QuotasPatchDto;
}
