import { IsOptional } from 'class-validator';
import { QueryWholeNumber, WholeNumber } from '../../common/query-number';
import { RING_SIZE } from '../consumer-base';

/** `GET /api/consumers/{id}/messages?after=<seq>&limit=<n>` */
export class MessagesQueryDto {
  @IsOptional()
  @QueryWholeNumber()
  @WholeNumber(0, Number.MAX_SAFE_INTEGER, 'after must be a whole number of 0 or more: the seq of the last message you have, or 0')
  after?: number;

  @IsOptional()
  @QueryWholeNumber()
  @WholeNumber(1, RING_SIZE, `limit must be a whole number from 1 to ${RING_SIZE}`)
  limit?: number;
}
