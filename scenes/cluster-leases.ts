/**
 * The cluster's acting timers (issue 15): one lease each, held by one node cluster-wide
 * (server/cluster/start-cluster.ts). Shared with the admin page, which names each in words.
 */
export const CLUSTER_LEASE_NAMES = ['offline', 'escalation', 'plans', 'state-flush', 'housekeep', 'reports'] as const;
export type ClusterLeaseName = (typeof CLUSTER_LEASE_NAMES)[number];
