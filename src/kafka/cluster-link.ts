/**
 * What the kafka module needs from the cluster module, as interfaces the cluster module provides
 * (tokens, so neither module imports the other's classes).
 */

/** Where the current cluster can be reached. */
export interface BootstrapSource {
  bootstrapServers(): string[];
}
export const BOOTSTRAP_SOURCE = Symbol('BOOTSTRAP_SOURCE');

/** A broker the cluster lists as live (registered and not fenced), with the address it advertises. */
export interface LiveBroker {
  id: number;
  host: string;
  port: number;
}

/**
 * Told the live brokers of every metadata snapshot, or null when no broker answered: an external
 * cluster's node states come from this (the cluster itself says which brokers are alive).
 */
export interface BrokerObserver {
  /** `clusterId`: the id the cluster reports (with the brokers). */
  observeBrokers(live: LiveBroker[] | null, clusterId?: string | null): void;
}
export const BROKER_OBSERVER = Symbol('BROKER_OBSERVER');
