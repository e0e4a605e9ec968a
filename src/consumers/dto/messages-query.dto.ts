import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { RING_SIZE } from '../consumer-session';

/** `GET /api/consumers/{id}/messages?after=<seq>&limit=<n>` */
export class MessagesQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'after must be a whole number: the seq of the last message you have, or 0' })
  @Min(0, { message: 'after must be 0 or more' })
  @Max(Number.MAX_SAFE_INTEGER, { message: `after must be at most ${Number.MAX_SAFE_INTEGER}` })
  after?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `limit must be a whole number from 1 to ${RING_SIZE}` })
  @Min(1, { message: `limit must be a whole number from 1 to ${RING_SIZE}` })
  @Max(RING_SIZE, { message: `limit must be a whole number from 1 to ${RING_SIZE}` })
  limit?: number;
}
