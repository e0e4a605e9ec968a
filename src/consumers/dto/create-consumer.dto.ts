import { OptionalField } from '../../common/optional';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsString, Length, Matches } from 'class-validator';
import { ACK_MODES, AckMode, CONSUMER_PROTOCOLS, ConsumerProtocol, GROUP_ID_RE, TOPIC_NAME_RE } from '../consumer.types';

const TOPIC_MSG = 'a topic name is 1 to 249 letters, digits, ".", "_" or "-"';

/** `POST /api/consumers` `{ topics: [string] (or topic: string), groupId?, fromBeginning? = false, name?, protocol? = classic, ack? }` */
export class CreateConsumerDto {
  @OptionalField()
  @IsArray({ message: 'topics must be a list of topic names, as in ["orders"]' })
  @ArrayNotEmpty({ message: 'topics must name at least one topic' })
  @ArrayMaxSize(100, { message: 'topics may name at most 100 topics' })
  @IsString({ each: true, message: 'topics must be a list of topic names, as in ["orders"]' })
  @Matches(TOPIC_NAME_RE, { each: true, message: `topics has a name that is not valid: ${TOPIC_MSG}` })
  topics?: string[];

  @OptionalField()
  @IsString({ message: 'topic must be a topic name' })
  @Matches(TOPIC_NAME_RE, { message: `topic is not valid: ${TOPIC_MSG}` })
  topic?: string;

  @OptionalField()
  @IsString({ message: 'groupId must be a string' })
  @Matches(GROUP_ID_RE, { message: 'groupId must be 1 to 200 letters, digits, ".", "_" or "-"' })
  groupId?: string;

  @OptionalField()
  @IsBoolean({ message: 'fromBeginning must be true or false' })
  fromBeginning?: boolean;

  @OptionalField()
  @IsString({ message: 'name must be a string' })
  @Length(1, 100, { message: 'name must be 1 to 100 characters long' })
  name?: string;

  @OptionalField()
  @IsIn(CONSUMER_PROTOCOLS, { message: 'protocol must be "classic" (eager rebalances), "consumer" (KIP-848: the broker assigns) or "share" (KIP-932: a share group)' })
  protocol?: ConsumerProtocol;

  /** Only with protocol share; ConsumersService refuses it with another protocol (a sentence, 400). */
  @OptionalField()
  @IsIn(ACK_MODES, { message: 'ack must be "auto" (records accepted at the next poll) or "manual" (acknowledged with POST /api/consumers/{id}/acknowledge)' })
  ack?: AckMode;
}
