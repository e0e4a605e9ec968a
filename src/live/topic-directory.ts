/**
 * What the live layer needs to know of topics: whether one exists on the cluster now (by its cluster
 * name), so a student's `{ topic }` subscription means their own topic or the shared one as every
 * REST route does (namespace.ts resolveTopic). Synchronous, from the latest metadata picture: a
 * subscription resolves and registers in one call. Provided by the topics module.
 */
export interface TopicDirectory {
  exists(clusterName: string): boolean;
}

export const TOPIC_DIRECTORY = Symbol('TOPIC_DIRECTORY');
