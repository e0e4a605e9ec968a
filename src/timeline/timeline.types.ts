/**
 * Who may see an event, kept beside it (never sent): the owner of the topic/consumer/group it concerns.
 * Absent: everybody (cluster and node events, shared topics). The events themselves are in events.ts.
 */
export interface EventScope {
  owner?: string;
  topic?: string;
  groupId?: string;
  consumerId?: string;
}
